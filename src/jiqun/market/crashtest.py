"""The crash harness (PRODUCT.md M6): kill -9 a trading market at random moments and prove
that a restart recovers exactly what was acknowledged.

A child process runs a trading day through :class:`DurableMarket` and prints each sale on
stdout only after :meth:`DurableMarket.submit` returned it (the acknowledgement). The parent
kills it with SIGKILL at random moments, restarts it, and at the end proves:

- every acknowledged sale is in the ledger, as it was acknowledged;
- no unit was sold twice: per lot, units sold + withdrawn ≤ units offered, and the units the
  ledger's sales add up to equal the engine's count;
- every account equals its entries (the ledger's reconciliation passes), and the engines'
  balances equal the ledger's;
- the recovered state equals a replay of the whole journal from empty, and equals the state of
  the same trading day run in memory with no crash at all.

The day's inputs are generated from a seed (:func:`trading_day`), so a restarted child knows
where to resume: input ``seq`` of the journal is step ``seq - 1`` of the day. The child checks
that the last journaled input is that step before it goes on.

Used by ``tests/market/test_crash.py`` (a few kills) and ``bench/crash_harness.py`` (many).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jiqun.market.codec import encode, market_json
from jiqun.market.core.engine import RUNNING, WINDOW, Accounts, HallEngine, HallState
from jiqun.market.core.events import (
    AddLot,
    AddMember,
    Advance,
    Deposit,
    Input,
    Open,
    Payout,
    Press,
    Sale,
    Suspend,
    Withdrawal,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role

HALLS = ("A", "B")
CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=400, restart_steps=10, same_stop_ms=150)
MARKET = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
VARIETIES = (
    ("黄瓜", "瓜菜"),
    ("番茄", "茄果"),
    ("大白菜", "白菜"),
    ("韭菜", "叶菜"),
    ("香菇", "菌菇"),
)
GRADES = ("特级", "一级", "二级")


@dataclass(frozen=True)
class Step:
    hall: str
    event: Input


@dataclass
class Day:
    steps: list[Step]
    offered: dict[str, int]  # units per lot
    final: dict[str, Any]  # the state after every step, run in memory with no crash


class DaySimulator:
    """A day of two halls: members, deposits, lots, presses, timers, cash — deterministic.

    Buyers watch the display board: most presses name the lot on the clock, so that a good
    share of them buy. The simulator runs the day on in-memory engines to know that lot; the
    same engines give the crash-free final state. :meth:`steps` streams the day (a benchmark
    journal of a million inputs need not sit in memory).
    """

    def __init__(self, seed: int, presses: int) -> None:
        self.rng = random.Random(seed)
        self.presses = presses
        self.accounts = Accounts()
        self.engines = {
            h: HallEngine(CLOCK, MARKET, state=HallState(accounts=self.accounts)) for h in HALLS
        }
        self.offered: dict[str, int] = {}
        self.buyers = [f"B{i:02d}" for i in range(1, 21)]
        self.suppliers = [f"S{i}" for i in range(1, 6)]
        self._lots = 0

    def final(self) -> dict[str, Any]:
        return market_json({h: e.state for h, e in self.engines.items()}, self.accounts)

    def _step(self, hall: str, event: Input) -> Step:
        self.engines[hall].apply(event)
        return Step(hall, event)

    def _lot(self, hall: str, at: int) -> Step:
        rng = self.rng
        self._lots += 1
        variety, category = rng.choice(VARIETIES)
        start = rng.randrange(300, 900, 2)
        lot = Lot(
            id=f"{hall}-L{self._lots:05d}",
            supplier=rng.choice(self.suppliers),
            variety=variety,
            grade=rng.choice(GRADES),
            units=rng.randrange(10, 120),
            unit_net_g=rng.choice((5_000, 10_000, 15_000, 20_000)),
            start_price_fen=start,
            reserve_price_fen=start - rng.randrange(40, 200, 2),
            min_purchase=rng.choice((1, 1, 2, 5, 10)),
            origin="寿光市",
            package="纸箱",
            category=category,
        )
        self.offered[lot.id] = lot.units
        return self._step(hall, AddLot(at, lot))

    def steps(self) -> Iterator[Step]:
        rng, accounts, buyers, suppliers = self.rng, self.accounts, self.buyers, self.suppliers
        for b in buyers:
            limit = rng.choice((None, None, None, 300_000))
            yield self._step("A", AddMember(0, Member(b, Role.BUYER, daily_limit_fen=limit)))
        for supplier in suppliers:
            yield self._step("A", AddMember(0, Member(supplier, Role.SUPPLIER)))
        for b in buyers:
            yield self._step("A", Deposit(0, b, rng.randrange(200_000, 2_000_000)))
        for hall in HALLS:
            for _ in range(4):
                yield self._lot(hall, 0)
            yield self._step(hall, Open(0))
        now, pressed = 0, 0
        while pressed < self.presses:
            now += rng.randrange(0, 40)
            hall = rng.choice(HALLS)
            state = self.engines[hall].state
            queued = sum(1 for s in state.lots[state.current :] if s.remaining > 0)
            roll = rng.random()
            if queued < 3:
                yield self._lot(hall, now)
            elif roll < 0.84:
                pressed += 1
                live = state.phase in (RUNNING, WINDOW) and state.current < len(state.lots)
                if live and rng.random() < 0.9:
                    lot = state.lots[state.current].lot
                else:
                    lot = state.lots[rng.randrange(len(state.lots))].lot
                qty: object = rng.randrange(1, 2 * lot.min_purchase + 8)
                if rng.random() < 0.01:
                    qty = rng.choice((0, -3, "5", 2.5))
                buyer = rng.choice(buyers) if rng.random() < 0.99 else "X99"
                yield self._step(hall, Press(now, buyer, lot.id, qty))
            elif roll < 0.90:
                yield self._step(hall, Advance(now))
            elif roll < 0.94:
                amount = rng.randrange(10_000, 500_000)
                yield self._step(hall, Deposit(now, rng.choice(buyers), amount))
            elif roll < 0.96:
                amount = rng.randrange(1_000, 200_000)
                yield self._step(hall, Withdrawal(now, rng.choice(buyers), amount))
            elif roll < 0.99:
                supplier = rng.choice(suppliers)
                owed = accounts.balances[supplier]
                yield self._step(hall, Payout(now, supplier, max(1, owed // 2)))
            else:
                buyer = rng.choice(buyers)
                yield self._step(hall, Suspend(now, buyer, not accounts.members[buyer].suspended))
        for hall in HALLS:  # the day runs out: rounds lapse, windows close
            yield self._step(hall, Advance(now + 60_000))


def trading_day(seed: int, presses: int) -> Day:
    """The whole day of :class:`DaySimulator` in memory (the crash harness's thousands)."""
    simulator = DaySimulator(seed, presses)
    steps = list(simulator.steps())
    return Day(steps, simulator.offered, simulator.final())


# ---------------------------------------------------------------------------- the child


def run_child(url: str, seed: int, presses: int, snapshot_every: int) -> int:
    """Trade the day from where the journal stops; print each sale once it is committed."""
    from jiqun.market.journal import DurableMarket

    market = DurableMarket.open(url, snapshot_every=snapshot_every, lock_wait_s=20.0)
    for hall in HALLS:
        market.add_hall(hall, CLOCK, MARKET)
    day = trading_day(seed, presses)
    if market.seq > len(day.steps):
        print(f"ERROR journal has {market.seq} inputs, the day {len(day.steps)}", flush=True)
        return 3
    if market.seq and market.last_input() != (
        day.steps[market.seq - 1].hall,
        *encode(day.steps[market.seq - 1].event),
    ):
        print(f"ERROR journal input {market.seq} is not step {market.seq - 1}", flush=True)
        return 3
    print(f"READY {market.seq} {market.snapshot_seq}", flush=True)
    out = sys.stdout
    for index in range(market.seq, len(day.steps)):
        s = day.steps[index]
        outputs = market.submit(s.hall, s.event)
        seq = index + 1
        lines = [
            json.dumps({"seq": seq, "out": i, "lot": o.lot, "buyer": o.buyer, "qty": o.qty})
            for i, o in enumerate(outputs)
            if isinstance(o, Sale)
        ]
        lines.append(f"p {seq}")  # progress: the parent picks its kill moments by it
        out.write("\n".join(lines) + "\n")
        out.flush()
    print("DONE", flush=True)
    market.close()
    return 0


# ---------------------------------------------------------------------------- the parent


@dataclass
class HarnessResult:
    kills: int = 0
    runs: int = 0
    acked: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    resumed_at: list[int] = field(default_factory=list)
    journal_inputs: int = 0
    sales_in_ledger: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_acks(path: Path, result: HarnessResult) -> tuple[bool, str, int | None, int]:
    """Collect the complete lines a child wrote: (finished, last other line, resumed after,
    last input reported)."""
    done, status, ready, last = False, "", None, 0
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for line in text.split("\n")[:-1]:  # a last line without its newline was not written
        if line.startswith("{"):
            ack = json.loads(line)
            result.acked[(ack["seq"], ack["out"])] = ack
        elif line.startswith("p "):
            last = int(line[2:])
        elif line == "DONE":
            done = True
        elif line.startswith("READY"):
            ready = last = int(line.split()[1])
            result.resumed_at.append(ready)
        else:
            status = line
    return done, status, ready, last


def run_harness(
    workdir: Path,
    *,
    url: str | None = None,
    seed: int = 20260601,
    presses: int = 3000,
    kills: int = 5,
    snapshot_every: int = 500,
    rng_seed: int = 7,
    log: Callable[[str], None] = lambda _: None,
) -> HarnessResult:
    """Kill the child ``kills`` times at random moments, let it finish, then verify.

    Most kills come at a random point of the day: the parent draws an input number ahead of
    the child's progress (spread so that every kill fits before the day ends) and sends
    SIGKILL the moment the child reports it, which lands anywhere in the next inputs — in the
    engine, in the middle of the database transaction, in the commit, in the print. One kill
    in five comes instead after a random time from the start, during start-up or recovery.
    """
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{workdir / 'crash.db'}"
    total = len(trading_day(seed, presses).steps)
    rng = random.Random(rng_seed)
    result = HarnessResult()
    progress = 0  # the last input a child reported as committed
    finished = False
    while not finished:
        run = result.runs
        result.runs += 1
        out, err = workdir / f"child-{run}.out", workdir / f"child-{run}.err"
        killing = result.kills < kills
        with out.open("wb") as stdout, err.open("wb") as stderr:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jiqun.market.crashtest",
                    "child",
                    url,
                    str(seed),
                    str(presses),
                    "--snapshot-every",
                    str(snapshot_every),
                ],
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            killed = False
            if killing:
                left = kills - result.kills
                spread = max(1, 2 * (total - progress) // (left + 1))
                target = min(total - 1, progress + rng.randint(1, spread))
                early = rng.random() < 0.2 and total - progress > 5_000
                killed = _kill(child, out, target, rng.uniform(0.0, 0.8) if early else None)
                result.kills += killed
            code = child.wait(timeout=600)
        finished, status, ready, last = _read_acks(out, result)
        if ready is not None and ready < progress:
            result.problems.append(f"run {run} resumed after {ready}, but {progress} was acked")
        progress = max(progress, last)
        how = "killed" if killed else f"exit {code}"
        where = "before recovering" if ready is None else f"resumed after input {ready}"
        log(f"run {run}: {how}, {where}, reached {last}; {len(result.acked)} sales acknowledged")
        if not killed and not finished:
            message = err.read_text(encoding="utf-8").strip().splitlines()
            result.problems.append(
                f"run {run} exited {code} without finishing: {status or (message or ['?'])[-1]}"
            )
            break
    if not result.problems:
        verify(url, seed, presses, result)
    result.seconds = time.perf_counter() - started
    return result


def _kill(child: subprocess.Popen[bytes], out: Path, target: int, after_s: float | None) -> bool:
    """SIGKILL the child once it reports input ``target`` (or ``after_s`` seconds after it
    started); False if it ended by itself first."""
    deadline = time.monotonic() + 300
    if after_s is not None:
        time.sleep(after_s)
    else:
        offset, reached, tail = 0, 0, b""
        while reached < target and child.poll() is None and time.monotonic() < deadline:
            with out.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            offset += len(chunk)
            *lines, tail = (tail + chunk).split(b"\n")
            for line in lines:
                if line.startswith(b"p "):
                    reached = int(line[2:])
            if reached < target:
                time.sleep(0.001)
    if child.poll() is not None:
        return False
    child.send_signal(signal.SIGKILL)
    return True


def verify(url: str, seed: int, presses: int, result: HarnessResult) -> None:
    """The M6 proof, appended to ``result.problems`` (empty: everything holds)."""
    from jiqun.market.journal import DurableMarket, ledger_key

    day = trading_day(seed, presses)
    problems = result.problems
    with DurableMarket.open(url, snapshot_every=0, lock_wait_s=20.0) as market:
        result.journal_inputs = market.seq
        if market.seq != len(day.steps):
            problems.append(f"journal has {market.seq} inputs, the day {len(day.steps)}")
        # every acknowledged sale is in the ledger, as acknowledged
        for (seq, out), ack in sorted(result.acked.items()):
            txn = market.ledger.get(ledger_key(seq, out))
            if txn is None:
                problems.append(f"acknowledged sale {seq}.{out} is not in the ledger")
            elif (txn.kind, txn.meta.get("lot"), txn.meta.get("buyer"), txn.meta.get("qty")) != (
                "sale",
                ack["lot"],
                ack["buyer"],
                ack["qty"],
            ):
                problems.append(f"sale {seq}.{out} differs: ledger {txn.meta}, acknowledged {ack}")
        # no unit sold twice
        sold_in_ledger = market.ledger.sold_units()
        result.sales_in_ledger = sum(n for n, _ in sold_in_ledger.values())
        for hall, engine in market.halls.items():
            for s in engine.state.lots:
                units = day.offered.get(s.lot.id)
                if units is None or units != s.lot.units:
                    problems.append(f"{hall} {s.lot.id}: offered {units}, engine {s.lot.units}")
                    continue
                if s.sold + s.withdrawn > units:
                    problems.append(
                        f"{s.lot.id}: sold {s.sold} + withdrawn {s.withdrawn} > {units}"
                    )
                booked = sold_in_ledger.get(s.lot.id, (0, 0))[1]
                if booked != s.sold:
                    problems.append(f"{s.lot.id}: ledger sold {booked} units, engine {s.sold}")
        # every account equals its entries
        reconciliation = market.ledger.reconcile()
        for check in reconciliation.checks:
            if not check.ok:
                problems.append(f"reconcile {check.name}: {'; '.join(check.details)}")
        # recovered == replay of the journal; engine balances == ledger balances
        problems += [f"verify: {p}" for p in market.verify()[:20]]
        # recovered == the same day with no crash
        if market.state() != day.final:
            problems.append("the recovered state differs from the crash-free run of the day")


# ---------------------------------------------------------------------------- the live server

LIVE_SECRET = "jiqun-crash-test-session-key-" + "x" * 20  # sessions outlive a restart


@dataclass
class LiveCrashResult:
    """What :func:`run_live_crash` saw and proved."""

    kills: int = 0
    loadtest: dict[str, Any] = field(default_factory=dict)
    acked: list[dict[str, Any]] = field(default_factory=list)  # sales the buyers saw acked
    acked_before_last_kill: int = 0
    ledger_sales: int = 0
    reconcile: dict[str, Any] = field(default_factory=dict)  # jiqun market reconcile --format json
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def prepare_live_market(folder: Path, buyers: int) -> str:
    """A demo market on SQLite in ``folder`` (staff, suppliers, halls 1 and 2) with the load
    test's ``buyers`` already registered; returns its URL. The caller picks the Argon2
    parameters (the demo's are light: ``demo.light_passwords()``)."""
    import asyncio

    from jiqun.market.service import demo, loadtest

    async def go() -> str:
        server = await demo.start(folder, 0, bot_count=0, lots=4)
        try:
            for n in range(1, buyers + 1):
                user = f"{loadtest.USER_PREFIX}{n:05d}"
                await server.service.add_user(user, "buyer", demo.PASSWORD, "压力测试")
        finally:
            await server.close()
        return f"sqlite:///{folder / demo.DB_NAME}"

    return asyncio.run(go())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``jiqun serve`` in a child process (the one that is killed)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "jiqun", "serve", "--db", url, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "JIQUN_SECRET": LIVE_SECRET, "PYTHONUNBUFFERED": "1"},
        )


