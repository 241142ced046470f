"""The one-card ledger (PRODUCT.md M4): a port with an in-memory fake and a SQL adapter.

The core decides *what* to book (:mod:`jiqun.market.core.postings`); this module makes the
booking durable and checkable. Every business event is one all-or-nothing transaction whose
entries sum to zero. Nothing is ever edited: a correction is a reversing transaction.

Balances are kept on each account's own side (assets by debits, liabilities and income by
credits), so a wallet of 5,000 fen reads 5000. Wallets and proceeds never go below zero; the
check reads the balance in the same database transaction that writes it (``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite the ``BEGIN IMMEDIATE`` write lock already serialises
writers), so two terminals cannot both spend the last yuan.

Idempotency: a transaction's key names the request. The same key with the same content (kind,
entries, meta — not the time, which a retry may stamp anew) is the same transaction and is
returned as stored; the same key with other content is :class:`IdempotencyConflict`.

:meth:`reconcile` proves the invariants of M4 and names each broken one, so that a tampered
row (an entry changed behind the ledger's back) is found by name, not by a vague total.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from jiqun.market.core import postings
from jiqun.market.core.events import Sale
from jiqun.market.core.model import MarketSettings, Member, Role
from jiqun.market.core.money import fee, lot_amount
from jiqun.market.core.postings import (
    BUYER_FEE,
    CARD_DEPOSITS,
    CASH,
    CLEARING,
    COMMISSION,
    Entry,
    Transaction,
)
from jiqun.market.store import schema as t
from jiqun.market.store.db import is_postgres, read_only

ASSET, LIABILITY, INCOME = "asset", "liability", "income"
CASH_ACCOUNTS = (CASH, CLEARING)
CASH_KINDS = ("deposit", "withdrawal", "payout", "card_deposit")
SYSTEM_ACCOUNTS = (CASH, CLEARING, CARD_DEPOSITS, COMMISSION, BUYER_FEE)


class LedgerError(ValueError):
    """A transaction the ledger refuses; nothing of it was written."""


class IdempotencyConflict(LedgerError):
    """The key is already used by a transaction with other content."""


class InsufficientFunds(LedgerError):
    """A wallet or a supplier's proceeds would go below zero."""


class UnknownAccount(LedgerError):
    """An account of a member who has not been opened, or a name of no known kind."""


class MemberConflict(LedgerError):
    """A member or card that exists already with other facts."""


def account_kind(name: str) -> str:
    if name in CASH_ACCOUNTS:
        return ASSET
    if name.startswith(("wallet:", "proceeds:")) or name == CARD_DEPOSITS:
        return LIABILITY
    if name.startswith("revenue:"):
        return INCOME
    raise UnknownAccount(f"no account kind for {name!r}")


def side(kind: str) -> int:
    """+1 if the account's balance grows with debits (assets), −1 otherwise."""
    return 1 if kind == ASSET else -1


def guarded(name: str) -> bool:
    """Accounts that hold members' money and must never go below zero."""
    return name.startswith(("wallet:", "proceeds:"))


def member_account(member: Member) -> str:
    return postings.wallet(member.id) if member.role is Role.BUYER else postings.proceeds(member.id)


def account_member(name: str) -> str | None:
    kind, _, member = name.partition(":")
    return member if kind in ("wallet", "proceeds") else None


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(txn: Transaction) -> str:
    """What makes two requests with one key the same transaction (not its time: a retry of a
    terminal's request may be stamped anew)."""
    entries = sorted((e.account, e.amount_fen) for e in txn.entries)
    return hashlib.sha256(_canonical([txn.kind, entries, txn.meta]).encode()).hexdigest()


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Posted:
    """A transaction as stored, read back without re-validating it (reconcile reads this:
    a tampered row must be reported, not crash the reader)."""

    key: str
    kind: str
    at_ms: int
    meta: Mapping[str, Any]
    entries: tuple[tuple[str, int], ...]

    def amount_on(self, account: str) -> int:
        return sum(a for name, a in self.entries if name == account)

    def transaction(self) -> Transaction:
        entries = tuple(Entry(name, amount) for name, amount in self.entries)
        return Transaction(self.kind, self.key, entries, self.at_ms, dict(self.meta))


@dataclass(frozen=True)
class StatementLine:
    """One line of a statement: an amount, a fee or a commission (never lumped together).

    ``amount_fen`` is signed from the member's side: + money in, − money out.
    """

    at_ms: int
    key: str
    item: str  # purchase | buyer_fee | sale | commission | deposit | withdrawal | payout | other
    amount_fen: int
    balance_fen: int  # after this line
    reversal: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Statement:
    member: str
    account: str
    from_ms: int
    to_ms: int
    opening_fen: int
    closing_fen: int
    lines: tuple[StatementLine, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "account": self.account,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "opening_fen": self.opening_fen,
            "closing_fen": self.closing_fen,
            "lines": [line.__dict__ for line in self.lines],
        }


