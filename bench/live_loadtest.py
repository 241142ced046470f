#!/usr/bin/env python
"""The live market's load test at several sizes, repeated: a Markdown table for RESULTS.md.

Each run is ``jiqun market loadtest --buyers N --duration S --json`` in its own process (it
starts its own demo server in a child process), so runs do not share a warm cache or a loop.
Prints each run's JSON line as it ends, then one table row per run with the machine's load
average at its start (the figures are only comparable on an otherwise quiet machine).

    .venv/bin/python bench/live_loadtest.py --buyers 1000 5000 --duration 20 --repeat 3
    .venv/bin/python bench/live_loadtest.py --interest 0.1 1 --repeat 2   # both press models
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

COLUMNS = (
    ("buyers", "buyers"),
    ("interest", "interest"),
    ("connected", "connected"),
    ("presses", "presses"),
    ("sales", "sales"),
    ("lost", "lost"),
    ("ack_p50_ms", "ack p50 (ms)"),
    ("ack_p99_ms", "ack p99 (ms)"),
    ("fanout_p99_ms", "fan-out p99 (ms)"),
    ("clock_error_p99_ms", "clock error p99 (ms)"),
    ("stop_fanout_p99_ms", "stop fan-out p99 (ms)"),
    ("server_cpu_pct", "server CPU %"),
    ("client_lag_p99_ms", "client loop lag p99 (ms)"),
)


def one(buyers: int, duration: float, interest: float) -> dict[str, Any]:
    jiqun = Path(sys.executable).with_name("jiqun")
    command = [str(jiqun), "market", "loadtest", "--buyers", str(buyers)]
    command += ["--duration", str(duration), "--interest", str(interest), "--json"]
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_at_start"] = round(load, 1)
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interest", type=float, nargs="+", default=[0.1])
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeat):
        for interest in args.interest:
            for buyers in args.buyers:
                result = one(buyers, args.duration, interest)
                print(json.dumps(result, ensure_ascii=False), flush=True)
                rows.append(result)
    print()
    print("| " + " | ".join(title for _, title in COLUMNS) + " | load avg at start |")
    print("|" + "---|" * (len(COLUMNS) + 1))
    for r in sorted(rows, key=lambda r: (r["interest"], r["buyers"])):
        cells = [str(r.get(key)) for key, _ in COLUMNS] + [str(r["load_at_start"])]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
