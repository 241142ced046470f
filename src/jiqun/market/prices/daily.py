"""Daily price records from the ledger and the journal (PRODUCT.md M9), never typed in.

One record per trading day (China Standard Time, :data:`jiqun.market.texts.CST`) × variety ×
grade × origin × package:

- the sales are the ledger's ``sale`` transactions (their meta carries lot, qty, price_fen,
  unit_net_g, variety, grade); a sale that a ``reversal`` transaction reverses is not counted
  at all, whenever the reversal was booked (the sale's day then gets a corrected record: a new
  revision when published, see :mod:`jiqun.market.prices.publish`);
- a sale's origin and package are those of its lot, from the journal's ``AddLot`` inputs;
- withdrawn lots (流拍, and lots the auctioneer withdrew) are the engines' ``Withdrawn``
  outputs, found by replaying the journal (outputs are not stored, inputs are);
- volume_g = Σ qty·unit_net_g, amount_fen = Σ amount as booked (rulebook §6, rounded per
  sale), trades = number of sales, min/max = the lowest and highest sale price (fen per kg),
  mean = Σ amount_fen / Σ kg, the weight-weighted mean price, as a Decimal rounded half up
  to 0.01 fen per kg.

A (day, variety, grade, origin, package) that only had withdrawn lots has a record with
``trades == 0``: volume, amount, min, max and mean are then 0 and mean nothing.

``revision`` is the number of the published revision of that day which this record belongs to
(1 for the first publication), or 0 when the day's records as computed now have not been
published (never, or the ledger changed since: a correction waiting to be published).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jiqun.market.codec import decode
from jiqun.market.core.engine import Accounts, EngineError, HallEngine, HallState
from jiqun.market.core.events import Withdrawn
from jiqun.market.core.model import ClockSettings, MarketSettings
from jiqun.market.store import schema as t
from jiqun.market.texts import CST

CENT = Decimal("0.01")


@dataclass(frozen=True)
class DailyRecord:
    """One day's trading of one variety × grade × origin × package."""

    day: date
    variety: str
    grade: str
    origin: str
    package: str
    trades: int
    volume_g: int
    amount_fen: int
    min_fen_per_kg: int
    max_fen_per_kg: int
    mean_fen_per_kg: Decimal
    withdrawn_lots: int
    revision: int

    @property
    def key(self) -> tuple[date, str, str, str, str]:
        return (self.day, self.variety, self.grade, self.origin, self.package)

    def content(self) -> tuple[object, ...]:
        """Everything but the revision: what decides whether a publication differs."""
        return (
            *self.key,
            self.trades,
            self.volume_g,
            self.amount_fen,
            self.min_fen_per_kg,
            self.max_fen_per_kg,
            self.mean_fen_per_kg,
            self.withdrawn_lots,
        )


def mean_price(amount_fen: int, volume_g: int) -> Decimal:
    """Σ amount_fen / Σ kg = 1000·amount/volume fen per kg, rounded half up to 0.01 fen per
    kg in integers (no float, no Decimal context precision involved)."""
    if volume_g <= 0:
        return Decimal(0).quantize(CENT)
    q, r = divmod(amount_fen * 100_000, volume_g)  # in 0.01 fen per kg
    if 2 * r >= volume_g:
        q += 1
    return (Decimal(q) / 100).quantize(CENT)


