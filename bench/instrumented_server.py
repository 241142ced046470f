#!/usr/bin/env python
"""A demo server that times each press on the server's side: where an ack's time goes.

The load test measures an ack from the client's side (send → ack read), so the client
processes' own queueing is in it. This server (the demo server of ``jiqun market loadtest``,
without simulated buyers) wraps the market runner's writer and loop steps and, on SIGUSR1,
prints the percentiles (ms) of, per press:

- ``stamp→reply``: the press stamped on the loop → its ack written (the server's whole part
  after reading it);
- ``commit``: the writer thread's group commit that held it (journal, engine, ledger);
- ``handback→finish``: the commit handed back → the loop finishing the group (reply, broadcast);
- ``group``: presses in that group commit;
- ``loop lag``: how late a 5 ms timer on the loop fires (the loop held by a write, a
  collection, or the writer thread holding the GIL);

and every full garbage collection and journal snapshot with its duration, and the slowest
presses with the time since the last of those (was it behind one?) and what the writer thread
did while they waited for it.

    .venv/bin/python bench/instrumented_server.py --dir /tmp/d --port 8765 &
    .venv/bin/jiqun market loadtest --url http://127.0.0.1:8765 --buyers 5000 --duration 20
    kill -USR1 %1; kill %1
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import time
from typing import Any

from jiqun.market.core.events import Press
from jiqun.market.journal import DurableMarket
from jiqun.market.service import demo
from jiqun.market.service import runner as market_runner
from jiqun.market.service.loadtest import percentile

Runner = market_runner.MarketRunner
rows: dict[str, list[float]] = {
    "stamp→reply": [],
    "commit": [],
    "handback→finish": [],
    "group": [],
    "loop lag": [],
}
marks: dict[int, list[float]] = {}  # id(job) → [commit start, commit end, handed back]
events: list[tuple[float, str, float]] = []  # (start, what, ms): full collections, snapshots
slow: list[tuple[float, float, str]] = []  # (stamp→reply ms, stamped at (monotonic), parts)
work: list[tuple[float, float, str]] = []  # the writer thread's jobs: (start, end, what)
_commit, _hand_back, _finish = Runner._commit, Runner._hand_back, Runner._finish
_call, _write = Runner.call, Runner._write
broadcast: list[tuple[float, float]] = []  # the loop writing a slice of a broadcast
_snapshot, _start = DurableMarket.snapshot, Runner.start
_gc_started = 0.0


def now_ms() -> float:
    return time.monotonic() * 1000.0


def timed_commit(self: Any, batch: list[Any], outcomes: list[Any]) -> None:
    start = now_ms()
    _commit(self, batch, outcomes)
    end = now_ms()
    kinds = sorted({type(job.event).__name__ for job in batch})
    work.append((start, end, f"group of {len(batch)} {'/'.join(kinds)}"))
    for job in batch:
        marks[id(job)] = [start, end]


async def timed_call(self: Any, fn: Any) -> Any:
    def timed(market: Any) -> Any:
        start = now_ms()
        try:
            return fn(market)
        finally:
            work.append((start, now_ms(), f"call {getattr(fn, '__qualname__', fn)}"))

    return await _call(self, timed)


def timed_hand_back(self: Any, batch: list[Any], outcomes: list[Any]) -> None:
    handed = now_ms()
    for job in batch:
        marks.get(id(job), []).append(handed)
    _hand_back(self, batch, outcomes)


def timed_finish(self: Any, batch: list[Any], outcomes: list[Any]) -> None:
    started = now_ms()
    _finish(self, batch, outcomes)
    replied = self.now()
    for job in batch:
        mark = marks.pop(id(job), None)
        if isinstance(job.event, Press) and mark is not None and len(mark) == 3:
            rows["stamp→reply"].append(replied - job.event.at_ms)
            stamped = now_ms() - (replied - job.event.at_ms)
            parts = (
                f"queued {mark[0] - stamped:.0f}, commit {mark[1] - mark[0]:.0f}, "
                f"hand back {mark[2] - mark[1]:.0f}, to the loop {started - mark[2]:.0f}, "
                f"group {len(batch)}, loop broadcasting {writing(mark[0], mark[1]):.0f} ms "
                "of the commit"
            )
            slow.append((replied - job.event.at_ms, stamped, parts + writer(stamped, mark[0])))
            rows["commit"].append(mark[1] - mark[0])
            rows["handback→finish"].append(started - mark[2])
            rows["group"].append(len(batch))


def timed_write(self: Any, h: Any, start: int, waited: bool = False) -> None:
    began = now_ms()
    _write(self, h, start, waited)
    broadcast.append((began, now_ms()))


def writing(since: float, until: float) -> float:
    """How long the loop spent writing broadcasts between ``since`` and ``until``."""
    spans = [(a, b) for a, b in broadcast[-400:] if b > since and a < until]
    return sum(min(b, until) - max(a, since) for a, b in spans)


def writer(since: float, until: float) -> str:
    """What the writer thread did while a press waited for it: its jobs in that span and
    the time it spent outside any of them (waiting for the GIL, or handing back)."""
    jobs = [(a, b, what) for a, b, what in work[-200:] if b > since and a < until]
    busy = sum(min(b, until) - max(a, since) for a, b, _ in jobs)
    listed = ", ".join(f"{what} {b - a:.1f}" for a, b, what in jobs[-6:])
    return f"; writer meanwhile: {listed or 'nothing'}; outside jobs {until - since - busy:.0f}"


def timed_snapshot(self: Any) -> int:
    start = now_ms()
    try:
        return _snapshot(self)
    finally:
        events.append((start, "snapshot", now_ms() - start))


def on_gc(phase: str, info: dict[str, Any]) -> None:
    global _gc_started
    if info["generation"] != 2:
        return
    if phase == "start":
        _gc_started = now_ms()
    else:
        events.append((_gc_started, "full collection", now_ms() - _gc_started))


async def lag_monitor() -> None:
    while True:
        before = now_ms()
        await asyncio.sleep(0.005)
        rows["loop lag"].append(now_ms() - before - 5)


async def started(self: Any) -> None:
    await _start(self)
    asyncio.get_running_loop().create_task(lag_monitor())


def report(*_: object) -> None:
    """The percentiles as the load test computes its own (:func:`loadtest.percentile`)."""
    for name, values in rows.items():
        if values:
            p = {q: percentile(values, q) for q in (50, 90, 99)}
            print(
                f"{name}: n={len(values)} p50={p[50]} p90={p[90]} p99={p[99]} "
                f"max={max(values):.1f}",
                file=sys.stderr,
                flush=True,
            )
    for start, what, ms in events:
        print(f"{what} at {start:.0f} ms: {ms:.1f} ms", file=sys.stderr, flush=True)
    for ms, at, parts in sorted(slow, reverse=True)[:8]:
        before = [(at - start, what) for start, what, _ in events if start <= at]
        last = f"; {before[-1][0]:.0f} ms after a {before[-1][1]}" if before else ""
        print(f"slow press at {at:.0f} ms: {ms:.0f} ms ({parts}){last}", file=sys.stderr)


if __name__ == "__main__":
    Runner._commit = timed_commit  # type: ignore[method-assign]
    Runner._hand_back = timed_hand_back  # type: ignore[method-assign]
    Runner._finish = timed_finish  # type: ignore[method-assign]
    Runner.start = started  # type: ignore[method-assign]
    Runner.call = timed_call  # type: ignore[method-assign]
    Runner._write = timed_write  # type: ignore[method-assign]
    DurableMarket.snapshot = timed_snapshot  # type: ignore[method-assign]
    gc.callbacks.append(on_gc)
    signal.signal(signal.SIGUSR1, report)
    demo.main(sys.argv[1:])
