"""The quality testing centre's tables, on the market's one
:data:`jiqun.market.store.schema.metadata` (created by migration ``0004_quality``).

- ``quality_lots``: every lot taken in, with its certificate (承诺达标合格证) or its testing,
  its trace code and its status: ``testing`` (waiting for a test; not on a clock), ``released``
  (certificate or passing test; put on its hall's clock), ``blocked`` (failed; the engine
  refuses it). ``lot`` keeps the lot's fields so that a released lot can be put on the clock.
- ``quality_tests``: each sample's test: rapid (inhibition readings, GB/T 5009.199) or lab
  (mg/kg per pesticide against GB 2763), with the verdict as judged.
- ``quality_flags``: suppliers flagged after a failed lot (the sampling plan oversamples them).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, ForeignKey, String, Table

from jiqun.market.store.schema import BigId, metadata

quality_lots = Table(
    "quality_lots",
    metadata,
    Column("lot_id", String(64), primary_key=True),
    Column("hall", String(32), nullable=False),
    Column("supplier", String(64), nullable=False, index=True),
    Column("variety", String(64), nullable=False),
    Column("origin", String(64), nullable=False),
    Column("lot", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("certificate_no", String(64), nullable=True),
    Column("certificate_issuer", String(64), nullable=True),
    Column("certificate_date", String(10), nullable=True),
    Column("trace_code", String(32), nullable=False, unique=True),
    Column("received_at_ms", BigInteger, nullable=False, index=True),
    Column("released_at_ms", BigInteger, nullable=True),
    Column("blocked_reason", String(200), nullable=True),
    Column("sampling", JSON, nullable=True),  # why the sampling plan drew it
    CheckConstraint("status IN ('testing', 'released', 'blocked')", name="status"),
)

quality_tests = Table(
    "quality_tests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lot_id", String(64), ForeignKey("quality_lots.lot_id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("inspector", String(64), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("readings", JSON, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("detail", JSON, nullable=False),
    CheckConstraint("kind IN ('rapid', 'lab')", name="kind"),
)

quality_flags = Table(
    "quality_flags",
    metadata,
    Column("supplier", String(64), primary_key=True),
    Column("flagged_at_ms", BigInteger, nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("reason", String(200), nullable=False),
)

__all__ = ["metadata", "quality_flags", "quality_lots", "quality_tests"]