async def _until_serving(base: str, child: subprocess.Popen[bytes], timeout_s: float) -> None:
    import asyncio

    import aiohttp

    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"jiqun serve exited with {child.returncode}")
            try:
                async with http.get(f"{base}/api/halls") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"jiqun serve did not answer within {timeout_s:.0f} s")


def run_live_crash(
    workdir: Path,
    *,
    buyers: int = 30,
    duration_s: float = 10.0,
    kills: int = 1,
    first_kill_s: float = 3.0,
    after_restart_s: float = 5.0,
    seed: int = 1,
    log: Callable[[str], None] = lambda _: None,
) -> LiveCrashResult:
    """kill -9 a live ``jiqun serve`` during a load test, ``kills`` times, restarting it each
    time; then prove M6 on what the buyers saw. The buyers press for ``duration_s`` and at
    least ``after_restart_s`` after the last restart.

    The buyers (:mod:`~jiqun.market.service.bots`, real WebSocket clients) reconnect after each
    kill with their sessions (the server's key is fixed) and go on from the ``state`` the new
    server sends. At the end: every sale a buyer saw acknowledged is in the ledger (same buyer,
    lot, quantity, price and amount, each ledger sale matched once); ``jiqun market reconcile``
    passes (the journal sums to zero, every account equals its entries, sales equal their
    postings); the recovered state equals a replay of the journal and the engines' balances the
    ledger's; no lot sold more units than it had; and trading went on after the last restart.
    """
    import asyncio

    from jiqun.market.service import loadtest

    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    result = LiveCrashResult()
    url = prepare_live_market(workdir / "market", buyers)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = workdir / "serve.log"
    child = _serve(url, port, server_log)
    acked: list[dict[str, Any]] = []

    async def crashes() -> None:
        nonlocal child
        gap = (duration_s - first_kill_s) / (kills + 1)
        await asyncio.sleep(first_kill_s)
        for n in range(kills):
            result.acked_before_last_kill = len(acked)  # filled by the buyers as they go
            child.send_signal(signal.SIGKILL)
            child.wait()
            result.kills += 1
            log(f"kill -9 {n + 1}: {result.acked_before_last_kill} sales acknowledged so far")
            child = _serve(url, port, server_log)
            await _until_serving(base, child, 30)
            log(f"restarted, serving at {base}")
            await asyncio.sleep(gap if n + 1 < kills else after_restart_s)

    async def go() -> dict[str, Any]:
        await _until_serving(base, child, 60)
        return await loadtest.run(
            base,
            buyers,
            duration_s,
            server_pid=child.pid,
            seed=seed,
            during=crashes,
            acked_sales=acked,
            interest=1.0,  # every buyer bids on every lot: as many presses as can be
        )

    try:
        result.loadtest = asyncio.run(go())
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    result.acked = acked
    _prove_live(url, result)
    result.seconds = time.perf_counter() - started
    return result


