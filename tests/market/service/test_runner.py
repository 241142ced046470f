"""The runner's memory of the board: the last results survive a restart (from the journal)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from jiqun.market.core.events import (
    AddLot,
    AddMember,
    Advance,
    Deposit,
    Open,
    Output,
    Press,
    Sale,
    Withdrawn,
)
from jiqun.market.core.model import Lot, Member, Role
from jiqun.market.journal import DurableMarket
from jiqun.market.service import protocol
from jiqun.market.service.app import build_app
from jiqun.market.service.results import recent_results
from tests.market.service.conftest import (
    CLOCK,
    FEES,
    HALL,
    SECRET,
    live,
    lot,
    next_of,
    next_round,
    run,
)


def _lot(lot_id: str, units: int = 20, start: int = 220) -> Lot:
    return Lot(lot_id, "S01", "黄瓜", "一级", units, 10_000, start, 200, 5, "寿光市", "纸箱")


def _day(market: DurableMarket) -> dict[str, list[dict[str, Any]]]:
    """Two halls trading; what the live server would have shown: every Sale and Withdrawn."""
    for hall in ("A", "B"):
        market.add_hall(hall, CLOCK, FEES)
    shown: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}

    def submit(hall: str, event: Any) -> None:
        outs: list[Output] = market.submit(hall, event)
        for out in outs:
            if isinstance(out, Sale | Withdrawn):
                shown[hall].insert(0, protocol.event_message(hall, out))

    for buyer in ("B01", "B02"):
        submit("A", AddMember(0, Member(buyer, Role.BUYER)))
        submit("A", Deposit(0, buyer, 10_000_000))
    submit("A", AddMember(0, Member("S01", Role.SUPPLIER)))
    for hall in ("A", "B"):
        for n in range(1, 5):
            submit(hall, AddLot(0, _lot(f"{hall}{n}")))
        submit(hall, Open(1000))
    t = 1000
    for step in range(12):
        hall = "A" if step % 3 else "B"
        t += 450
        if step % 4 == 3:
            submit(hall, Advance(t + 2000))  # let a round lapse
            t += 2000
        else:
            state = market.halls[hall].state
            if state.current >= len(state.lots):
                submit(hall, AddLot(t, _lot(f"{hall}x{step}")))
            else:
                current = state.lots[state.current].lot.id
                submit(hall, Press(t, "B01" if step % 2 else "B02", current, 5))
    return shown


@pytest.mark.parametrize("snapshot_every", [0, 4, 7])
def test_recent_results_are_those_the_live_server_showed(
    tmp_path: Path, snapshot_every: int
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with DurableMarket.open(url, snapshot_every=snapshot_every) as market:
        shown = _day(market)
    assert all(len(v) >= 3 for v in shown.values())
    assert {m["t"] for v in shown.values() for m in v} == {"sale", "withdrawn"}
    with DurableMarket.open(url, snapshot_every=snapshot_every) as market:
        for keep in (1, 2, 5, 50):
            found = recent_results(market, keep)
            assert found == {hall: v[:keep] for hall, v in shown.items()}


def test_the_boards_last_results_survive_a_server_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    quick = lot("Q1", start_price_fen=209)  # 6 ticks to the reserve: lapses in 600 ms

    async def first() -> list[dict[str, Any]]:
        async with live(url, [quick, lot("L002")]) as env:
            ws = await env.ws(await env.client())
            await next_of(ws, "state")
            auctioneer = await env.client("AUC")
            r = await env.post(auctioneer, f"/api/halls/{HALL}/open")
            assert r.status == 200
            await next_round(env, ws)
            runner = env.service.runner
            await runner.submit(HALL, lambda now: Press(now, "B01", "Q1", 10))
            await next_of(ws, "sold")
            await next_of(ws, "withdrawn", timeout=5)  # round 2 of Q1 lapses
            state = await (await env.clients[0].get(f"/api/halls/{HALL}/state")).json()
            return list(state["results"])

    before = run(first())
    assert [m["t"] for m in before] == ["withdrawn", "sale"]
    assert before[0]["units"] == 40 and before[1]["buyer"] == "B01"

    async def second() -> list[dict[str, Any]]:
        app = build_app(url, SECRET)  # the same database, a new process's memory
        server = TestServer(app)
        client: TestClient[Any, Any] = TestClient(server)
        await client.start_server()
        try:
            state = await (await client.get(f"/api/halls/{HALL}/state")).json()
            async with asyncio.timeout(5):
                ws = await client.ws_connect(f"/ws/{HALL}")
                on_connect = await next_of(ws, "state")
            assert on_connect["results"] == state["results"]
            return list(state["results"])
        finally:
            await client.close()

    assert run(second()) == before


def test_a_burst_of_presses_is_committed_in_groups_and_acked_each(tmp_path: Path) -> None:
    from jiqun.market.core.engine import EngineError, HallEngine

    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            auctioneer = await env.client("AUC")
            r = await env.post(auctioneer, f"/api/halls/{HALL}/open")
            assert r.status == 200
            runner = env.service.runner
            market = runner.market
            batches: list[int] = []
            real = market.submit_many

            def spy(items: Any, each: Any) -> Any:
                batches.append(len(items))
                return real(items, each)

            market.submit_many = spy  # type: ignore[method-assign]
            # a copy of the engine, fed the same inputs one by one: the oracle
            copy = await runner.call(lambda m: m.state())
            futures, sent = [], []
            for i in range(40):
                buyer = "B01" if i % 2 else "B02"

                def make(now: int, buyer: str = buyer, i: int = i) -> Press:
                    press = Press(now, buyer, "L001", 1 + i % 7)
                    sent.append(press)
                    return press

                futures.append(runner.enqueue(HALL, make))
            # one input of the burst that cannot be applied (stamped in the past): it alone fails
            futures.append(runner.enqueue(HALL, lambda now: Press(now - 60_000, "B01", "L001", 5)))
            results = await asyncio.gather(*futures, return_exceptions=True)
            assert isinstance(results[-1], EngineError)
            assert max(batches) > 1  # grouped
            assert sum(batches) >= 41
            from jiqun.market.codec import market_from

            halls, _ = market_from(copy)
            engine = HallEngine(CLOCK, FEES, state=halls[HALL])
            for press, got in zip(sent, results[:-1], strict=True):
                assert got == engine.apply(press)
            assert await runner.call(lambda m: m.verify()) == []  # journal replays to the same

    run(go())


def test_a_broadcast_waits_for_the_writers_job_and_still_moves_on(tmp_path: Path) -> None:
    """A slice of a broadcast does not run while the writer thread runs a job (both would
    fight over the GIL); when the job ends the broadcast goes on, a slice per job at least,
    and every subscriber gets every frame in order."""
    import threading

    from jiqun.market.service.runner import WRITE_SLICE, MarketRunner

    class Sub:
        def __init__(self) -> None:
            self.got: list[bytes] = []

        def deliver(self, data: bytes) -> None:
            self.got.append(data)

    async def go() -> None:
        runner = MarketRunner(DurableMarket.open(f"sqlite:///{tmp_path / 'm.db'}"))
        await runner.start()
        subs = [Sub() for _ in range(3 * WRITE_SLICE)]
        for sub in subs:
            runner.subscribe(HALL, sub)
        release, running = threading.Event(), threading.Event()

        def job(market: DurableMarket) -> None:
            running.set()
            release.wait(10)

        slow = asyncio.ensure_future(runner.call(job))
        await asyncio.get_running_loop().run_in_executor(None, running.wait, 10)
        h = runner._hall(HALL)  # (frames as the runner queues a turn's messages)
        for frame in (b"one", b"two"):
            h.outbox.append(frame)
            runner._schedule_flush()
            await asyncio.sleep(0.02)
        assert all(sub.got == [] for sub in subs)  # the writer's job holds the broadcast
        release.set()
        await slow
        for _ in range(200):
            if all(sub.got == [b"one", b"two"] for sub in subs):
                break
            await asyncio.sleep(0.005)
        assert all(sub.got == [b"one", b"two"] for sub in subs)
        # a writer that never rests still lets one slice through after each of its jobs
        runner._busy = True  # (as if a job had started)
        h.outbox.append(b"three")
        runner._schedule_flush()
        for jobs in (1, 2, 3):
            await runner.call(lambda m: None)
            runner._busy = True  # (as if the next job had started at once)
            told = sum(sub.got[-1] == b"three" for sub in subs)
            assert told == jobs * WRITE_SLICE
        runner._busy = False
        await runner.close()

    run(go())
