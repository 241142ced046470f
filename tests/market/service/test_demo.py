"""The demo market, its simulated buyers and the load test, against an in-process server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from jiqun.market.core.model import Role
from jiqun.market.service import demo, loadtest
from tests.market.service.conftest import next_of, run


async def _login(http: aiohttp.ClientSession, url: str, user: str) -> int:
    body = {"user": user, "password": demo.PASSWORD}
    async with http.post(f"{url}/api/login", json=body) as r:
        return r.status


def test_demo_market_is_set_up_and_its_clock_runs(tmp_path: Path) -> None:
    async def go() -> None:
        server = await demo.start(tmp_path, bot_count=0, lots=6)
        try:
            market = server.service.market
            hall = market.halls[demo.HALL].state
            assert len(hall.lots) == 6 and hall.phase in ("waiting", "running")
            assert market.halls[demo.LOAD_HALL].state.phase == "idle"
            varieties = {v.name for v in demo.CATALOGUE}
            for ls in hall.lots:
                lot = ls.lot
                assert lot.variety in varieties and lot.grade in ("特级", "一级", "二级")
                assert lot.reserve_price_fen < lot.start_price_fen
                assert lot.reserve_price_fen >= 50 and lot.start_price_fen <= 2000  # fen/kg
                assert lot.package and lot.unit_net_g >= 5000 and lot.origin.startswith("寿光")
                assert market.accounts.members[lot.supplier].role is Role.SUPPLIER
            buyers = demo.buyer_ids(demo.HUMAN_BUYERS)
            for b in buyers:
                assert market.accounts.balances[b] >= 5_000_000  # ≥ 5 万元 deposited
            async with aiohttp.ClientSession() as http:
                for user in ("B001", "AUC", "CASH", "ADMIN", "S001"):
                    assert await _login(http, server.url, user) == 200, user
                assert await _login(http, server.url, "nobody") == 401
            # Every demo lot came through the quality centre with its certificate.
            jar = aiohttp.CookieJar(unsafe=True)  # keeps the session cookie of 127.0.0.1
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                assert await _login(http, server.url, "INSP") == 200
                async with http.get(f"{server.url}/api/quality/lots") as r:
                    body = await r.json()
                    assert r.status == 200, body
                    taken_in = {lot["lot"]["id"]: lot for lot in body["lots"]}
                assert set(taken_in) == {ls.lot.id for ls in hall.lots}
                first = taken_in["1-0001"]
                async with http.get(f"{server.url}/api/trace/{first['trace_code']}") as r:
                    trace = await r.json()
                assert trace["certificate"]["no"] == "HG-1-0001"
                assert trace["lot"]["origin"] == hall.lots[0].lot.origin
                assert "reserve_price_fen" not in trace["lot"]
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(f"{server.url}/ws/{demo.HALL}") as ws,
            ):
                state = await next_of(ws, "state")
                assert state["lot"]["id"] == "1-0001" and state["lots_left"] == 5
        finally:
            await server.close()

    run(go())


def test_demo_bots_buy_and_lots_keep_coming(tmp_path: Path) -> None:
    async def go() -> None:
        server = await demo.start(tmp_path, bot_count=8, lots=2)
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(f"{server.url}/ws/{demo.HALL}") as ws,
            ):
                sold = await next_of(ws, "sold", timeout=15)  # a stop window's sales
                sale = sold["sales"][0]
                assert sale["buyer"] in demo.buyer_ids(8, demo.HUMAN_BUYERS + 1)
            lots = await server.service.runner.call(lambda m: len(m.halls[demo.HALL].state.lots))
            assert lots >= 2 + 8  # the queue ran low: a batch was added
        finally:
            await server.close()

    run(go())


def test_a_loadtest_shares_its_buyers_among_client_processes(tmp_path: Path) -> None:
    async def go() -> dict[str, object]:
        server = await demo.start(tmp_path, bot_count=0, lots=1)
        try:
            return await loadtest.run(server.url, 24, 3.0, seed=2, interest=1.0, processes=2)
        finally:
            await server.close()

    result = run(go())
    assert (result["processes"], result["connected"], result["lost"]) == (2, 24, 0)
    presses = result["presses"]
    assert isinstance(presses, int) and presses > 0  # both processes' buyers pressed
    assert result["sales"] + result["rejected"] == presses  # type: ignore[operator]
    assert result["ack_p99_ms"] is not None and result["clock_error_p99_ms"] is not None


def test_short_loadtest_against_an_in_process_demo(tmp_path: Path) -> None:
    async def go() -> dict[str, object]:
        server = await demo.start(tmp_path, bot_count=0, lots=1)
        try:
            return await loadtest.run(server.url, 20, 3.0, seed=1, interest=1.0)
        finally:
            await server.close()

    result = run(go())
    for key in (
        "buyers",
        "connected",
        "presses",
        "sales",
        "rejected",
        "lost",
        "ack_p50_ms",
        "ack_p99_ms",
        "fanout_p99_ms",
        "clock_error_p99_ms",
        "server_cpu_pct",
    ):
        assert key in result
    assert result["buyers"] == result["connected"] == 20
    assert result["lost"] == 0
    assert isinstance(result["sales"], int) and result["sales"] > 0
    assert result["presses"] == result["sales"] + result["rejected"]  # type: ignore[operator]


def test_loadtest_refuses_other_than_loopback() -> None:
    with pytest.raises(loadtest.LoadTestError):
        loadtest.loopback_only("http://example.com:8000")
    assert loadtest.loopback_only("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert loadtest.percentile([1.0, 2.0, 3.0], 50) == 2.0 and loadtest.percentile([], 99) is None


def test_demo_refuses_a_folder_another_demo_is_using(tmp_path: Path) -> None:
    async def go() -> None:
        server = await demo.start(tmp_path, bot_count=0, lots=1)
        try:
            with pytest.raises(Exception, match=r"(?i)lock|writer|another|use"):
                demo.fresh_database(tmp_path)
        finally:
            await server.close()
        demo.fresh_database(tmp_path)  # free again: emptied for the next demo
        assert not (tmp_path / demo.DB_NAME).exists()

    asyncio.run(go())