def _prove_live(url: str, result: LiveCrashResult) -> None:
    """The M6 proof of :func:`run_live_crash` (problems appended to ``result.problems``)."""
    from collections import Counter

    import sqlalchemy as sa

    from jiqun.market.journal import DurableMarket
    from jiqun.market.store import schema as t

    problems = result.problems
    if result.kills == 0:
        problems.append("the server was never killed")
    reconcile = subprocess.run(
        [sys.executable, "-m", "jiqun", "market", "reconcile", "--db", url, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        result.reconcile = json.loads(reconcile.stdout)
    except ValueError:
        result.reconcile = {}
    if reconcile.returncode != 0:
        problems.append(f"jiqun market reconcile failed: {reconcile.stdout or reconcile.stderr}")
    with DurableMarket.open(url, snapshot_every=0, lock_wait_s=20.0) as market:
        with market.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.transactions.c.meta).where(t.transactions.c.kind == "sale")
            ).all()
        booked: Counter[tuple[Any, ...]] = Counter()
        for (meta,) in rows:
            data = json.loads(meta) if isinstance(meta, str) else meta
            booked[(data["buyer"], data["lot"], data["qty"], data["price_fen"])] += 1
        result.ledger_sales = len(rows)
        for sale in result.acked:
            key = (sale["buyer"], sale["lot"], sale["qty"], sale["price_fen"])
            if booked[key] <= 0:
                problems.append(f"acknowledged sale not in the ledger: {sale}")
            else:
                booked[key] -= 1
        problems += [f"verify: {p}" for p in market.verify()[:20]]
        for hall, engine in market.halls.items():
            for s in engine.state.lots:
                if s.sold + s.withdrawn > s.lot.units or s.sold + s.remaining > s.lot.units:
                    problems.append(f"{hall} {s.lot.id}: more units sold than offered")
    if len(result.acked) <= result.acked_before_last_kill:
        problems.append("no sale was acknowledged after the last restart")
    if result.loadtest.get("reconnects", 0) < result.loadtest.get("connected", 0) * result.kills:
        problems.append(
            f"{result.loadtest.get('reconnects')} reconnections for "
            f"{result.loadtest.get('connected')} buyers and {result.kills} kills"
        )


# ---------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiqun.market.crashtest")
    sub = parser.add_subparsers(dest="command", required=True)
    child = sub.add_parser("child", help="trade the day (the process the harness kills)")
    child.add_argument("url")
    child.add_argument("seed", type=int)
    child.add_argument("presses", type=int)
    child.add_argument("--snapshot-every", type=int, default=500)
    args = parser.parse_args(argv)
    return run_child(args.url, args.seed, args.presses, args.snapshot_every)


if __name__ == "__main__":
    sys.exit(main())
