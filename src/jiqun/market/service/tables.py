"""The staff consoles' tables, on the market's one :data:`jiqun.market.store.schema.metadata`
(created by migration ``0006_staff``).

- ``staff_requests``: the answers to state-changing staff calls by their client request id
  (``Idempotency-Key``), so that a retried request, even after a restart, is answered with the
  first answer instead of acting twice (:mod:`jiqun.market.service.idempotency`).
- ``catalogue``: varieties, grades and package codes with standard net weights that
  administrators add to the built-in catalogue (:mod:`jiqun.market.service.catalogue`).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Integer, String, Table

from jiqun.market.store.schema import metadata

staff_requests = Table(
    "staff_requests",
    metadata,
    Column("actor", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),  # the client's request id
    Column("route", String(200), nullable=False),  # method and path the id was first used on
    Column("body_hash", String(64), nullable=False),  # SHA-256 of the canonical JSON body
    # The journal input the request submits (seq), recorded just before it is journaled, so a
    # request in doubt after a crash can be resolved by looking at the journal.
    Column("journal_seq", BigInteger, nullable=True),
    Column("journal_kind", String(32), nullable=True),
    Column("owner", String(32), nullable=False),  # the serving process that took the request
    Column("status", Integer, nullable=True),  # None: in progress (or in doubt after a crash)
    Column("response", JSON, nullable=True),
    Column("at_ms", BigInteger, nullable=False),
)

catalogue = Table(
    "catalogue",
    metadata,
    Column("kind", String(16), primary_key=True),  # variety | grade | package
    Column("code", String(64), primary_key=True),  # variety name, grade name, package code
    Column("name", String(64), nullable=False),
    Column("category", String(32), nullable=False, default=""),  # varieties
    Column("standard_code", String(32), nullable=False, default=""),  # NY/T 2137 where known
    Column("net_g", BigInteger, nullable=True),  # packages: the standard net weight
    Column("at_ms", BigInteger, nullable=False),
)
