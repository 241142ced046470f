"""This feature's tables, on the market's one :data:`jiqun.market.store.schema.metadata`
(created by this feature's Alembic migration)."""

from __future__ import annotations

from jiqun.market.store.schema import metadata

__all__ = ["metadata"]
