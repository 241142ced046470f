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
- ``group``: presses in that group commit.

    .venv/bin/python bench/instrumented_server.py --dir /tmp/d --port 8765 &
    .venv/bin/jiqun market loadtest --url http://127.0.0.1:8765 --buyers 5000 --duration 20
    kill -USR1 %1; kill %1
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

from jiqun.market.core.events import Press
from jiqun.market.service import demo
from jiqun.market.service import runner as market_runner
from jiqun.market.service.loadtest import percentile

Runner = market_runner.MarketRunner
rows: dict[str, list[float]] = {"stamp→reply": [], "commit": [], "handback→finish": [], "group": []}
marks: dict[int, list[float]] = {}  # id(job) → [commit start, commit end, handed back]
_commit, _hand_back, _finish = Runner._commit, Runner._hand_back, Runner._finish


def now_ms() -> float:
    return time.monotonic() * 1000.0


def timed_commit(self: Any, batch: list[Any], outcomes: list[Any]) -> None:
    start = now_ms()
    _commit(self, batch, outcomes)
    end = now_ms()
    for job in batch:
        marks[id(job)] = [start, end]


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
            rows["commit"].append(mark[1] - mark[0])
            rows["handback→finish"].append(started - mark[2])
            rows["group"].append(len(batch))


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


if __name__ == "__main__":
    Runner._commit = timed_commit  # type: ignore[method-assign]
    Runner._hand_back = timed_hand_back  # type: ignore[method-assign]
    Runner._finish = timed_finish  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, report)
    demo.main(sys.argv[1:])
