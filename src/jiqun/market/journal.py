"""The durable market: engines behind a journal, acknowledged only after commit (M6).

:class:`DurableMarket` drives one or more :class:`HallEngine` s that share one
:class:`Accounts` (a buyer has one wallet whichever hall he buys in) from one input sequence.
For each input, in ONE database transaction: the input is journaled under the next global
sequence number, applied to its hall's engine, and the ledger transactions of the outputs are
written (a sale's postings, a deposit …, keys ``j<seq>.<output index>``). Only after the commit
does :meth:`DurableMarket.submit` return the outputs — the acknowledgement. If anything fails
before or during the commit, the engines are rebuilt from the database (:meth:`recover`), so
memory is never ahead of what is durable.

Recovery is the latest snapshot plus a replay of the journal after it, with the ledger writes
skipped (they were committed with their inputs). The halls' settings (clock, fees) are rows of
the ``halls`` table, written once by :meth:`add_hall` and never changed, so that a replay uses
the settings the inputs were decided with; members and lots are journaled inputs
(``AddMember``, ``AddLot``) like any other. :meth:`replay_journal` rebuilds everything from the
first input, to compare with the recovered state (:meth:`verify`).

Members' money that the engines check presses against moves only through :meth:`submit`
(``Deposit``, ``Withdrawal``, ``Payout`` inputs), so that engine and ledger never disagree; the
ledger's own operations are for what the engines do not see, such as a card's deposit (押金,
``market.ledger.issue_card``). One thread drives a market (the LMAX single writer).

One process writes a market at a time: it holds an advisory lock (a lock file beside a SQLite
database, ``pg_advisory_lock`` on PostgreSQL) while open; the journal's sequence key would
refuse a second writer anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from jiqun.market.codec import decode, encode, market_from, market_json
from jiqun.market.core import RULE_VERSION, postings
from jiqun.market.core.engine import Accounts, EngineError, HallEngine, HallState
from jiqun.market.core.events import (
    AddMember,
    CashMoved,
    Input,
    Output,
    Sale,
    SealedSettled,
    Suspend,
)
from jiqun.market.core.model import ClockSettings, MarketSettings
from jiqun.market.core.postings import Transaction
from jiqun.market.ledger import LedgerWork, SqlLedger, member_account
from jiqun.market.store import open_store
from jiqun.market.store import schema as t
from jiqun.market.store.db import is_postgres, read_only, sqlite_path

ALL_HALLS = "*"  # the snapshots' hall: every hall and the accounts they share
T = TypeVar("T")


class JournalError(ValueError):
    """A request the durable market cannot take (unknown hall, another writer …)."""


class RecoveryError(RuntimeError):
    """The journal or a snapshot cannot be replayed: the database needs a person."""


@dataclass(frozen=True)
class HallConfig:
    clock: ClockSettings
    market: MarketSettings


def ledger_key(seq: int, index: int) -> str:
    """The idempotency key of output ``index`` of journal input ``seq``."""
    return f"j{seq}.{index}"


class DurableMarket:
    """Halls whose every acknowledged output is committed (see the module's docstring)."""

    def __init__(self, engine: Engine, *, snapshot_every: int = 10_000, keep_snapshots: int = 3):
        if snapshot_every < 0 or keep_snapshots < 1:
            raise ValueError("snapshot_every ≥ 0 (0: never) and keep_snapshots ≥ 1")
        self.engine = engine
        self.ledger = SqlLedger(engine)
        self.snapshot_every = snapshot_every
        self.keep_snapshots = keep_snapshots
        self.configs: dict[str, HallConfig] = {}
        self.halls: dict[str, HallEngine] = {}
        self.accounts = Accounts()
        self.seq = 0  # the last journaled (and applied) input
        self.snapshot_seq = 0  # the snapshot the last recovery started from
        self.replayed = 0  # inputs the last recovery replayed
        self.snapshot_error: Exception | None = None
        self._stale = True
        self._lock: _WriterLock | None = None
        self._writer: Connection | None = None  # kept between inputs; dropped on any error

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(
        cls,
        url: str | Engine | None = None,
        *,
        snapshot_every: int = 10_000,
        keep_snapshots: int = 3,
        create: bool = True,
        lock_wait_s: float = 0.0,
    ) -> DurableMarket:
        """Connect (migrating the schema when ``create``), take the writer lock, recover.

        ``lock_wait_s``: how long to wait for another writer to let go (a process killed a
        moment ago may still hold its PostgreSQL session until the server notices)."""
        engine = url if isinstance(url, Engine) else open_store(url, create=create)
        market = cls(engine, snapshot_every=snapshot_every, keep_snapshots=keep_snapshots)
        try:
            market._lock = _WriterLock.take(engine, lock_wait_s)
        except BaseException:
            engine.dispose()
            raise
        try:
            market.recover()
        except BaseException:
            market.close()
            raise
        return market

    def close(self) -> None:
        self._drop_writer()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.engine.dispose()

    def __enter__(self) -> DurableMarket:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ halls

    def add_hall(self, hall: str, clock: ClockSettings, market: MarketSettings) -> HallEngine:
        """Create a hall once; asking again with the same settings is a no-op (a restarted
        process does that), with other settings an error: the journal was decided with them."""
        if not hall or hall == ALL_HALLS:
            raise JournalError(f"hall id {hall!r} is not allowed")
        config = HallConfig(clock, market)
        known = self.configs.get(hall)
        if known is not None:
            if known != config:
                raise JournalError(f"hall {hall} exists with other settings: {known}")
            return self.halls[hall]
        engine = HallEngine(clock, market, state=HallState(accounts=self.accounts))
        with self.engine.begin() as conn:
            conn.execute(
                t.halls.insert().values(
                    id=hall,
                    tick_ms=clock.tick_ms,
                    step_fen=clock.step_fen,
                    pause_ms=clock.pause_ms,
                    restart_steps=clock.restart_steps,
                    same_stop_ms=clock.same_stop_ms,
                    seller_commission_bps=market.seller_commission_bps,
                    buyer_fee_bps=market.buyer_fee_bps,
                    rule_version=RULE_VERSION,
                )
            )
        self.configs[hall], self.halls[hall] = config, engine
        return engine

    # ------------------------------------------------------------------ inputs

    def submit(self, hall: str, event: Input) -> list[Output]:
        """Journal, apply and book one input in one transaction; return its outputs after the
        commit. On any failure the engines are restored from the database and the error is
        raised: the input then did not happen."""
        if self._stale:
            self.recover()
        engine = self.halls.get(hall)
        if engine is None:
            raise JournalError(f"unknown hall {hall!r}")
        seq = self.seq + 1
        kind, payload = encode(event)
        self._stale = True  # until the commit is through, memory may be ahead of the database
        try:
            if self._writer is None:
                self._writer = self.engine.connect()
            with self.ledger.begin(self._writer) as work:
                work.cursor.execute(
                    work.sql.insert_journal, (seq, hall, kind, _compact(payload), event.at_ms)
                )
                outputs = engine.apply(event)
                work.post_fresh(self._book(work, self.configs[hall], seq, event, outputs))
        except BaseException:
            self._drop_writer()
            self._restore()
            raise
        self.seq, self._stale = seq, False
        if self.snapshot_every and seq % self.snapshot_every == 0:
            try:
                self.snapshot()
                self.snapshot_error = None
            except Exception as e:  # the input is committed: a missed snapshot only costs time
                self.snapshot_error = e
        return outputs

    def submit_many(
        self,
        items: Sequence[tuple[str, Input]],
        each: Callable[[str, Input, int, Callable[[], list[Output]]], T],
    ) -> list[T]:
        """A group commit: journal, apply and book several inputs, in order, in ONE
        transaction (one durable commit for all: DESIGN.md's 47,000 sales/s grouped against
        1,900 one at a time). All or nothing: on any failure the engines are restored and the
        error is raised, and none of them happened. ``each(hall, event, seq, apply)`` is
        called for every input, ``apply()`` journaling and applying it and returning its
        outputs (so that the caller can read the engine before and after); the results of
        ``each`` are returned after the commit."""
        if self._stale:
            self.recover()
        for hall, _ in items:
            if hall not in self.halls:
                raise JournalError(f"unknown hall {hall!r}")
        first = self.seq
        results: list[T] = []
        applied: list[int] = []
        rows: list[tuple[Any, ...]] = []  # the journal's rows, written together at the end
        txns: list[Transaction] = []  # and the postings
        self._stale = True
        try:
            if self._writer is None:
                self._writer = self.engine.connect()
            with self.ledger.begin(self._writer) as work:
                for index, (hall, event) in enumerate(items):
                    seq = first + index + 1

                    def apply(
                        hall: str = hall, event: Input = event, seq: int = seq
                    ) -> list[Output]:
                        kind, payload = encode(event)
                        rows.append((seq, hall, kind, _compact(payload), event.at_ms))
                        outputs = self.halls[hall].apply(event)
                        txns.extend(self._book(work, self.configs[hall], seq, event, outputs))
                        applied.append(seq)
                        return outputs

                    results.append(each(hall, event, seq, apply))
                    if applied[-1:] != [seq] or len(applied) != index + 1:
                        raise JournalError("each() must call apply() once")  # no gap, no twice
                work.post_fresh(txns)
                work.sql.insert_journal_rows(work.cursor, rows)
        except BaseException:
            self._drop_writer()
            self._restore()
            raise
        self.seq, self._stale = first + len(items), False
        every = self.snapshot_every
        if every and self.seq // every > first // every:
            try:
                self.snapshot()
                self.snapshot_error = None
            except Exception as e:  # the inputs are committed: a missed snapshot costs time
                self.snapshot_error = e
        return results

    def _drop_writer(self) -> None:
        """Forget the writer's connection: after an error its state is not to be trusted (the
        server may have gone away), and a fresh one from the pool costs little."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.invalidate()
                self._writer.close()
            self._writer = None

    def _restore(self) -> None:
        # If this fails too, the market stays stale and the next submit tries again; the
        # original error is the one the caller must see.
        with contextlib.suppress(Exception):
            self.recover()

    @staticmethod
    def _book(
        work: LedgerWork, config: HallConfig, seq: int, event: Input, outputs: list[Output]
    ) -> list[Transaction]:
        """Write what an input changes of the members at once; return its postings, which the
        caller writes with the others of its commit (:meth:`LedgerWork.post_fresh`)."""
        if isinstance(event, AddMember):
            work.open_member(event.member, event.at_ms)
        elif isinstance(event, Suspend):
            work.suspend(event.member, event.suspended)
        txns = []
        for i, out in enumerate(outputs):
            if isinstance(out, Sale):
                txns.append(postings.sale(out, config.market, ledger_key(seq, i)))
            elif isinstance(out, CashMoved):
                move = _CASH_POSTINGS[out.kind]
                txns.append(move(out.member, out.amount_fen, out.at_ms, ledger_key(seq, i)))
            elif isinstance(out, SealedSettled):  # a second award of an item is refused here
                txns.append(postings.sealed_award(out, postings.sealed_key(out.item)))
        return txns

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        """Every hall's state and the shared accounts, as JSON-ready data."""
        return market_json({h: e.state for h, e in self.halls.items()}, self.accounts)

    def snapshot(self) -> int:
        """Write the state at the current sequence number; keep the newest few snapshots."""
        state, seq = self.state(), self.seq
        s = t.snapshots
        with self.engine.begin() as conn:
            exists = conn.execute(
                sa.select(s.c.id).where(s.c.hall == ALL_HALLS, s.c.seq == seq)
            ).first()
            if exists is None:
                conn.execute(s.insert().values(hall=ALL_HALLS, seq=seq, state=state))
            kept = (
                sa.select(s.c.seq)
                .where(s.c.hall == ALL_HALLS)
                .order_by(s.c.seq.desc())
                .limit(self.keep_snapshots)
                .subquery()
            )
            conn.execute(
                s.delete().where(
                    s.c.hall == ALL_HALLS,
                    s.c.seq < sa.select(sa.func.min(kept.c.seq)).scalar_subquery(),
                )
            )
        return seq

    # ------------------------------------------------------------------ recovery

    def recover(self, *, use_snapshot: bool = True) -> None:
        """Rebuild the engines: the latest snapshot, then the journal after it."""
        configs = self._load_configs()
        snap_seq, accounts = 0, Accounts()
        halls: dict[str, HallState] = {}
        if use_snapshot:
            with self._reading() as conn:
                row = conn.execute(
                    sa.select(t.snapshots.c.seq, t.snapshots.c.state)
                    .where(t.snapshots.c.hall == ALL_HALLS)
                    .order_by(t.snapshots.c.seq.desc())
                    .limit(1)
                ).first()
            if row is not None:
                state = json.loads(row.state) if isinstance(row.state, str) else row.state
                snap_seq, (halls, accounts) = int(row.seq), market_from(state)
        engines = _engines(configs, halls, accounts)
        last = self._replay(engines, snap_seq)
        self.configs, self.halls, self.accounts = configs, engines, accounts
        self.seq, self.snapshot_seq, self.replayed = last, snap_seq, last - snap_seq
        self._stale = False

    def replay_journal(self) -> dict[str, Any]:
        """The state from replaying the whole journal from empty (no snapshot, no ledger)."""
        accounts = Accounts()
        engines = _engines(self._load_configs(), {}, accounts)
        self._replay(engines, 0)
        return market_json({h: e.state for h, e in engines.items()}, accounts)

    def verify(self) -> list[str]:
        """Differences between the live state and a full replay, and between the engines'
        balances and the ledger's (empty when all agree)."""
        problems = [
            f"{path}: live {a!r} != replay {b!r}"
            for path, a, b in _differences(self.state(), self.replay_journal())
        ]
        ledger = self.ledger.balances()
        revenue = ledger.get(postings.COMMISSION, 0) + ledger.get(postings.BUYER_FEE, 0)
        for member, balance in self.accounts.balances.items():
            if member in self.accounts.members:
                name = member_account(self.accounts.members[member])
                booked = ledger.get(name, 0)
            else:
                name, booked = "revenue", revenue
            if booked != balance:
                problems.append(f"{name}: engine {balance} != ledger {booked}")
        return problems

    def last_input(self) -> tuple[str, str, dict[str, Any]] | None:
        """(hall, kind, payload) of the newest journal input."""
        j = t.journal
        with self._reading() as conn:
            row = conn.execute(
                sa.select(j.c.hall, j.c.kind, j.c.payload).order_by(j.c.seq.desc()).limit(1)
            ).first()
        return None if row is None else (row.hall, row.kind, row.payload)

    def _load_configs(self) -> dict[str, HallConfig]:
        with self._reading() as conn:
            rows = conn.execute(sa.select(t.halls).order_by(t.halls.c.id)).all()
        return {
            r.id: HallConfig(
                ClockSettings(r.tick_ms, r.step_fen, r.pause_ms, r.restart_steps, r.same_stop_ms),
                MarketSettings(r.seller_commission_bps, r.buyer_fee_bps),
            )
            for r in rows
        }

    def _reading(self) -> _Reading:
        return _Reading(self.engine)

    def _replay(self, engines: dict[str, HallEngine], after: int) -> int:
        """Apply the journal's inputs after ``after`` to ``engines``; the last seq applied."""
        last = after
        with self._reading() as conn:
            for seq, hall, kind, at_ms, payload in _journal_rows(conn, after):
                if seq != last + 1:
                    raise RecoveryError(f"journal: input {last + 1} is missing (next is {seq})")
                engine = engines.get(hall)
                if engine is None:
                    raise RecoveryError(f"journal {seq}: unknown hall {hall!r}")
                if isinstance(payload, str):
                    payload = json.loads(payload)
                try:
                    engine.apply(decode(kind, at_ms, payload))
                except (EngineError, ValueError) as e:
                    raise RecoveryError(f"journal {seq}: {kind} cannot be replayed: {e}") from e
                last = seq
        return last


def _compact(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


_CASH_POSTINGS = {
    "deposit": postings.deposit,
    "withdrawal": postings.withdrawal,
    "payout": postings.payout,
}


def _engines(
    configs: dict[str, HallConfig], halls: dict[str, HallState], accounts: Accounts
) -> dict[str, HallEngine]:
    return {
        hall: HallEngine(c.clock, c.market, state=halls.get(hall) or HallState(accounts=accounts))
        for hall, c in configs.items()
    }


def _journal_rows(conn: Connection, after: int) -> Iterator[tuple[int, str, str, int, Any]]:
    """The journal after ``after`` in order, streamed (a server-side cursor on PostgreSQL),
    through the driver's own cursor: recovery reads a million rows and SQLAlchemy's result
    machinery would double the time."""
    sql = "SELECT seq, hall, kind, at_ms, payload FROM journal WHERE seq > {} ORDER BY seq"
    if is_postgres(conn):
        raw: Any = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor(name="jiqun_journal") as cursor:
            cursor.itersize = 20_000
            cursor.execute(sql.format("%s"), (after,))
            yield from cursor
    else:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql.format("?"), (after,))
            while batch := cursor.fetchmany(20_000):
                yield from batch
        finally:
            cursor.close()


class _Reading:
    """A read-only transaction (a consistent snapshot of the database) as a context."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        self.conn = read_only(self.engine.connect())
        self.conn.begin()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        self.conn.rollback()
        self.conn.close()


def _differences(a: Any, b: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            yield from _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


class _WriterLock:
    """One writer per market database, released by the kernel or the server if the process
    dies (a lock file's flock; a PostgreSQL session's advisory lock)."""

    def __init__(self, file: IO[bytes] | None, conn: Connection | None) -> None:
        self.file, self.conn = file, conn

    @classmethod
    def take(cls, engine: Engine, wait_s: float = 0.0) -> _WriterLock:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                return cls._take(engine)
            except JournalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    @classmethod
    def _take(cls, engine: Engine) -> _WriterLock:
        url = engine.url.render_as_string(hide_password=False)
        if is_postgres(engine):
            conn = engine.connect()
            key = zlib.crc32(b"jiqun-market-writer")
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
            conn.commit()
            if not got:
                conn.close()
                raise JournalError("another process is writing this market database")
            return cls(None, conn)
        path = sqlite_path(url)
        if path is None:
            return cls(None, None)
        file = open(Path(f"{path}.writer-lock"), "ab")  # noqa: SIM115 (held while open)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            raise JournalError(f"another process is writing {path}") from None
        return cls(file, None)

    def release(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.conn is not None:
            self.conn.invalidate()  # closes the session, and with it the advisory lock
            self.conn.close()
