"""The WebSocket channel under the fan-out rules: the ack first, one summary per stop window,
the board again after the auctioneer's settings, and reconnection to the current state."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, ClientWebSocketResponse, WSCloseCode

from jiqun.market.core.events import Pause, Press, Resume, SetClock
from jiqun.market.service import bots
from tests.market.service.conftest import (
    CLOCK,
    HALL,
    PASSWORD,
    Live,
    live,
    lot,
    next_of,
    next_round,
    run,
)


async def _open(env: Live) -> None:
    auctioneer = await env.client("AUC")
    r = await env.post(auctioneer, f"/api/halls/{HALL}/open")
    assert r.status == 200, await r.text()


async def _until(ws: ClientWebSocketResponse, kind: str, timeout: float = 5.0) -> list[Any]:
    """Every message up to and including the next one of type ``kind``."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            m = await ws.receive_json()
            seen.append(m)
            if m["t"] == kind:
                return seen


def _press(buyer: str, lot_id: str, qty: int) -> Any:
    return lambda now: Press(now, buyer, lot_id, qty)


def test_a_stop_window_is_told_once_and_the_ack_comes_first(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            board = await env.ws(await env.client())
            b1 = await env.client("B01")
            ws1 = await env.ws(b1)
            state = await next_of(board, "state")
            await next_of(ws1, "state")
            await _open(env)
            first = await next_round(env, board)
            await next_of(board, "state")  # opening the hall sends the board again
            await next_round(env, ws1)
            runner = env.service.runner
            # two presses stamped in the same instant: both in the stop window
            f1 = runner.enqueue(HALL, _press("B01", "L001", 20))
            f2 = runner.enqueue(HALL, _press("B02", "L001", 10))
            await asyncio.gather(f1, f2)
            told = await _until(board, "sold")
            kinds = [m["t"] for m in told]
            assert kinds == ["stopped", "sold"]  # no message per sale
            stopped, sold = told
            assert [(s["buyer"], s["qty"]) for s in sold["sales"]] == [("B01", 20), ("B02", 10)]
            assert sold["qty"] == 30 and sold["remaining"] == 20 and sold["lot"] == "L001"
            assert {s["price_fen"] for s in sold["sales"]} == {stopped["price_fen"]}
            assert sold["round"] == first["round"] == 1
            assert state["seq"] < first["seq"] < stopped["seq"] < sold["seq"]

            # the next round: the presser's own ack comes before the broadcast it causes
            again = await next_round(env, ws1)
            assert again["round"] == 2 and again["start_fen"] <= 600
            # announced with the window's summary, pause_ms before it starts
            assert again["seq"] == sold["seq"]
            assert again["at"] == stopped["window_closes_at"] + CLOCK.pause_ms
            await ws1.send_json(
                {"t": "press", "id": 7, "lot": "L001", "round": 2, "tick": 0, "qty": 5}
            )
            after = await _until(ws1, "stopped")
            assert after[0]["t"] == "ack" and after[0]["id"] == 7
            assert after[0]["result"] == "sale" and after[0]["qty"] == 5

            # a client that comes now gets the results, newest first
            late = await env.ws(await env.client())
            fresh = await next_of(late, "state")
            assert [(r["buyer"], r["qty"]) for r in fresh["results"][:3]] == [
                ("B01", 5),
                ("B02", 10),
                ("B01", 20),
            ]

    run(go())


def test_an_announced_round_is_replaced_when_the_auctioneer_holds_the_hall(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            ws = await env.ws(await env.client("B01"))
            await next_of(ws, "state")
            await _open(env)
            await next_round(env, ws)
            runner = env.service.runner
            await runner.submit(HALL, _press("B02", "L001", 10))
            await next_of(ws, "sold")
            announced = await next_of(ws, "round")  # due pause_ms (300) after the window
            assert announced["round"] == 2 and announced["at"] > runner.now()
            # pressed before it starts: no clock runs yet
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "round": 2, "qty": 5})
            ack = await next_of(ws, "ack")
            assert (ack["result"], ack["reason"]) == ("rejected", "no_running_clock")
            await runner.submit(HALL, Pause)
            held = await next_of(ws, "state")
            assert held["held"] and held["phase"] == "waiting" and held["round"] is None
            # the announced instant passes: nothing starts
            wait_s = (announced["at"] - runner.now() + 200) / 1000
            with pytest.raises(TimeoutError):
                await next_of(ws, "round", timeout=wait_s)
            resumed_at = runner.now()
            await runner.submit(HALL, Resume)
            again = await next_round(env, ws)  # resumed after its instant: starts at once
            assert again["round"] == 2 and again["at"] >= max(resumed_at, announced["at"])
            assert again["start_fen"] == announced["start_fen"]

    run(go())


