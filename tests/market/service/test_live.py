"""The live channel: press → ack after the commit → broadcast; sync; reconnect; timers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from jiqun.market.service.runner import ServerClock
from tests.market.service.conftest import HALL, Live, live, lot, next_of, next_round, run


async def _open(env: Live) -> None:
    auctioneer = await env.client("AUC")
    r = await env.post(auctioneer, f"/api/halls/{HALL}/open")
    assert r.status == 200, await r.text()


async def _press_flow(url: str) -> None:
    async with live(url) as env:
        b1, b2 = await env.client("B01"), await env.client("B02")
        ws1, ws2 = await env.ws(b1), await env.ws(b2)
        state = await next_of(ws1, "state")
        assert state["phase"] == "idle" and state["lot"]["id"] == "L001"
        assert [x["id"] for x in state["next"]] == ["L002"]
        await next_of(ws2, "state")
        await _open(env)
        started = await next_round(env, ws1)
        assert started["lot"] == "L001" and started["start_fen"] == 600
        assert {"at", "step_fen", "tick_ms", "ends_at"} <= started.keys()

        c = int(time.time() * 1000)
        await ws1.send_json({"t": "sync", "c": c})
        reply = await next_of(ws1, "sync")
        assert reply["c"] == c and abs(reply["s"] - c) < 5000

        await ws1.send_json(
            {"t": "press", "id": "p1", "lot": "L001", "round": 1, "tick": 0, "qty": 20}
        )
        ack = await next_of(ws1, "ack")
        assert ack["id"] == "p1" and ack["result"] == "sale" and ack["qty"] == 20
        assert 500 <= ack["price_fen"] <= 600
        # The committed journal has the claimed round and tick (read before the window ends).
        _, kind, payload = env.service.market.last_input() or ("", "", {})
        assert (kind, payload["b"], payload["r"], payload["t"]) == ("Press", "B01", 1, 0)
        stopped = await next_of(ws2, "stopped")
        sold = await next_of(ws2, "sold")  # the stop window's sales, once, when it closes
        sale = sold["sales"][0]
        assert stopped["price_fen"] == sale["price_fen"] == ack["price_fen"]
        assert sale["buyer"] == "B01" and sold["qty"] == 20 and sold["remaining"] == 30

        # The buyer's account shows it.
        me = await (await b1.get("/api/me")).json()
        assert me["balance_fen"] < 1_000_000 and me["spent_today_fen"] > 0 and me["today"]

        await ws2.close()  # a reconnecting client gets the current state
        ws3 = await env.ws(b2)
        again = await next_of(ws3, "state")
        assert again["results"][0]["price_fen"] == ack["price_fen"]
        assert again["results"][0]["buyer"] == "B01"
        assert again["lot"]["remaining"] == 30


def test_press_is_acknowledged_after_commit_and_broadcast(tmp_path: Path) -> None:
    run(_press_flow(f"sqlite:///{tmp_path / 'm.db'}"))


def test_press_flow_on_postgres(pg_url: str) -> None:
    run(_press_flow(pg_url))


def test_timers_announce_lapses_and_round_starts_on_time(tmp_path: Path) -> None:
    async def go() -> None:
        quick = lot("Q1", start_price_fen=209, reserve_price_fen=199)  # 6 ticks: 600 ms
        async with live(f"sqlite:///{tmp_path / 'm.db'}", [quick, lot("L002")]) as env:
            ws = await env.ws(await env.client())
            await next_of(ws, "state")
            await _open(env)
            first = await next_round(env, ws)
            withdrawn = await next_of(ws, "withdrawn")
            assert withdrawn["at"] == first["ends_at"] and withdrawn["units"] == 50
            arrived = env.service.runner.now()
            assert arrived - first["ends_at"] < 150  # announced when it happened
            # the next lot's round is announced with the lapse, pause_ms before it starts
            second = await next_of(ws, "round")
            assert second["lot"] == "L002" and second["at"] == first["ends_at"] + 300
            assert env.service.runner.now() < second["at"]
            state = await next_of(ws, "state")  # the next lot is on the clock
            assert state["lot"]["id"] == "L002" and state["phase"] == "waiting"
            assert state["round"] == {k: second[k] for k in state["round"]}
            # and not told again when it starts
            wait_s = (second["at"] - env.service.runner.now() + 300) / 1000
            with pytest.raises(TimeoutError):
                await next_of(ws, "round", timeout=wait_s)
            assert env.service.runner.now() > second["at"]
            state = await (await env.clients[0].get(f"/api/halls/{HALL}/state")).json()
            assert state["phase"] == "running" and state["round"]["at"] == second["at"]

    run(go())


def test_server_clock_never_goes_backwards() -> None:
    wall = [1_000.0]
    clock = ServerClock(floor_ms=2_000_000, wall=lambda: wall[0])
    first = clock.now()
    assert first >= 2_000_000
    wall[0] = 0.0  # a wall-clock step back changes nothing: time follows the monotonic clock
    assert clock.now() >= first


def test_state_api_and_halls(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            c = await env.client()
            halls = await (await c.get("/api/halls")).json()
            assert halls["halls"][0]["hall"] == HALL
            state = await (await c.get(f"/api/halls/{HALL}/state")).json()
            assert state["lot"]["id"] == "L001"
            assert (await c.get("/api/halls/nope/state")).status == 404

    run(go())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_render(tmp_path: Path, lang: str) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            c = await env.client()
            board = await (await c.get(f"/board/{HALL}?lang={lang}")).text()
            assert ("最高起拍价" if lang == "zh" else "Maximum starting price") in board
            assert "/static/market.js" in board
            js = await c.get("/static/market.js")
            assert js.status == 200
            login = await (await c.get("/buyer")).text()
            assert 'action="/login"' in login
            b = await env.client("B01")
            console = await (await b.get(f"/buyer?lang={lang}")).text()
            assert 'id="press"' in console and b.csrf in console  # type: ignore[attr-defined]
            await asyncio.sleep(0)

    run(go())
