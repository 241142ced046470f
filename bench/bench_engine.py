"""Benchmark: the clock engine's presses per second, in memory (issue "Market I").

A trading day of many lots and buyers: presses arrive in time order, most of them losers
(the clock already stopped, sold out, below the minimum, wrong lot), as in a real hall where
many buyers press at once. Only ``HallEngine.apply`` is timed; building the inputs is not.

    .venv/bin/python bench/bench_engine.py               # 1,000,000 presses, best of 5
    .venv/bin/python bench/bench_engine.py --presses 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from jiqun.market.core.engine import CLOSED, WAITING, WINDOW, HallEngine
from jiqun.market.core.events import Advance, Deposit, Open, Press
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role

CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=2000, restart_steps=10, same_stop_ms=150)


def build(presses: int, buyers: int, seed: int) -> tuple[list[Member], list[Lot], list[Press]]:
    """Members, lots and a day's presses: bursts of presses around each round's stop.

    The presses are generated against a dry run of the engine, so that each burst falls inside
    a round that is really running; the timed run replays them from scratch.
    """
    rng = random.Random(seed)
    members = [Member(f"B{i:04d}", Role.BUYER) for i in range(buyers)]
    members += [Member(f"S{i:02d}", Role.SUPPLIER) for i in range(20)]
    lots = [
        Lot(
            f"L{i:06d}",
            f"S{i % 20:02d}",
            "黄瓜",
            "一级",
            rng.randint(20, 200),
            10000,
            rng.randint(400, 800),
            rng.randint(100, 300),
            rng.randint(1, 10),
        )
        for i in range(max(1, presses // 30))
    ]
    dry = _engine(members, lots)
    out: list[Press] = []
    while len(out) < presses and dry.state.phase != CLOSED:
        s = dry.state
        if s.phase == WAITING:
            dry.apply(Advance(s.start_at))
            continue
        if s.phase == WINDOW:
            dry.apply(Advance(s.stop_at + CLOCK.same_stop_ms + 1))
            continue
        lot = s.lots[s.current].lot.id
        stop = rng.randint(s.round_start, min(s.round_end - 1, s.round_start + 3000))
        for at in sorted(stop + rng.randint(0, 250) for _ in range(rng.randint(5, 60))):
            press = Press(at, f"B{rng.randrange(buyers):04d}", lot, rng.randint(1, 40))
            dry.apply(press)
            out.append(press)
    return members, lots, out[:presses]


def _engine(members: list[Member], lots: list[Lot]) -> HallEngine:
    engine = HallEngine(CLOCK, MarketSettings(300, 50), members, lots)
    for m in members:
        if m.role is Role.BUYER:
            engine.apply(Deposit(0, m.id, 10**12))
    engine.apply(Open(0))
    return engine


def run_once(
    members: list[Member], lots: list[Lot], presses: list[Press]
) -> tuple[float, Counter[str]]:
    apply = _engine(members, lots).apply
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    for press in presses:
        for out in apply(press):
            counts[type(out).__name__] += 1
    return time.perf_counter() - started, counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presses", type=int, default=1_000_000)
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    members, lots, presses = build(args.presses, args.buyers, args.seed)
    times = []
    counts: Counter[str] = Counter()
    for _ in range(args.repeat):
        elapsed, counts = run_once(members, lots, presses)
        times.append(elapsed)
    best = min(times)
    median = sorted(times)[len(times) // 2]
    print(f"presses: {len(presses):,}  lots: {len(lots):,}  buyers: {args.buyers:,}")
    print(f"outputs per run: {dict(counts)}")
    print(
        f"best {best:.3f} s = {len(presses) / best:,.0f} presses/s; "
        f"median {median:.3f} s = {len(presses) / median:,.0f} presses/s"
    )


if __name__ == "__main__":
    main()
