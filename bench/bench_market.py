#!/usr/bin/env python
"""Benchmark: the durable market on SQLite and PostgreSQL (PRODUCT.md M6, issue "Market I").

- ``durable``: sales per second through :class:`DurableMarket`, every sale its own input,
  its own database transaction and its own commit before the next press is taken (what a
  buyer's acknowledgement costs). Also every input of a generated trading day (presses that
  lose, timers, cash), each committed alone.
- ``recovery``: a journal of ``--inputs`` inputs (default 1,000,000) of generated trading days,
  written directly in bulk (submitting a million inputs one commit at a time would take long),
  then recovered through the real recovery code in a fresh process: the full replay from the
  first input (no snapshot) and the usual case (the latest snapshot + the inputs after it).

    .venv/bin/python bench/bench_market.py durable --sales 20000
    .venv/bin/python bench/bench_market.py recovery --inputs 1000000
    .venv/bin/python bench/bench_market.py all --json bench/out/market.json

PostgreSQL runs in a database created for the run (``jiqun_bench_<pid>``) on the server of
``--pg`` and dropped afterwards; SQLite in ``--out``. No engine-only (in-memory presses/s)
figure here: ``bench/bench_engine.py`` has it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jiqun.market.codec import encode
from jiqun.market.core.events import AddLot, AddMember, Deposit, Open, Press, Sale
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.crashtest import CLOCK, HALLS, MARKET, DaySimulator, trading_day
from jiqun.market.journal import ALL_HALLS, DurableMarket
from jiqun.market.store import migrate

HERE = Path(__file__).resolve().parent
ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database(backend: str, out: Path, admin: str, tag: str) -> Iterator[str]:
    """A fresh, empty database of the backend for one measurement."""
    if backend == "sqlite":
        path = out / f"bench-{tag}.db"
        for suffix in ("", "-wal", "-shm", ".writer-lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    name = f"jiqun_bench_{os.getpid()}_{tag}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()


# ---------------------------------------------------------------------------- durable sales


def stopped_clock_market(url: str, snapshot_every: int) -> tuple[DurableMarket, list[str]]:
    """Hall "A" with lot "L1" on a clock that stays stopped (the window W outlasts any run)
    and 50 rich buyers: every press buys one sale (also ``commit_under_contention.py``)."""
    market = DurableMarket.open(url, snapshot_every=snapshot_every)
    market.add_hall("A", ClockSettings(100, 2, 2000, 10, 10**12), MarketSettings(300, 50))
    buyers = [f"B{i:03d}" for i in range(50)]
    for b in buyers:
        market.submit("A", AddMember(0, Member(b, Role.BUYER)))
        market.submit("A", Deposit(0, b, 10**13))
    market.submit("A", AddMember(0, Member("S01", Role.SUPPLIER)))
    market.submit("A", AddLot(0, Lot("L1", "S01", "黄瓜", "一级", 10**9, 10_000, 600, 200, 1)))
    market.submit("A", Open(0))
    return market, buyers


def durable_sales(url: str, sales: int) -> dict[str, Any]:
    """Each press buys (the clock stays stopped: W is longer than the run), so each input
    is one sale: journal row, engine, postings, balances, one commit, then the next."""
    market, buyers = stopped_clock_market(url, snapshot_every=10_000)
    rng = random.Random(1)
    presses = [Press(150 + i, rng.choice(buyers), "L1", rng.randrange(1, 6)) for i in range(sales)]
    latencies: list[float] = []
    sold = 0
    started = time.perf_counter()
    for press in presses:
        t0 = time.perf_counter()
        outputs = market.submit("A", press)
        latencies.append(time.perf_counter() - t0)
        sold += sum(isinstance(o, Sale) for o in outputs)
    seconds = time.perf_counter() - started
    ok = market.ledger.reconcile().ok
    market.close()
    assert sold == sales, (sold, sales)
    latencies.sort()
    return {
        "sales": sold,
        "seconds": round(seconds, 3),
        "sales_per_s": round(sold / seconds),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3),
        "reconciled": ok,
    }


def durable_day(url: str, presses: int) -> dict[str, Any]:
    """A generated day: every input (losing presses, timers, cash too) committed alone."""
    steps = trading_day(11, presses).steps
    market = DurableMarket.open(url, snapshot_every=10_000)
    for hall in HALLS:
        market.add_hall(hall, CLOCK, MARKET)
    sold = 0
    started = time.perf_counter()
    for step in steps:
        sold += sum(isinstance(o, Sale) for o in market.submit(step.hall, step.event))
    seconds = time.perf_counter() - started
    market.close()
    return {
        "inputs": len(steps),
        "sales": sold,
        "seconds": round(seconds, 3),
        "inputs_per_s": round(len(steps) / seconds),
        "sales_per_s": round(sold / seconds),
    }


# ---------------------------------------------------------------------------- recovery


def build_journal(url: str, inputs: int, tail: int, seed: int = 20261127) -> dict[str, Any]:
    """Write ``inputs`` journal rows of generated days in bulk, and the snapshot a running
    market would have written ``tail`` inputs before the end."""
    engine = migrate(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for hall in HALLS:
            conn.execute(
                sa.text(
                    "INSERT INTO halls VALUES "
                    "(:id, :tick, :step, :pause, :restart, :w, :c, :f, 'v1')"
                ),
                {
                    "id": hall,
                    "tick": CLOCK.tick_ms,
                    "step": CLOCK.step_fen,
                    "pause": CLOCK.pause_ms,
                    "restart": CLOCK.restart_steps,
                    "w": CLOCK.same_stop_ms,
                    "c": MARKET.seller_commission_bps,
                    "f": MARKET.buyer_fee_bps,
                },
            )
    simulator = DaySimulator(seed, presses=inputs)  # more presses than needed: cut at `inputs`
    snapshot_at = inputs - tail
    snapshot: dict[str, Any] | None = None
    postgres = engine.dialect.name == "postgresql"
    batch: list[tuple[int, str, str, str, int]] = []

    def flush() -> None:
        with engine.begin() as conn:
            raw: Any = conn.connection.driver_connection
            if postgres:
                with raw.cursor().copy(
                    "COPY journal (seq, hall, kind, payload, at_ms) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                raw.executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?)", batch)
        batch.clear()

    for seq, step in enumerate(itertools.islice(simulator.steps(), inputs), start=1):
        kind, payload = encode(step.event)
        batch.append(
            (seq, step.hall, kind, json.dumps(payload, ensure_ascii=False), step.event.at_ms)
        )
        if len(batch) == 50_000:
            flush()
        if seq == snapshot_at:
            snapshot = simulator.final()
    if batch:
        flush()
    assert snapshot is not None
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO snapshots (hall, seq, state) VALUES (:h, :s, :state)"),
            {"h": ALL_HALLS, "s": snapshot_at, "state": json.dumps(snapshot, ensure_ascii=False)},
        )
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "inputs": inputs,
        "snapshot_at": snapshot_at,
        "build_s": round(seconds, 1),
        "final": simulator.final(),
    }


def measure_recovery(url: str) -> dict[str, Any]:
    """In a fresh process: open (snapshot + tail), then a full replay from the first input."""
    t0 = time.perf_counter()
    market = DurableMarket.open(url, snapshot_every=0)
    t1 = time.perf_counter()
    with_snapshot = market.state()
    replayed_after_snapshot = market.replayed
    market.recover(use_snapshot=False)
    t2 = time.perf_counter()
    same = market.state() == with_snapshot
    result = {
        "seq": market.seq,
        "open_with_snapshot_s": round(t1 - t0, 3),
        "replayed_after_snapshot": replayed_after_snapshot,
        "full_replay_s": round(t2 - t1, 3),
        "full_replay_inputs_per_s": round(market.seq / (t2 - t1)),
        "snapshot_equals_full_replay": same,
        "state": market.state(),
    }
    market.close()
    return result


def recovery(url: str, inputs: int, tail: int, repeat: int) -> dict[str, Any]:
    built = build_journal(url, inputs, tail)
    runs = []
    for _ in range(repeat):
        child = subprocess.run(
            [sys.executable, __file__, "measure-recovery", url],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(child.stdout))
    for run in runs:
        assert run["seq"] == inputs and run["snapshot_equals_full_replay"]
        assert run.pop("state") == built["final"], "recovered state differs from the simulation"
    full = sorted(r["full_replay_s"] for r in runs)
    opened = sorted(r["open_with_snapshot_s"] for r in runs)
    return {
        "inputs": inputs,
        "build_s": built["build_s"],
        "full_replay_s_best": full[0],
        "full_replay_s_median": statistics.median(full),
        "open_with_snapshot_s_best": opened[0],
        "open_with_snapshot_s_median": statistics.median(opened),
        "replayed_after_snapshot": runs[0]["replayed_after_snapshot"],
        "runs": runs,
    }


# ---------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    import sqlite3

    import psycopg

    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "psycopg": psycopg.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("durable", "recovery", "all", "measure-recovery"))
    parser.add_argument("url", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sales", type=int, default=20_000, help="durable sales to time")
    parser.add_argument("--day-presses", type=int, default=5_000)
    parser.add_argument("--inputs", type=int, default=1_000_000, help="journal length")
    parser.add_argument("--tail", type=int, default=5_000, help="inputs after the snapshot")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=ADMIN, help="a PostgreSQL URL to create databases from")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.what == "measure-recovery":
        print(json.dumps(measure_recovery(args.url), ensure_ascii=False))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    backends = args.backends.split(",")
    results: dict[str, Any] = {"machine": machine()}
    print(json.dumps(results["machine"]))
    for backend in backends:
        if args.what in ("durable", "all"):
            with database(backend, args.out, args.pg, "sales") as url:
                figures = durable_sales(url, args.sales)
            results[f"{backend}_durable_sales"] = figures
            print(backend, "durable sales", json.dumps(figures), flush=True)
            with database(backend, args.out, args.pg, "day") as url:
                figures = durable_day(url, args.day_presses)
            results[f"{backend}_durable_day"] = figures
            print(backend, "durable day", json.dumps(figures), flush=True)
        if args.what in ("recovery", "all"):
            with database(backend, args.out, args.pg, "recovery") as url:
                figures = recovery(url, args.inputs, args.tail, args.repeat)
            results[f"{backend}_recovery"] = figures
            shown = {k: v for k, v in figures.items() if k != "runs"}
            print(backend, "recovery", json.dumps(shown), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
