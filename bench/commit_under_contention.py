#!/usr/bin/env python
"""Benchmark: a group commit of sales on SQLite, alone and while another thread wants the GIL.

In the live server the writer thread commits a group of presses while the event loop thread
runs Python (writing a broadcast to thousands of sockets). SQLite runs in the writer's process:
every statement it executes, and every row it returns, lets go of the GIL and must get it back
from the busy loop thread, which (switch interval 0.2 ms, as the server sets it) can take up to
an interval each time. So a commit's time under contention grows with its number of statements,
not with its work. This script times :meth:`DurableMarket.submit_many` of ``--group`` presses
that each buy (one sale each: journal row, engine, postings, balances), quiet and with a
thread spinning in Python beside it, and counts the SQL statements of one commit.

    .venv/bin/python bench/commit_under_contention.py --groups 200 --group 1 8 32

It uses only the journal's public API (the market of ``bench_market.py``'s ``durable``), so it
also runs on an older checkout (``PYTHONPATH=<checkout>/src``) for a before/after figure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_market import stopped_clock_market  # (beside this script)

from jiqun.market.core.events import Input, Output, Press, Sale

SWITCH_INTERVAL_S = 0.0002  # as the server sets it (jiqun.aio)


def spin(stop: threading.Event) -> None:
    """Pure Python, as the loop thread writing a broadcast: holds the GIL between switches."""
    n = 0
    while not stop.is_set():
        for _ in range(1000):
            n += 1


def measure(group: int, groups: int, contended: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        market, buyers = stopped_clock_market(f"sqlite:///{Path(tmp) / 'm.db'}", 10**9)
        rng = random.Random(group)
        at = 150
        statements = 0

        def count(_: str) -> None:
            nonlocal statements
            statements += 1

        def each(hall: str, event: Input, seq: int, apply: Any) -> list[Output]:
            outputs: list[Output] = apply()
            return outputs

        stop = threading.Event()
        spinner = threading.Thread(target=spin, args=(stop,), daemon=True)
        if contended:
            spinner.start()
        times: list[float] = []
        try:
            for g in range(groups + 1):
                presses: list[tuple[str, Input]] = []
                for _ in range(group):
                    at += 1
                    presses.append(("A", Press(at, rng.choice(buyers), "L1", 1)))
                if g == 1:  # (the writer's connection exists after the first commit)
                    raw = market._writer.connection.dbapi_connection  # type: ignore[union-attr]
                    raw.set_trace_callback(count)
                started = time.perf_counter()
                results = market.submit_many(presses, each)
                elapsed = time.perf_counter() - started
                if g == 1:
                    raw.set_trace_callback(None)
                if g:  # (the first warms the caches)
                    times.append(elapsed * 1000)
                sold = sum(isinstance(o, Sale) for outs in results for o in outs)
                assert sold == group, (sold, group)
        finally:
            stop.set()
            if contended:
                spinner.join()
            market.close()
    times.sort()
    return {
        "group": group,
        "contended": contended,
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99)], 2),
        "statements": statements,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200, help="group commits per figure")
    parser.add_argument("--group", type=int, nargs="+", default=[1, 8, 32], help="presses each")
    args = parser.parse_args()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    print(
        "| presses per commit | SQL statements | quiet p50 / p99 (ms) | contended p50 / p99 (ms) |"
    )
    print("|---|---|---|---|")
    for group in args.group:
        quiet = measure(group, args.groups, contended=False)
        busy = measure(group, args.groups, contended=True)
        print(
            f"| {group} | {quiet['statements']} | {quiet['p50_ms']} / {quiet['p99_ms']} "
            f"| {busy['p50_ms']} / {busy['p99_ms']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