CHECKS = (
    "journal_sums_to_zero",
    "balances_equal_entries",
    "wallets_not_negative",
    "sales_equal_postings",
    "reversals_mirror_originals",
    "cash_equals_movements",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reconciliation:
    checks: tuple[Check, ...]
    transactions: int = 0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def broken(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "transactions": self.transactions,
            "checks": [
                {"name": c.name, "ok": c.ok, "details": list(c.details)} for c in self.checks
            ],
        }


# ---------------------------------------------------------------------------- the port


class Ledger(Protocol):
    """What the market needs of a ledger; :class:`MemoryLedger` and :class:`SqlLedger`."""

    def open_member(self, member: Member, at_ms: int) -> None: ...

    def issue_card(
        self, member: str, card_no: str, deposit_fen: int, at_ms: int, key: str | None = None
    ) -> Transaction | None: ...

    def suspend(self, member: str, suspended: bool) -> None: ...

    def post(self, txn: Transaction) -> Transaction: ...

    def deposit(
        self, member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH
    ) -> Transaction: ...

    def withdraw(
        self, member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH
    ) -> Transaction: ...

    def payout(
        self, member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH
    ) -> Transaction: ...

    def settle(self, sale: Sale, market: MarketSettings, key: str) -> Transaction: ...

    def reverse(self, key: str, new_key: str, at_ms: int, reason: str) -> Transaction: ...

    def get(self, key: str) -> Transaction | None: ...

    def member(self, member_id: str) -> Member | None: ...

    def balance(self, account: str) -> int: ...

    def statement(self, member: str, from_ms: int, to_ms: int) -> Statement: ...

    def reconcile(self) -> Reconciliation: ...


def expected_sale_entries(meta: Mapping[str, Any]) -> dict[str, int]:
    """Rulebook v1 §6 from a sale's meta alone: the entries its postings must have."""
    amount = lot_amount(int(meta["price_fen"]), int(meta["qty"]), int(meta["unit_net_g"]))
    buyer_fee = fee(amount, int(meta["buyer_fee_bps"]))
    commission = fee(amount, int(meta["seller_commission_bps"]))
    expected = {
        postings.wallet(str(meta["buyer"])): amount + buyer_fee,
        postings.proceeds(str(meta["supplier"])): -(amount - commission),
        COMMISSION: -commission,
        BUYER_FEE: -buyer_fee,
    }
    return {name: amount for name, amount in expected.items() if amount != 0}


def _summed(entries: Iterable[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, amount in entries:
        out[name] = out.get(name, 0) + amount
    return {name: amount for name, amount in out.items() if amount != 0}


def sale_problem(p: Posted) -> str | None:
    """Why a stored sale's postings are not what its meta says, or None."""
    try:
        expected = expected_sale_entries(p.meta)
    except (KeyError, TypeError, ValueError) as e:
        return f"{p.key}: meta incomplete ({e})"
    actual = _summed(p.entries)
    if actual != expected:
        return f"{p.key}: postings {actual} != recomputed {expected}"
    return None


def _check_new(txn: Transaction) -> None:
    """Refuse a sale whose postings are not what its own meta recomputes to: better now, at
    the terminal, than in the night's reconciliation."""
    if txn.kind == "sale":
        problem = sale_problem(Posted(txn.key, txn.kind, txn.at_ms, txn.meta, _pairs(txn.entries)))
        if problem:
            raise LedgerError(f"sale {problem}")
    if txn.kind == "sealed_award":  # M11: amount − commission to the seller, commission M3 §6
        meta = txn.meta
        amount = int(meta["amount_fen"])
        commission = fee(amount, int(meta["seller_commission_bps"]))
        expected = {
            postings.wallet(str(meta["buyer"])): amount,
            postings.proceeds(str(meta["seller"])): -(amount - commission),
            COMMISSION: -commission,
        }
        if _summed(_pairs(txn.entries)) != {k: v for k, v in expected.items() if v}:
            raise LedgerError(f"sealed award {txn.key}: postings differ from its meta")


def _pairs(entries: Iterable[Entry]) -> tuple[tuple[str, int], ...]:
    return tuple((e.account, e.amount_fen) for e in entries)


def reconciliation(
    entries_total: int,
    unbalanced: Sequence[tuple[str, int]],
    accounts: Iterable[tuple[str, int | None, int]],
    movements: Iterable[Posted],
    reversals: Iterable[tuple[Posted, Posted | None]],
    transactions: int,
) -> Reconciliation:
    """The M4 invariants from what a backend read.

    ``accounts``: (name, stored balance or None, Σ entries debit-positive) of every account;
    ``movements``: every sale and cash transaction; ``reversals``: each with its original.
    """
    limit = 20

    def capped(problems: list[str]) -> tuple[str, ...]:
        if len(problems) > limit:
            return (*problems[:limit], f"… {len(problems) - limit} more")
        return tuple(problems)

    zero = [f"all entries sum to {entries_total}"] if entries_total else []
    zero += [f"{key}: entries sum to {total}" for key, total in unbalanced]

    balance_problems, negative, cash = [], [], 0
    for name, stored, total in accounts:
        try:
            kind = account_kind(name)
        except UnknownAccount:
            balance_problems.append(f"{name}: an account of no known kind")
            continue
        expected = side(kind) * total
        if stored != expected:
            balance_problems.append(f"{name}: balance {stored} != entries {expected}")
        if guarded(name) and (stored or 0) < 0:
            negative.append(f"{name}: {stored}")
        if name in CASH_ACCOUNTS:
            cash += stored or 0

    sales, moved = [], {kind: 0 for kind in CASH_KINDS}
    for p in movements:
        if p.kind == "sale":
            problem = sale_problem(p)
            if problem:
                sales.append(problem)
        elif p.kind in moved:
            moved[p.kind] -= sum(a for name, a in p.entries if name not in CASH_ACCOUNTS)

    mirrors, reversed_cash = [], 0
    for rev, original in reversals:
        if original is None:
            mirrors.append(f"{rev.key}: reverses unknown {rev.meta.get('reverses')}")
            continue
        if _summed(rev.entries) != {n: -a for n, a in _summed(original.entries).items()}:
            mirrors.append(f"{rev.key}: entries do not mirror {original.key}")
        if original.kind in CASH_KINDS:
            reversed_cash -= sum(a for name, a in rev.entries if name not in CASH_ACCOUNTS)
    # A deposit credits a wallet (−), so −Σ of the non-cash side is the money that came in.
    expected_cash = (
        moved["deposit"] + moved["card_deposit"] + moved["withdrawal"] + moved["payout"]
    ) + reversed_cash
    cash_problems = []
    if cash != expected_cash:
        cash_problems.append(
            f"cash+clearing {cash} != deposits {moved['deposit']} − withdrawals "
            f"{-moved['withdrawal']} − payouts {-moved['payout']} + card deposits "
            f"{moved['card_deposit']} + reversals {reversed_cash} = {expected_cash}"
        )
    found = {
        "journal_sums_to_zero": zero,
        "balances_equal_entries": balance_problems,
        "wallets_not_negative": negative,
        "sales_equal_postings": sales,
        "reversals_mirror_originals": mirrors,
        "cash_equals_movements": cash_problems,
    }
    return Reconciliation(
        tuple(Check(name, not found[name], capped(found[name])) for name in CHECKS),
        transactions,
    )


def statement_lines(account: str, opening: int, txns: Iterable[Posted]) -> list[StatementLine]:
    """Split each transaction on the member's account into its amount and each fee."""
    lines: list[StatementLine] = []
    balance = opening
    natural = side(account_kind(account))
    for p in txns:
        delta = natural * p.amount_on(account)
        parts = _items(account, p)
        if sum(a for _, a, _ in parts) != delta:  # an unknown shape: show it whole
            parts = [("other", delta, "")]
        for item, amount, detail in parts:
            balance += amount
            lines.append(
                StatementLine(p.at_ms, p.key, item, amount, balance, p.kind == "reversal", detail)
            )
    return lines


def _items(account: str, p: Posted) -> list[tuple[str, int, str]]:
    sign, kind = 1, p.kind
    if p.kind == "reversal":
        sign, kind = -1, str(p.meta.get("reversed_kind", "other"))
    natural = side(account_kind(account))
    delta = natural * p.amount_on(account) * sign
    if kind == "sale":
        detail = f"{p.meta.get('lot')} ×{p.meta.get('qty')} @{p.meta.get('price_fen')}"
        if account.startswith("wallet:"):
            buyer_fee = -p.amount_on(BUYER_FEE) * sign
            parts = [("purchase", delta + buyer_fee, detail), ("buyer_fee", -buyer_fee, "")]
        else:
            commission = -p.amount_on(COMMISSION) * sign
            parts = [("sale", delta + commission, detail), ("commission", -commission, "")]
    elif kind == "sealed_award":  # M11: the winner's payment; the seller's amount, commission
        detail = f"{p.meta.get('item')}"
        if account.startswith("wallet:"):
            parts = [("sealed_purchase", delta, detail)]
        else:
            commission = -p.amount_on(COMMISSION) * sign
            parts = [("sealed_sale", delta + commission, detail), ("commission", -commission, "")]
    elif kind in ("deposit", "withdrawal", "payout"):
        parts = [(kind, delta, "")]
    else:
        parts = [("other", delta, "")]
    return [(item, sign * amount, detail) for item, amount, detail in parts]


# ---------------------------------------------------------------------------- shared


class _Operations(ABC):
    """The business operations, in terms of :meth:`post` (the same for every backend)."""

    @abstractmethod
    def post(self, txn: Transaction) -> Transaction: ...

    @abstractmethod
    def get(self, key: str) -> Transaction | None: ...

    def deposit(
        self, member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH
    ) -> Transaction:
        return self.post(postings.deposit(member, _positive(amount_fen), at_ms, key, via))

    def withdraw(
        self, member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH
    ) -> Transaction:
        return self.post(postings.withdrawal(member, _positive(amount_fen), at_ms, key, via))

    def payout(
        self, member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH
    ) -> Transaction:
        return self.post(postings.payout(member, _positive(amount_fen), at_ms, key, via))

    def settle(self, sale: Sale, market: MarketSettings, key: str) -> Transaction:
        return self.post(postings.sale(sale, market, key))

    def reverse(self, key: str, new_key: str, at_ms: int, reason: str) -> Transaction:
        """The correction of transaction ``key``: its entries with opposite signs."""
        original = self.get(key)
        if original is None:
            raise LedgerError(f"no transaction {key} to reverse")
        if original.kind == "reversal":
            raise LedgerError(f"{key} is itself a reversal")
        return self.post(reversal(original, new_key, at_ms, reason))


def reversal(original: Transaction, key: str, at_ms: int, reason: str) -> Transaction:
    txn = original.reversal(key, at_ms, reason)
    meta: dict[str, str | int] = {**txn.meta, "reversed_kind": original.kind}
    return Transaction(txn.kind, txn.key, txn.entries, txn.at_ms, meta)


def _positive(amount_fen: int) -> int:
    if type(amount_fen) is not int or amount_fen <= 0:
        raise LedgerError(f"amount must be a positive integer of fen, not {amount_fen!r}")
    return amount_fen


# ---------------------------------------------------------------------------- memory


@dataclass
class _Row:
    """An entry as the fake stores it: mutable, so a test can tamper with it."""

    key: str
    account: str
    amount_fen: int


@dataclass
class _Header:
    key: str
    kind: str
    at_ms: int
    meta: dict[str, Any]
    digest: str
    rows: list[_Row] = field(default_factory=list)


class MemoryLedger(_Operations):
    """The in-memory fake: the same contract as :class:`SqlLedger`, for tests of callers."""

    def __init__(self) -> None:
        self.members: dict[str, Member] = {}
        self.cards: dict[str, tuple[str, int]] = {}
        self.txns: dict[str, _Header] = {}
        self.balances: dict[str, int] = dict.fromkeys(SYSTEM_ACCOUNTS, 0)

    def open_member(self, member: Member, at_ms: int) -> None:
        known = self.members.get(member.id)
        if known is not None:
            if known.role is not member.role:
                raise MemberConflict(f"member {member.id} exists with role {known.role.value}")
            return
        self.members[member.id] = member
        self.balances[member_account(member)] = 0

    def member(self, member_id: str) -> Member | None:
        return self.members.get(member_id)

    def suspend(self, member: str, suspended: bool) -> None:
        m = self._member(member)
        self.members[member] = Member(m.id, m.role, suspended, m.daily_limit_fen)

    def _member(self, member: str) -> Member:
        if member not in self.members:
            raise UnknownAccount(f"unknown member {member}")
        return self.members[member]

    def issue_card(
        self, member: str, card_no: str, deposit_fen: int, at_ms: int, key: str | None = None
    ) -> Transaction | None:
        self._member(member)
        if deposit_fen < 0:
            raise LedgerError("a card deposit cannot be negative")
        known = self.cards.get(card_no)
        if known is not None and known != (member, deposit_fen):
            raise MemberConflict(f"card {card_no} is already issued to {known[0]}")
        txn = None
        if deposit_fen:
            txn = self.post(
                postings.card_deposit(member, deposit_fen, at_ms, key or f"card:{card_no}")
            )
        self.cards[card_no] = (member, deposit_fen)
        return txn

    def post(self, txn: Transaction) -> Transaction:
        digest = content_hash(txn)
        known = self.txns.get(txn.key)
        if known is not None:
            if known.digest != digest:
                raise IdempotencyConflict(f"key {txn.key} is used by another transaction")
            return self._posted(known).transaction()
        _check_new(txn)
        deltas: dict[str, int] = {}
        for e in txn.entries:
            kind = account_kind(e.account)
            member = account_member(e.account)
            if member is not None and e.account not in self.balances:
                raise UnknownAccount(f"{e.account}: member {member} has no such account")
            deltas[e.account] = deltas.get(e.account, 0) + side(kind) * e.amount_fen
        for name, delta in deltas.items():
            if guarded(name) and self.balances.get(name, 0) + delta < 0:
                raise InsufficientFunds(f"{name} would go below zero")
        for name, delta in deltas.items():
            self.balances[name] = self.balances.get(name, 0) + delta
        header = _Header(txn.key, txn.kind, txn.at_ms, dict(txn.meta), digest)
        header.rows = [_Row(txn.key, e.account, e.amount_fen) for e in txn.entries]
        self.txns[txn.key] = header
        return txn

    @staticmethod
    def _posted(h: _Header) -> Posted:
        return Posted(
            h.key, h.kind, h.at_ms, h.meta, tuple((r.account, r.amount_fen) for r in h.rows)
        )

    def get(self, key: str) -> Transaction | None:
        header = self.txns.get(key)
        return None if header is None else self._posted(header).transaction()

    def balance(self, account: str) -> int:
        account_kind(account)
        return self.balances.get(account, 0)

    def statement(self, member: str, from_ms: int, to_ms: int) -> Statement:
        account = member_account(self._member(member))
        natural = side(account_kind(account))
        touching = [self._posted(h) for h in self.txns.values()]
        touching = [p for p in touching if any(n == account for n, _ in p.entries)]
        opening = natural * sum(p.amount_on(account) for p in touching if p.at_ms < from_ms)
        window = sorted((p for p in touching if from_ms <= p.at_ms < to_ms), key=lambda p: p.at_ms)
        lines = statement_lines(account, opening, window)
        closing = lines[-1].balance_fen if lines else opening
        return Statement(member, account, from_ms, to_ms, opening, closing, tuple(lines))

    def reconcile(self) -> Reconciliation:
        posted = [self._posted(h) for h in self.txns.values()]
        sums: dict[str, int] = dict.fromkeys(self.balances, 0)
        unbalanced = []
        for p in posted:
            total = sum(a for _, a in p.entries)
            if total:
                unbalanced.append((p.key, total))
            for name, amount in p.entries:
                sums[name] = sums.get(name, 0) + amount
        by_key = {p.key: p for p in posted}
        return reconciliation(
            sum(sums.values()),
            unbalanced,
            ((name, self.balances.get(name), total) for name, total in sums.items()),
            (p for p in posted if p.kind == "sale" or p.kind in CASH_KINDS),
            ((p, by_key.get(str(p.meta.get("reverses")))) for p in posted if p.kind == "reversal"),
            len(posted),
        )


# ---------------------------------------------------------------------------- SQL


class SqlLedger(_Operations):
    """The ledger in the market's database (SQLite or PostgreSQL, one schema)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ids: dict[str, int] = {}  # account ids known to be committed

    @contextmanager
    def begin(self, conn: Connection | None = None) -> Iterator[LedgerWork]:
        """One database transaction, on ``conn`` if given (a writer that keeps its
        connection saves the pool's round trips); callers add their own writes to it."""
        if conn is None:
            with self.engine.begin() as own, LedgerWork(self, own) as work:
                yield work
        else:
            with conn.begin(), LedgerWork(self, conn) as work:
                yield work
        self._ids.update(work.new_ids)

    def _retrying(self, action: Any) -> Any:
        """Run ``action(work)``; if another writer committed the same key meanwhile (a unique
        violation), run it once more, when the idempotency check will see that row. The hot
        path writes through the driver's cursor, so its error is the driver's own class."""
        try:
            with self.begin() as work:
                return action(work)
        except (IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError):
            with self.begin() as work:
                return action(work)

    def post(self, txn: Transaction) -> Transaction:
        result: Transaction = self._retrying(lambda w: w.post(txn))
        return result

    def open_member(self, member: Member, at_ms: int) -> None:
        self._retrying(lambda w: w.open_member(member, at_ms))

    def suspend(self, member: str, suspended: bool) -> None:
        with self.begin() as work:
            work.suspend(member, suspended)

    def issue_card(
        self, member: str, card_no: str, deposit_fen: int, at_ms: int, key: str | None = None
    ) -> Transaction | None:
        result: Transaction | None = self._retrying(
            lambda w: w.issue_card(member, card_no, deposit_fen, at_ms, key)
        )
        return result

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            read_only(conn)
            with conn.begin():
                yield conn

    def get(self, key: str) -> Transaction | None:
        with self._reading() as conn:
            posted = _load(conn, [key])
        return posted[0].transaction() if posted else None

    def member(self, member_id: str) -> Member | None:
        with self._reading() as conn:
            row = conn.execute(sa.select(t.members).where(t.members.c.id == member_id)).first()
        if row is None:
            return None
        return Member(row.id, Role(row.role), bool(row.suspended), row.daily_limit_fen)

    def balance(self, account: str) -> int:
        account_kind(account)
        with self._reading() as conn:
            value = conn.execute(
                sa.select(t.balances.c.balance_fen)
                .join(t.accounts, t.accounts.c.id == t.balances.c.account_id)
                .where(t.accounts.c.name == account)
            ).scalar()
        return int(value or 0)

    def balances(self) -> dict[str, int]:
        """Every account's balance (the crash harness compares them with the engine's)."""
        with self._reading() as conn:
            rows = conn.execute(
                sa.select(t.accounts.c.name, t.balances.c.balance_fen).join(
                    t.balances, t.accounts.c.id == t.balances.c.account_id
                )
            ).all()
        return {name: int(balance) for name, balance in rows}

    def sold_units(self) -> dict[str, tuple[int, int]]:
        """Per lot: (sales, units) booked, net of reversed sales."""
        out: dict[str, tuple[int, int]] = {}
        x = t.transactions
        with self._reading() as conn:
            for kind, meta in conn.execute(
                sa.select(x.c.kind, x.c.meta).where(x.c.kind.in_(("sale", "reversal")))
            ):
                if kind == "reversal":
                    if meta.get("reversed_kind") != "sale":
                        continue
                    original = _load(conn, [str(meta["reverses"])])
                    meta, sign = original[0].meta, -1
                else:
                    sign = 1
                count, units = out.get(meta["lot"], (0, 0))
                out[meta["lot"]] = (count + sign, units + sign * int(meta["qty"]))
        return out

    def statement(self, member: str, from_ms: int, to_ms: int) -> Statement:
        found = self.member(member)
        if found is None:
            raise UnknownAccount(f"unknown member {member}")
        account = member_account(found)
        natural = side(account_kind(account))
        e, x, a = t.entries, t.transactions, t.accounts
        with self._reading() as conn:
            account_id = conn.execute(sa.select(a.c.id).where(a.c.name == account)).scalar()
            opening = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(e.c.amount_fen), 0))
                .join(x, x.c.id == e.c.txn_id)
                .where(e.c.account_id == account_id, x.c.at_ms < from_ms)
            ).scalar_one()
            keys = (
                conn.execute(
                    sa.select(x.c.key)
                    .where(
                        x.c.id.in_(sa.select(e.c.txn_id).where(e.c.account_id == account_id)),
                        x.c.at_ms >= from_ms,
                        x.c.at_ms < to_ms,
                    )
                    .order_by(x.c.at_ms, x.c.id)
                )
                .scalars()
                .all()
            )
            window = _load(conn, list(keys))
        order = {key: i for i, key in enumerate(keys)}
        window.sort(key=lambda p: order[p.key])
        lines = statement_lines(account, natural * int(opening), window)
        closing = lines[-1].balance_fen if lines else natural * int(opening)
        return Statement(
            member, account, from_ms, to_ms, natural * int(opening), closing, tuple(lines)
        )

    def reconcile(self) -> Reconciliation:
        e, x, a, b = t.entries, t.transactions, t.accounts, t.balances
        with self._reading() as conn:
            total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(e.c.amount_fen), 0)))
            entries_total = int(total.scalar_one())
            count = int(conn.execute(sa.select(sa.func.count()).select_from(x)).scalar_one())
            unbalanced = [
                (key, int(s))
                for key, s in conn.execute(
                    sa.select(x.c.key, sa.func.sum(e.c.amount_fen))
                    .join(e, e.c.txn_id == x.c.id)
                    .group_by(x.c.id, x.c.key)
                    .having(sa.func.sum(e.c.amount_fen) != 0)
                    .order_by(x.c.id)
                    .limit(100)
                )
            ]
            sums = (
                sa.select(e.c.account_id, sa.func.sum(e.c.amount_fen).label("total"))
                .group_by(e.c.account_id)
                .subquery()
            )
            accounts = [
                (name, None if stored is None else int(stored), int(s or 0))
                for name, stored, s in conn.execute(
                    sa.select(a.c.name, b.c.balance_fen, sums.c.total)
                    .outerjoin(b, b.c.account_id == a.c.id)
                    .outerjoin(sums, sums.c.account_id == a.c.id)
                    .order_by(a.c.name)
                )
            ]
            reversals = list(_stream(conn, x.c.kind == "reversal"))  # few: corrections
            originals = {
                p.key: p for p in _load(conn, [str(r.meta.get("reverses")) for r in reversals])
            }
            # every sale of every day: streamed, never held in memory at once
            movements = _stream(conn, x.c.kind.in_(("sale", *CASH_KINDS)), batch=10_000)
            return reconciliation(
                entries_total,
                unbalanced,
                accounts,
                movements,
                [(r, originals.get(str(r.meta.get("reverses")))) for r in reversals],
                count,
            )


