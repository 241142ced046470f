"""This feature's tables, on the market's one :data:`jiqun.market.store.schema.metadata`
(created by migration ``0003_sealed``).

- ``sealed_items``: an item listed for a sealed-bid auction (M11): its seller, reserve, window
  ``[opens_ms, closes_ms)``, the commission rate fixed when it was listed, and once closed its
  ``status`` (``sold``, ``unsold``, or ``unpaid`` when the winner's wallet no longer covered
  his bid because he spent it at the clock) with the winner, amount and commission.
- ``sealed_bids``: every bid on a listed item, in arrival order (``id``): accepted ones with
  ``reason`` NULL, rejected ones with the rulebook's reason. ``standing`` marks the bid that
  holds the bidder's money on an open item (his latest accepted one); it is cleared when a
  later bid replaces it and when the item closes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)

from jiqun.market.store.schema import BigId, metadata

sealed_items = Table(
    "sealed_items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seller", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("reserve_fen", BigInteger, nullable=False),
    Column("opens_ms", BigInteger, nullable=False),
    Column("closes_ms", BigInteger, nullable=False),
    Column("commission_bps", Integer, nullable=False),
    Column("listed_by", String(64), nullable=False),
    Column("listed_at_ms", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("winner", String(64), nullable=True),
    Column("amount_fen", BigInteger, nullable=True),
    Column("commission_fen", BigInteger, nullable=True),
    Column("closed_at_ms", BigInteger, nullable=True),
    CheckConstraint("status IN ('open', 'sold', 'unsold', 'unpaid')", name="status"),
    CheckConstraint("opens_ms < closes_ms", name="window"),
    CheckConstraint("reserve_fen >= 0", name="reserve"),
)

sealed_bids = Table(
    "sealed_bids",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item", String(64), ForeignKey("sealed_items.id"), nullable=False, index=True),
    Column("bidder", String(64), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=True),  # NULL: the amount given was no integer
    Column("at_ms", BigInteger, nullable=False),
    Column("reason", String(32), nullable=True),
    Column("standing", Boolean, nullable=False),
)
