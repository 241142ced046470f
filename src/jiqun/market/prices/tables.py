"""This feature's tables, on the market's one :data:`jiqun.market.store.schema.metadata`
(created by this feature's Alembic migration ``0005_prices``).

- ``price_revisions``: one row per publication of a trading day's records; a day is
  published again only when its records differ (a correction in the ledger), as the next
  revision; earlier revisions are kept, never edited.
- ``price_records``: the records of a revision (PRODUCT.md M9); the mean price is kept in
  hundredths of a fen per kg (an integer: no float in the database).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from jiqun.market.store.schema import BigId, metadata

__all__ = ["metadata", "price_records", "price_revisions"]

price_revisions = Table(
    "price_revisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),  # ISO date, China Standard Time
    Column("revision", Integer, nullable=False),  # 1, 2, … per day
    Column("published_at_ms", BigInteger, nullable=False),
    Column("records", Integer, nullable=False),
    UniqueConstraint("day", "revision"),
)

price_records = Table(
    "price_records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("revision_id", BigInteger, ForeignKey("price_revisions.id"), nullable=False, index=True),
    Column("variety", String(64), nullable=False),
    Column("grade", String(32), nullable=False),
    Column("origin", String(100), nullable=False),
    Column("package", String(64), nullable=False),
    Column("trades", Integer, nullable=False),
    Column("volume_g", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("min_fen_per_kg", BigInteger, nullable=False),
    Column("max_fen_per_kg", BigInteger, nullable=False),
    Column("mean_centifen_per_kg", BigInteger, nullable=False),
    Column("withdrawn_lots", Integer, nullable=False),
)
