#!/usr/bin/env python
"""The live crash test: kill -9 ``jiqun serve`` during a load test, restart it, prove M6.

A temporary SQLite market (the demo's staff, suppliers and halls, plus the load test's buyers)
is served by ``jiqun serve`` in a child process; ``jiqun market loadtest``'s buyers (real
WebSocket clients) press on hall 2 while this script SIGKILLs the server ``--kills`` times and
restarts it each time. The buyers reconnect with their sessions and go on from the state the
new server sends. At the end it proves: every sale a buyer saw acknowledged is in the ledger;
``jiqun market reconcile`` passes; the recovered state equals a replay of the journal; no lot
sold more than it had; trading went on after the last restart. The code is
:func:`jiqun.market.crashtest.run_live_crash`, which
``tests/market/service/test_crash_live.py`` runs briefly.

    .venv/bin/python bench/crash_live.py --buyers 200 --duration 30 --kills 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from jiqun.market.crashtest import run_live_crash
from jiqun.market.service import demo

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of pressing")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--first-kill", type=float, default=5.0, help="seconds into the run")
    parser.add_argument("--workdir", type=Path, default=HERE / "out" / "crash_live")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    demo.light_passwords()  # the demo's log-ins: light Argon2 (set-up of many buyers)
    result = run_live_crash(
        args.workdir,
        buyers=args.buyers,
        duration_s=args.duration,
        kills=args.kills,
        first_kill_s=args.first_kill,
        log=lambda line: print(line, flush=True),
    )
    print(json.dumps(result.loadtest, ensure_ascii=False))
    print(
        f"kills {result.kills}, sales acknowledged {len(result.acked)} "
        f"({result.acked_before_last_kill} before the last kill), sales in the ledger "
        f"{result.ledger_sales}, reconcile ok {result.reconcile.get('ok')}, "
        f"{result.seconds:.1f} s"
    )
    if result.ok:
        print(
            "OK: every acknowledged sale is in the ledger; jiqun market reconcile passes; "
            "recovery equals a replay of the journal; clients reconnected and traded on"
        )
        return 0
    print("FAILED:")
    for problem in result.problems:
        print(f"  {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