def _stream(conn: Connection, where: Any, batch: int | None = None) -> Iterator[Posted]:
    """Stored transactions with their entries, in id order, grouped from one joined query
    (``batch``: fetched that many rows at a time, through a server-side cursor on
    PostgreSQL)."""
    e, x, a = t.entries, t.transactions, t.accounts
    if batch:
        conn = conn.execution_options(yield_per=batch)
    rows = conn.execute(
        sa.select(x.c.id, x.c.key, x.c.kind, x.c.at_ms, x.c.meta, a.c.name, e.c.amount_fen)
        .outerjoin(e, e.c.txn_id == x.c.id)
        .outerjoin(a, a.c.id == e.c.account_id)
        .where(where)
        .order_by(x.c.id, e.c.id)
    )
    current: tuple[int, str, str, int, Any] | None = None
    pairs: list[tuple[str, int]] = []
    for txn_id, key, kind, at_ms, meta, name, amount in rows:
        if current is None or current[0] != txn_id:
            if current is not None:
                yield Posted(current[1], current[2], current[3], current[4], tuple(pairs))
            current, pairs = (txn_id, key, kind, int(at_ms), meta), []
        if name is not None:
            pairs.append((name, int(amount)))
    if current is not None:
        yield Posted(current[1], current[2], current[3], current[4], tuple(pairs))