def day_of(ms: int) -> date:
    """The trading day (China Standard Time) of a market time in milliseconds."""
    return datetime.fromtimestamp(ms // 1000, CST).date()


def day_bounds(start: date, end: date) -> tuple[int, int]:
    """[from_ms, to_ms) covering the CST days start..end inclusive."""
    lo = datetime(start.year, start.month, start.day, tzinfo=CST)
    hi = datetime(end.year, end.month, end.day, tzinfo=CST) + timedelta(days=1)
    return int(lo.timestamp()) * 1000, int(hi.timestamp()) * 1000


@dataclass
class _Acc:
    trades: int = 0
    volume_g: int = 0
    amount_fen: int = 0
    min_fen: int | None = None
    max_fen: int | None = None
    withdrawn: int = 0

    def add_sale(self, qty: int, unit_net_g: int, price_fen: int, amount_fen: int) -> None:
        self.trades += 1
        self.volume_g += qty * unit_net_g
        self.amount_fen += amount_fen
        self.min_fen = price_fen if self.min_fen is None else min(self.min_fen, price_fen)
        self.max_fen = price_fen if self.max_fen is None else max(self.max_fen, price_fen)


@dataclass(frozen=True)
class LotFacts:
    variety: str
    grade: str
    origin: str
    package: str
    category: str


@dataclass(frozen=True)
class SaleFact:
    at_ms: int
    lot: str
    variety: str
    grade: str
    qty: int
    unit_net_g: int
    price_fen: int
    amount_fen: int


def sale_amount(entries: Iterable[tuple[str, int]], meta: Mapping[str, Any]) -> int:
    """The sale's amount as booked: the buyer's debit minus the buyer fee's credit
    (rulebook §6: the wallet pays amount + fee)."""
    buyer = f"wallet:{meta['buyer']}"
    paid = sum(a for name, a in entries if name == buyer)
    fee = -sum(a for name, a in entries if name == "revenue:buyer_fee")
    return int(paid - fee)


def ledger_sales(conn: Connection, from_ms: int, to_ms: int) -> list[SaleFact]:
    """The sales booked in [from_ms, to_ms), net of reversed ones."""
    x, e, a = t.transactions, t.entries, t.accounts
    reversals = [
        _meta(meta) for (meta,) in conn.execute(sa.select(x.c.meta).where(x.c.kind == "reversal"))
    ]
    reversed_keys = {
        str(meta.get("reverses"))
        for meta in reversals
        if meta.get("reversed_kind", "sale") == "sale"
    }
    rows = conn.execute(
        sa.select(x.c.id, x.c.key, x.c.at_ms, x.c.meta, a.c.name, e.c.amount_fen)
        .join(e, e.c.txn_id == x.c.id)
        .join(a, a.c.id == e.c.account_id)
        .where(x.c.kind == "sale", x.c.at_ms >= from_ms, x.c.at_ms < to_ms)
        .order_by(x.c.id, e.c.id)
    )
    grouped: dict[int, tuple[str, int, dict[str, Any], list[tuple[str, int]]]] = {}
    for txn_id, key, at_ms, meta, name, amount in rows:
        if txn_id not in grouped:
            grouped[txn_id] = (str(key), int(at_ms), _meta(meta), [])
        grouped[txn_id][3].append((str(name), int(amount)))
    out: list[SaleFact] = []
    for key, at_ms, meta, entries in grouped.values():
        if key in reversed_keys:
            continue
        out.append(
            SaleFact(
                at_ms,
                str(meta["lot"]),
                str(meta["variety"]),
                str(meta["grade"]),
                int(meta["qty"]),
                int(meta["unit_net_g"]),
                int(meta["price_fen"]),
                sale_amount(entries, meta),
            )
        )
    return out


def _meta(meta: Any) -> dict[str, Any]:
    return json.loads(meta) if isinstance(meta, str) else dict(meta)


class JournalFacts:
    """Every lot's facts (from ``AddLot``) and every withdrawal (at_ms, lot), from replaying
    the journal through fresh engines — read only, no writer lock — kept up to date
    incrementally: :meth:`update` replays only the inputs journaled since the last call.

    Outputs are not stored, inputs are; the replay gives the same outputs the live engines
    gave, as recovery relies on (M6). The durable market journals only inputs its engine
    took, so an input the replay refuses means the journal is not this market's: start over.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.seq = 0
        self.fingerprint: tuple[str, str, int, str] | None = None
        self.accounts = Accounts()  # the halls of a market share one, as in the durable market
        self.halls: dict[str, HallEngine] = {}
        self.lots: dict[str, LotFacts] = {}
        self.withdrawn: list[tuple[int, str]] = []

    def update(self, conn: Connection) -> None:
        j = t.journal
        if self.seq:
            row = conn.execute(
                sa.select(j.c.hall, j.c.kind, j.c.at_ms, j.c.payload).where(j.c.seq == self.seq)
            ).first()
            if row is None or _fingerprint(*row) != self.fingerprint:
                self._reset()  # another database at the same URL
        for r in conn.execute(sa.select(t.halls).order_by(t.halls.c.id)):
            if r.id not in self.halls:
                self.halls[r.id] = HallEngine(
                    ClockSettings(
                        r.tick_ms, r.step_fen, r.pause_ms, r.restart_steps, r.same_stop_ms
                    ),
                    MarketSettings(r.seller_commission_bps, r.buyer_fee_bps),
                    state=HallState(accounts=self.accounts),
                )
        rows = conn.execute(
            sa.select(j.c.seq, j.c.hall, j.c.kind, j.c.at_ms, j.c.payload)
            .where(j.c.seq > self.seq)
            .order_by(j.c.seq)
        )
        last = None
        for seq, hall, kind, at_ms, payload in rows:
            self._apply(str(hall), str(kind), int(at_ms), _meta(payload))
            self.seq, last = int(seq), (hall, kind, at_ms, payload)
        if last is not None:
            self.fingerprint = _fingerprint(*last)

    def _apply(self, hall: str, kind: str, at_ms: int, payload: dict[str, Any]) -> None:
        event = decode(kind, at_ms, payload)
        if kind == "AddLot":
            self.lots[str(payload["id"])] = LotFacts(
                str(payload["variety"]),
                str(payload["grade"]),
                str(payload.get("origin", "")),
                str(payload.get("package", "")),
                str(payload.get("category", "")),
            )
        engine = self.halls.get(hall)
        if engine is None:
            raise EngineError(f"journal input for unknown hall {hall!r}")
        outputs = engine.apply(event)
        self.withdrawn += [(o.at_ms, o.lot) for o in outputs if isinstance(o, Withdrawn)]


def _fingerprint(hall: Any, kind: Any, at_ms: Any, payload: Any) -> tuple[str, str, int, str]:
    """A journal row as it identifies its market (the same seq in another database differs)."""
    return (str(hall), str(kind), int(at_ms), json.dumps(_meta(payload), sort_keys=True))


_FACTS: dict[str, JournalFacts] = {}
_FACTS_LOCK = threading.Lock()


def journal_facts(conn: Connection) -> tuple[dict[str, LotFacts], list[tuple[int, str]]]:
    """The lots' facts and the withdrawals of the connection's market, replaying only what
    was journaled since the last call for the same database (a per-URL cache)."""
    key = conn.engine.url.render_as_string(hide_password=True)
    with _FACTS_LOCK:
        facts = _FACTS.pop(key, None) or JournalFacts()
        _FACTS[key] = facts  # the most recently used last
        while len(_FACTS) > 8:
            _FACTS.pop(next(iter(_FACTS)))
        try:
            facts.update(conn)
        except Exception:
            _FACTS.pop(key, None)  # a half-applied replay is not kept
            raise
        return dict(facts.lots), list(facts.withdrawn)


def compute_records(
    sales: Iterable[SaleFact],
    lots: Mapping[str, LotFacts],
    withdrawn: Iterable[tuple[int, str]],
    start: date,
    end: date,
) -> list[DailyRecord]:
    """The day × variety × grade × origin × package records (revision 0: unpublished)."""
    accs: dict[tuple[date, str, str, str, str], _Acc] = defaultdict(_Acc)
    for s in sales:
        day = day_of(s.at_ms)
        if not start <= day <= end:
            continue
        facts = lots.get(s.lot)
        origin, package = (facts.origin, facts.package) if facts else ("", "")
        accs[(day, s.variety, s.grade, origin, package)].add_sale(
            s.qty, s.unit_net_g, s.price_fen, s.amount_fen
        )
    for at_ms, lot in withdrawn:
        day = day_of(at_ms)
        facts = lots.get(lot)
        if facts is None or not start <= day <= end:
            continue
        accs[(day, facts.variety, facts.grade, facts.origin, facts.package)].withdrawn += 1
    out = [
        DailyRecord(
            day,
            variety,
            grade,
            origin,
            package,
            acc.trades,
            acc.volume_g,
            acc.amount_fen,
            acc.min_fen or 0,
            acc.max_fen or 0,
            mean_price(acc.amount_fen, acc.volume_g),
            acc.withdrawn,
            0,
        )
        for (day, variety, grade, origin, package), acc in accs.items()
    ]
    out.sort(key=lambda r: r.key)
    return out


def computed_records(conn: Connection, start: date, end: date) -> list[DailyRecord]:
    """The records of the CST days start..end (inclusive) as the ledger has them now."""
    from_ms, to_ms = day_bounds(start, end)
    lots, withdrawn = journal_facts(conn)
    return compute_records(ledger_sales(conn, from_ms, to_ms), lots, withdrawn, start, end)


def daily_records(db: str | None, start: date, end: date) -> list[DailyRecord]:
    """The daily records of ``start``..``end`` (inclusive), each with the number of the
    published revision it belongs to (0: not published as it stands).

    ``db`` is a database URL or SQLite file as the market commands take it (None: the
    default, ``$JIQUN_DB`` or ``jiqun-market.db``)."""
    from jiqun.market.prices.publish import with_revisions
    from jiqun.market.store import open_store
    from jiqun.market.store.db import read_only

    engine = open_store(db, create=False)
    try:
        with engine.connect() as conn:
            read_only(conn)
            with conn.begin():
                return with_revisions(conn, computed_records(conn, start, end))
    finally:
        engine.dispose()


def variety_categories(conn: Connection) -> dict[str, str]:
    """Each variety's category (叶菜, 瓜菜 …) as its lots give it (the latest lot with one)."""
    j = t.journal
    out: dict[str, str] = {}
    for (payload,) in conn.execute(
        sa.select(j.c.payload).where(j.c.kind == "AddLot").order_by(j.c.seq)
    ):
        lot = _meta(payload)
        if lot.get("category"):
            out[str(lot["variety"])] = str(lot["category"])
    return out
