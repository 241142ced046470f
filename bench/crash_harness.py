#!/usr/bin/env python
"""The crash harness at full length: SIGKILL a trading market many times, then prove M6.

A child process trades a generated day (two halls, thousands of presses) through
``DurableMarket`` on SQLite and prints each sale only once ``submit`` has returned it. This
script kills the child with SIGKILL at random moments ``--kills`` times, restarts it each time
(it recovers and resumes from the journal), lets the last run finish, and proves: every
acknowledged sale is in the ledger; no unit was sold twice; every account equals its entries;
the recovered state equals a replay of the whole journal and the same day run with no crash.
The code is :mod:`jiqun.market.crashtest`, which ``tests/market/test_crash.py`` runs briefly.

    .venv/bin/python bench/crash_harness.py --kills 100
    .venv/bin/python bench/crash_harness.py --kills 30 --db postgresql://postgres@127.0.0.1/x
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from jiqun.market.crashtest import run_harness

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--presses", type=int, default=20_000, help="presses in the day")
    parser.add_argument("--seed", type=int, default=20260601, help="the day's generator")
    parser.add_argument("--rng-seed", type=int, default=1, help="when the kills come")
    parser.add_argument("--snapshot-every", type=int, default=1_000)
    parser.add_argument("--db", help="a database URL (default: a SQLite file in --workdir)")
    parser.add_argument("--workdir", type=Path, default=HERE / "out" / "crash")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    result = run_harness(
        args.workdir,
        url=args.db,
        seed=args.seed,
        presses=args.presses,
        kills=args.kills,
        snapshot_every=args.snapshot_every,
        rng_seed=args.rng_seed,
        log=lambda line: print(line, flush=True),
    )
    resumed = sorted(set(result.resumed_at))
    print(
        f"kills {result.kills}, runs {result.runs}, journal inputs {result.journal_inputs}, "
        f"sales acknowledged {len(result.acked)}, sales in the ledger {result.sales_in_ledger}, "
        f"distinct resume points {len(resumed)}, {result.seconds:.1f} s"
    )
    if result.ok:
        print(
            "OK: every acknowledged sale is in the ledger; no unit sold twice; every account "
            "equals its entries; recovery equals a full replay and the crash-free day"
        )
        return 0
    print("FAILED:")
    for problem in result.problems:
        print(f"  {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