def _load(conn: Connection, keys: list[str]) -> list[Posted]:
    if not keys:
        return []
    out: list[Posted] = []
    for i in range(0, len(keys), 500):
        out += _stream(conn, t.transactions.c.key.in_(keys[i : i + 500]))
    return out


class LedgerWork:
    """The ledger's writes inside one database transaction that the caller commits."""

    def __init__(self, ledger: SqlLedger, conn: Connection) -> None:
        self.ledger, self.conn = ledger, conn
        self.new_ids: dict[str, int] = {}
        self.postgres = is_postgres(conn)
        self.sql = _HOT_SQL[self.postgres]
        self._cursor: Any = None

    def __enter__(self) -> LedgerWork:
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the driver's cursor before the transaction ends: a SQLite statement left
        open would keep the write lock alive in a connection that is being thrown away."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    @property
    def cursor(self) -> Any:
        """The driver's cursor, inside this same transaction."""
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        return self._cursor

    # ---------------------------------------------------------------- accounts

    def _insert_ignoring_conflict(self, table: sa.Table, **values: Any) -> None:
        insert = postgresql.insert if self.postgres else sqlite.insert
        self.conn.execute(insert(table).values(**values).on_conflict_do_nothing())

    def _create_account(self, name: str, member: str | None) -> int:
        self._insert_ignoring_conflict(
            t.accounts, name=name, kind=account_kind(name), member_id=member
        )
        account_id = int(
            self.conn.execute(
                sa.select(t.accounts.c.id).where(t.accounts.c.name == name)
            ).scalar_one()
        )
        self._insert_ignoring_conflict(t.balances, account_id=account_id, balance_fen=0)
        self.new_ids[name] = account_id
        return account_id

    def _account_ids(self, names: Iterable[str]) -> dict[str, int]:
        ids, missing = {}, []
        known = self.ledger._ids
        for name in names:
            found = known.get(name) or self.new_ids.get(name)
            if found is None:
                missing.append(name)
            else:
                ids[name] = found
        if missing:
            rows = self.conn.execute(
                sa.select(t.accounts.c.name, t.accounts.c.id).where(t.accounts.c.name.in_(missing))
            ).all()
            for name, account_id in rows:
                ids[name] = self.new_ids[name] = int(account_id)
            for name in missing:
                if name in ids:
                    continue
                if account_member(name) is not None:
                    raise UnknownAccount(f"{name}: no such account (is the member opened?)")
                ids[name] = self._create_account(name, None)
        return ids

    # ---------------------------------------------------------------- members

    def open_member(self, member: Member, at_ms: int) -> None:
        m = t.members
        row = self.conn.execute(sa.select(m.c.role).where(m.c.id == member.id)).first()
        if row is not None:
            if row.role != member.role.value:
                raise MemberConflict(f"member {member.id} exists with role {row.role}")
            return
        self.conn.execute(
            m.insert().values(
                id=member.id,
                role=member.role.value,
                suspended=member.suspended,
                daily_limit_fen=member.daily_limit_fen,
                opened_at_ms=at_ms,
            )
        )
        self._create_account(member_account(member), member.id)

    def suspend(self, member: str, suspended: bool) -> None:
        m = t.members
        done = self.conn.execute(m.update().where(m.c.id == member).values(suspended=suspended))
        if done.rowcount != 1:
            raise UnknownAccount(f"unknown member {member}")

    def issue_card(
        self, member: str, card_no: str, deposit_fen: int, at_ms: int, key: str | None = None
    ) -> Transaction | None:
        if deposit_fen < 0:
            raise LedgerError("a card deposit cannot be negative")
        if (
            self.conn.execute(sa.select(t.members.c.id).where(t.members.c.id == member)).first()
            is None
        ):
            raise UnknownAccount(f"unknown member {member}")
        c = t.cards
        known = self.conn.execute(
            sa.select(c.c.member_id, c.c.deposit_fen).where(c.c.card_no == card_no)
        ).first()
        if known is not None and (known.member_id, known.deposit_fen) != (member, deposit_fen):
            raise MemberConflict(f"card {card_no} is already issued to {known.member_id}")
        if known is None:
            self.conn.execute(
                c.insert().values(
                    card_no=card_no, member_id=member, deposit_fen=deposit_fen, issued_at_ms=at_ms
                )
            )
        if not deposit_fen:
            return None
        return self.post(
            postings.card_deposit(member, deposit_fen, at_ms, key or f"card:{card_no}")
        )

    # ---------------------------------------------------------------- posting

    def post(self, txn: Transaction, *, fresh: bool = False) -> Transaction:
        """Write one transaction and its balances. ``fresh``: the caller guarantees the key is
        new (:meth:`post_fresh`), which saves the idempotency lookup."""
        if not fresh:
            conn, x = self.conn, t.transactions
            row = conn.execute(sa.select(x.c.content_hash).where(x.c.key == txn.key)).first()
            if row is not None:
                if row.content_hash != content_hash(txn):
                    raise IdempotencyConflict(f"key {txn.key} is used by another transaction")
                return _load(conn, [txn.key])[0].transaction()
        self.post_fresh([txn])
        return txn

    def post_fresh(self, txns: Sequence[Transaction]) -> None:
        """Write transactions whose keys the caller guarantees are new (the journal derives
        them from sequence numbers it has just inserted; the unique key still stands guard),
        in order, with their balances: each is checked as if written alone after the ones
        before it (a wallet or proceeds never below zero). A group commit writes all of its
        sales with a few statements (:meth:`HotSql.write`)."""
        if not txns:
            return
        for txn in txns:
            _check_new(txn)
        ids = self._account_ids({e.account for txn in txns for e in txn.entries})
        watched: dict[int, str] = {}  # wallets and proceeds: never below zero
        writes = []
        for txn in txns:
            deltas: dict[int, int] = {}
            for e in txn.entries:
                account_id = ids[e.account]
                delta = side(account_kind(e.account)) * e.amount_fen
                deltas[account_id] = deltas.get(account_id, 0) + delta
                if guarded(e.account):
                    watched[account_id] = e.account
            writes.append(
                _Write(
                    (txn.key, txn.kind, txn.at_ms, content_hash(txn), _canonical(txn.meta)),
                    [(ids[e.account], e.amount_fen) for e in txn.entries],
                    deltas,
                )
            )
        self.sql.write(self.cursor, writes, watched)


