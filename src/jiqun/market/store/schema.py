"""The market's tables (PRODUCT.md M4, M6): one schema for SQLite and PostgreSQL.

Money is BIGINT fen, times are BIGINT milliseconds. The migrations in ``migrations/versions``
create these tables; a test checks that they agree with this module, which is what the code
queries through (SQLAlchemy Core, no ORM: the hot path is a handful of statements per sale).

- ``members``, ``cards``: who holds a one-card account, and the cards issued with their deposit.
- ``accounts``: one row per ledger account (``wallet:B01``, ``cash`` …) with its kind.
- ``transactions`` / ``entries``: the double-entry journal; entries are never updated.
- ``balances``: each account's balance, kept in the same database transaction as its entries,
  so that the "never below zero" check reads a value that cannot change under it.
- ``halls``: the settings each hall's engine was built with (they never change).
- ``journal``: every input of every hall, in one global sequence; ``snapshots`` of the engines.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid), which is 64-bit anyway.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

members = Table(
    "members",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("suspended", Boolean, nullable=False, default=False),
    Column("daily_limit_fen", BigInteger, nullable=True),
    Column("opened_at_ms", BigInteger, nullable=False),
    CheckConstraint("role IN ('buyer', 'supplier')", name="role"),
)

cards = Table(
    "cards",
    metadata,
    Column("card_no", String(32), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("deposit_fen", BigInteger, nullable=False),
    Column("issued_at_ms", BigInteger, nullable=False),
    CheckConstraint("deposit_fen >= 0", name="deposit"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=True),
    CheckConstraint("kind IN ('asset', 'liability', 'income')", name="kind"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # the idempotency key
    Column("kind", String(32), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("meta", JSON, nullable=False),  # rule version, fee rates, what a sale was
)

entries = Table(
    "entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("txn_id", BigInteger, ForeignKey("transactions.id"), nullable=False, index=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # > 0 debit, < 0 credit
    CheckConstraint("amount_fen <> 0", name="nonzero"),
    Index(None, "account_id", "txn_id"),
)

balances = Table(
    "balances",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    # On the account's own side: debits for assets, credits for liabilities and income.
    Column("balance_fen", BigInteger, nullable=False),
)

halls = Table(
    "halls",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tick_ms", BigInteger, nullable=False),
    Column("step_fen", BigInteger, nullable=False),
    Column("pause_ms", BigInteger, nullable=False),
    Column("restart_steps", BigInteger, nullable=False),
    Column("same_stop_ms", BigInteger, nullable=False),
    Column("seller_commission_bps", BigInteger, nullable=False),
    Column("buyer_fee_bps", BigInteger, nullable=False),
    Column("rule_version", String(16), nullable=False),
)

journal = Table(
    "journal",
    metadata,
    # Assigned by the single writer, not by the database: a second writer fails on the key.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hall", String(64), ForeignKey("halls.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("hall", String(64), nullable=False),  # "*": every hall and their shared accounts
    Column("seq", BigInteger, nullable=False),  # the last journal input the state includes
    Column("state", JSON, nullable=False),
    UniqueConstraint("hall", "seq"),
)

# The live server (issue "Market II"): who logs in, and the hash-chained audit log (M7).
# A member's user id is the member's id; staff are users without a member row.
users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("name", String(100), nullable=False, default=""),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at_ms", BigInteger, nullable=False),
    CheckConstraint(
        "role IN ('buyer', 'supplier', 'auctioneer', 'inspector', 'cashier', 'admin')",
        name="role",
    ),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Append-only: rows are inserted with the next seq and never updated (security.audit).
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

ALL_TABLES = (
    members,
    cards,
    accounts,
    transactions,
    entries,
    balances,
    halls,
    journal,
    snapshots,
    users,
    audit_log,
)


# Feature tables live beside their code, on this metadata (imported last: they import it).
from jiqun.market.prices import tables as _prices_tables  # noqa: E402, F401
from jiqun.market.quality import tables as _quality_tables  # noqa: E402, F401
from jiqun.market.sealed import tables as _sealed_tables  # noqa: E402, F401
from jiqun.market.service import tables as _staff_tables  # noqa: E402, F401
