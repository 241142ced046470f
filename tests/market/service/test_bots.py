"""The simulated buyers' bidding (jiqun.market.service.bots): which lots a buyer bids on."""

from __future__ import annotations

import asyncio
import random
from typing import Any, cast

from jiqun.market.service import bots


def bot(interest: float, seed: int = 1) -> bots.Bot:
    return bots.Bot(
        cast(Any, None),  # no HTTP: only the bidding is exercised
        "http://127.0.0.1:1",
        "A",
        "T00001",
        "pw",
        bots.Metrics(),
        bots.Behaviour(interest=interest),
        random.Random(seed),
    )


def a_round(lot: str) -> dict[str, Any]:
    now = bots.now_ms()
    return {
        "t": "round",
        "lot": lot,
        "round": 1,
        "at": now,
        "start_fen": 600,
        "step_fen": 2,
        "tick_ms": 100,
        "ends_at": now + 100_000,
    }


def test_a_buyer_plans_a_press_only_for_a_lot_he_wants() -> None:
    async def go() -> tuple[bool, bool]:
        planned = []
        for interest in (0.0, 1.0):
            b = bot(interest)
            b.offset = 0.0
            b._plan(a_round("L1"))
            planned.append(b.planned is not None)
            if b.planned is not None:
                b.planned.cancel()
        return planned[0], planned[1]

    assert asyncio.run(go()) == (False, True)


def test_interest_is_drawn_once_per_lot_at_the_given_rate() -> None:
    b = bot(0.3, seed=7)
    decisions = [b._wants(f"L{n}") for n in range(4000)]
    assert 0.27 < sum(decisions) / len(decisions) < 0.33
    first = b._wants("X")
    assert all(b._wants("X") == first for _ in range(50))  # the same lot: the same answer


def test_clock_error_is_measured_against_the_fastest_sample_of_all() -> None:
    m = bots.Metrics()
    b = bot(1.0)
    b.metrics = m
    # local clock 5 ms behind the server; samples with round trips of 40, 0.4 and 10 ms
    for c, rtt, skew in ((1_000.0, 40.0, 15.0), (2_000.0, 0.4, 0.0), (3_000.0, 10.0, -4.0)):
        arrived = c + rtt
        s = (c + arrived) / 2 + 5.0 + skew  # the server stamped it off-centre by ``skew``
        b._on_sync({"t": "sync", "c": c, "s": s}, arrived)
        b.server_now()  # the buyer draws the clock
    assert m.reference_offset() == 5.0
    # the buyer drew with 20 ms (one sample), then 5 ms (the fast one kept), then still 5 ms
    assert m.clock_error_ms() == [15.0, 0.0, 0.0]
    m.round_seen_local_ms.append(30.0)  # read 30 ms after ``at`` by the local clock
    assert m.fanout_ms() == [35.0]
    # an announced round, read 200 ms (server time) before it starts: learnt in time
    m.round_seen_local_ms.append(-205.0)
    assert m.fanout_ms() == [35.0, 0.0]
    m.stop_seen_local_ms.append(12.0)  # a stop is never announced: its delay counts
    assert m.stop_fanout_ms() == [17.0]


def test_a_buyer_plans_for_an_announced_round_and_drops_it_when_the_hall_is_held() -> None:
    async def go() -> tuple[bool, bool]:
        b = bot(1.0)
        b.offset = 0.0
        announced = {**a_round("L1"), "at": bots.now_ms() + 2_000}
        announced["ends_at"] = announced["at"] + 100_000
        lot = {"id": "L1", "min_purchase": 1}
        b._on({"t": "state", "phase": "waiting", "lot": lot, "round": announced})
        planned = b.planned is not None and b.planned.when() - asyncio.get_running_loop().time()
        b._on({"t": "state", "phase": "waiting", "held": True, "lot": lot, "round": None})
        return bool(planned and planned > 2.0), b.planned is None

    assert asyncio.run(go()) == (True, True)