@dataclass(frozen=True)
class _Write:
    """One fresh transaction as the hot path's statements take it."""

    header: tuple[Any, ...]  # key, kind, at_ms, content_hash, meta
    pairs: list[tuple[int, int]]  # (account id, amount) per entry, in order
    deltas: dict[int, int]  # account id → change of its balance (on its own side)


def _check_funds(
    writes: Sequence[_Write], balances: dict[int, int], watched: Mapping[int, str]
) -> None:
    """Apply ``writes`` in order to ``balances`` (the watched accounts they lower, read in
    the same database transaction) and refuse the first that takes one below zero."""
    for w in writes:
        for account_id, delta in w.deltas.items():
            if account_id in balances:
                balances[account_id] += delta
                if delta < 0 and account_id in watched and balances[account_id] < 0:
                    raise InsufficientFunds(f"{watched[account_id]} would go below zero")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


PARAMETERS_PER_STATEMENT = 900  # under SQLite's oldest limit of 999 bound parameters
JOURNAL_ROWS_PER_STATEMENT = PARAMETERS_PER_STATEMENT // 5


class HotSql:
    """The statements of the hot path (a few per sale), in the driver's own paramstyle and
    run on its own cursor: going through SQLAlchemy's statement machinery cost more than
    the statements themselves and held SQLite under 1,000 sales/s."""

    p = "?"  # (no row locks: SQLite's BEGIN IMMEDIATE has already serialised the writers)

    def __init__(self) -> None:
        p = self.p
        self.insert_journal = (
            "INSERT INTO journal (seq, hall, kind, payload, at_ms) "
            f"VALUES ({p}, {p}, {p}, {p}, {p})"
        )

    def insert_journal_rows(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        """A group commit's journal rows in as few statements as possible: each statement
        lets go of the GIL and then waits to get it back from the busy event loop thread (up
        to the interpreter's switch interval), so one per press made a burst's commit slow."""
        p = self.p
        for start in range(0, len(rows), JOURNAL_ROWS_PER_STATEMENT):
            chunk = rows[start : start + JOURNAL_ROWS_PER_STATEMENT]
            values = ", ".join([f"({p}, {p}, {p}, {p}, {p})"] * len(chunk))
            cursor.execute(
                f"INSERT INTO journal (seq, hall, kind, payload, at_ms) VALUES {values}",
                [value for row in chunk for value in row],
            )

    def write(self, cursor: Any, writes: Sequence[_Write], watched: Mapping[int, str]) -> None:
        """Fresh transactions, their entries and balances in a few statements for all of
        them: SQLite runs in-process and each statement (each row it returns, too) lets go of
        the GIL and waits to get it back from the busy event loop thread: ≈ 10 statements a
        sale made a group of 32 take 35 ms beside a busy thread, 7 statements for any group
        take 6.5 ms (bench/RESULTS.md, "Fifth session"). The balances the check needs come
        back as one row; the entries find their transaction by its unique key."""
        p = self.p
        lowered = sorted({a for w in writes for a, d in w.deltas.items() if d < 0 and a in watched})
        if lowered:
            balances: dict[int, int] = {}
            for chunk in _chunks(lowered, PARAMETERS_PER_STATEMENT):
                cursor.execute(
                    "SELECT group_concat(account_id || ' ' || balance_fen) FROM balances "
                    f"WHERE account_id IN ({', '.join([p] * len(chunk))})",
                    list(chunk),
                )
                found = cursor.fetchone()[0]
                for pair in found.split(",") if found else ():
                    account_id, balance = pair.split(" ")
                    balances[int(account_id)] = int(balance)
            _check_funds(writes, balances, watched)
        for chunk in _chunks(writes, PARAMETERS_PER_STATEMENT // 5):
            cursor.execute(
                "INSERT INTO transactions (key, kind, at_ms, content_hash, meta) VALUES "
                + ", ".join([f"({p}, {p}, {p}, {p}, {p})"] * len(chunk)),
                [value for w in chunk for value in w.header],
            )
        entries = [(w.header[0], a, m) for w in writes for a, m in w.pairs]
        entry = f"((SELECT id FROM transactions WHERE key = {p}), {p}, {p})"
        for chunk in _chunks(entries, PARAMETERS_PER_STATEMENT // 3):
            cursor.execute(
                "INSERT INTO entries (txn_id, account_id, amount_fen) VALUES "
                + ", ".join([entry] * len(chunk)),
                [value for entry in chunk for value in entry],
            )
        totals: dict[int, int] = {}
        for w in writes:
            for account_id, delta in w.deltas.items():
                totals[account_id] = totals.get(account_id, 0) + delta
        changed = [(a, d) for a, d in totals.items() if d]
        for chunk in _chunks(changed, PARAMETERS_PER_STATEMENT // 3):
            cases = " ".join([f"WHEN {p} THEN {p}"] * len(chunk))
            cursor.execute(
                f"UPDATE balances SET balance_fen = balance_fen + CASE account_id {cases} END "
                f"WHERE account_id IN ({', '.join([p] * len(chunk))})",
                [v for pair in chunk for v in pair] + [a for a, _ in chunk],
            )


class PostgresHotSql(HotSql):
    """On PostgreSQL every statement is a round trip: per transaction, its accounts are locked
    in one order (no two writers can deadlock) and checked, the transaction and its entries go
    in one statement, the balances in another, arrays instead of many rows."""

    p = "%s"

    INSERT = (
        "WITH t AS (INSERT INTO transactions (key, kind, at_ms, content_hash, meta) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id) "
        "INSERT INTO entries (txn_id, account_id, amount_fen) "
        "SELECT t.id, u.a, u.m FROM t, unnest(%s::integer[], %s::bigint[]) "
        "WITH ORDINALITY AS u(a, m, n) ORDER BY u.n"
    )
    ADD = (
        "UPDATE balances AS b SET balance_fen = b.balance_fen + u.d "
        "FROM unnest(%s::integer[], %s::bigint[]) AS u(a, d) WHERE b.account_id = u.a"
    )

    def write(self, cursor: Any, writes: Sequence[_Write], watched: Mapping[int, str]) -> None:
        for w in writes:
            locked = sorted(w.deltas)
            if locked:
                cursor.execute(
                    "SELECT account_id, balance_fen FROM balances "
                    f"WHERE account_id IN ({', '.join(['%s'] * len(locked))}) "
                    "ORDER BY account_id FOR UPDATE",
                    locked,
                )
                _check_funds([w], dict(cursor.fetchall()), watched)
            accounts = [a for a, _ in w.pairs]
            amounts = [m for _, m in w.pairs]
            cursor.execute(self.INSERT, (*w.header, accounts, amounts))
            changed = [(a, d) for a, d in w.deltas.items() if d]
            if changed:
                cursor.execute(self.ADD, ([a for a, _ in changed], [d for _, d in changed]))


_HOT_SQL = {False: HotSql(), True: PostgresHotSql()}