def test_the_auctioneers_clock_settings_reach_the_clients(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            ws = await env.ws(await env.client())
            await next_of(ws, "state")
            await _open(env)
            await next_round(env, ws)
            await next_of(ws, "state")  # opening the hall sends the board again
            runner = env.service.runner
            await runner.submit(HALL, lambda now: SetClock(now, 50, 4))
            state = await next_of(ws, "state")  # the board again, with the new settings
            assert state["clock"]["tick_ms"] == 50 and state["clock"]["step_fen"] == 4
            assert state["round"]["tick_ms"] == 100  # the running round keeps its own
            await runner.submit(HALL, _press("B01", "L001", 10))
            nxt = await next_round(env, ws)
            assert nxt["round"] == 2 and nxt["tick_ms"] == 50 and nxt["step_fen"] == 4
            # and the state a (re)connecting client gets says so too
            fresh = await next_of(await env.ws(await env.client()), "state")
            assert fresh["round"]["tick_ms"] == 50 and fresh["clock"]["tick_ms"] == 50

    run(go())


def test_a_client_that_reconnects_gets_the_current_state(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            b2 = await env.client("B02")
            ws = await env.ws(b2)
            await next_of(ws, "state")
            await _open(env)
            running = await next_round(env, ws)
            await ws.close()  # the connection drops …
            runner = env.service.runner
            await runner.submit(HALL, _press("B01", "L001", 15))  # … and the market goes on
            ws = await env.ws(b2)
            state = await next_of(ws, "state")
            assert state["me"] == {"user": "B02", "role": "buyer"}
            assert state["lot"]["id"] == "L001" and state["lot"]["remaining"] == 35
            assert state["results"][0]["buyer"] == "B01" and state["results"][0]["qty"] == 15
            assert state["round"]["at"] == running["at"]  # the round it missed the stop of
            assert state["phase"] in ("window", "waiting")
            later = await next_round(env, ws)  # and it goes on with the market from there
            assert later["round"] == 2 and later["seq"] > state["seq"]

    run(go())


def test_a_simulated_buyer_reconnects_after_the_server_drops_it(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            await _open(env)
            base = str(env.server.make_url("")).rstrip("/")
            metrics = bots.Metrics()
            stop = asyncio.Event()
            async with ClientSession() as http:
                bot = bots.Bot(http, base, HALL, "B01", PASSWORD, metrics, rng=random.Random(1))
                bot.pressing = False
                await bot.login()
                await bot.connect()
                life = asyncio.ensure_future(bot.life(stop, retry_s=0.05))
                async with asyncio.timeout(5):
                    while bot.round is None:
                        await asyncio.sleep(0.02)
                for sock in list(env.service.sockets):  # the server drops every client
                    await sock.close(code=WSCloseCode.GOING_AWAY, message=b"restart")
                bot.round = None
                async with asyncio.timeout(5):
                    while metrics.reconnects < 1 or bot.round is None:
                        await asyncio.sleep(0.02)
                assert env.service.runner.subscribers(HALL) == 1
                assert bot.connected
                stop.set()
                await bot.close()
                await life

    run(go())


def test_a_lot_added_to_the_next_ones_is_told_as_the_queue(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            ws = await env.ws(await env.client())
            await next_of(ws, "state")
            await _open(env)
            await next_round(env, ws)
            await next_of(ws, "state")
            auctioneer = await env.client("AUC")
            r = await env.post(auctioneer, f"/api/halls/{HALL}/lots", lot("L003"))
            assert r.status == 201
            queue = await next_of(ws, "queue")
            assert [x["id"] for x in queue["next"]] == ["L002", "L003"]
            assert queue["lots_left"] == 2 and "reserve_price_fen" not in queue["next"][1]
            fresh = await next_of(await env.ws(await env.client()), "state")
            assert [x["id"] for x in fresh["next"]] == ["L002", "L003"]
            assert fresh["seq"] >= queue["seq"]

    run(go())


def test_a_lot_added_to_a_closed_hall_is_on_the_board_at_once(tmp_path: Path) -> None:
    async def go() -> None:
        quick = lot("Q1", start_price_fen=209)  # 6 ticks to the reserve: lapses in 600 ms
        async with live(f"sqlite:///{tmp_path / 'm.db'}", [quick]) as env:
            ws = await env.ws(await env.client())
            await next_of(ws, "state")
            await _open(env)
            await next_of(ws, "closed", timeout=5)  # the only lot lapsed: the queue ran dry
            closed = await next_of(ws, "state")
            assert closed["phase"] == "closed" and closed["lot"] is None
            auctioneer = await env.client("AUC")
            r = await env.post(auctioneer, f"/api/halls/{HALL}/lots", lot("L009"))
            assert r.status == 201
            told = await _until(ws, "state")
            assert [m["t"] for m in told] == ["round", "state"]
            assert told[1]["lot"]["id"] == "L009" and told[1]["phase"] == "running"
            assert told[0]["lot"] == "L009"

    run(go())
