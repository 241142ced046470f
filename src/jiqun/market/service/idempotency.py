"""Idempotent staff requests (PRODUCT.md M4: "each request from a terminal carries an
idempotency key").

A state-changing staff call may carry a client request id, in the ``Idempotency-Key`` header
or the body's ``request_id`` field. The first request with an id is carried out and its answer
stored (table ``staff_requests``, per acting user); a retry with the same id and the same body
(the canonical JSON without ``request_id``) on the same route gets the stored answer and acts no
second time; the same id with another body or route is ``409 idempotency_conflict``.

Surviving a crash: the row is written (``status`` empty) before the request acts, and the
request's journal input records its sequence number in the row on the writer thread just
before it is journaled (:meth:`Claim.check`). A retry that finds an empty row left by another
process (the server died meanwhile) looks at the journal: if that input is there, the request
was carried out and is answered ``200`` with ``{"request_id", "journal_seq", "done": true}``; if
not, it did not happen and is carried out now. A refused request (4xx) stores nothing: it did
nothing, and a retry is decided afresh.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import Engine

from jiqun.market.journal import DurableMarket
from jiqun.market.service.app import Refused, service_of
from jiqun.market.service.tables import staff_requests as r
from jiqun.market.store import schema as t

HEADER = "Idempotency-Key"
FIELD = "request_id"
KEY = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no spaces
BOOT = secrets.token_hex(8)  # this serving process: an empty row of another one is in doubt


def body_hash(body: dict[str, Any]) -> str:
    """What makes two requests with one id the same request: the body, canonical, sans id."""
    content = {k: v for k, v in body.items() if k != FIELD}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def request_key(request: web.Request, body: dict[str, Any]) -> str | None:
    """The client's request id (header first), or None; a malformed one is refused."""
    key = request.headers.get(HEADER)
    if key is None:
        field = body.get(FIELD)
        if field is None:
            return None
        key = field if isinstance(field, str) else ""
    if not KEY.fullmatch(key):
        raise Refused(400, "bad_request_id")
    return key


@dataclass(frozen=True)
class Claim:
    """One request being carried out under its id."""

    actor: str
    key: str
    route: str
    body_hash: str

    def check(self, kind: str) -> Callable[[DurableMarket], None]:
        """A runner check that records the journal input (its seq and kind) the request is
        about to submit; run on the writer thread, right before the input is journaled."""

        def record(m: DurableMarket) -> None:
            with m.engine.begin() as conn:
                conn.execute(
                    r.update()
                    .where(r.c.actor == self.actor, r.c.key == self.key)
                    .values(journal_seq=m.seq + 1, journal_kind=kind)
                )

        return record


@dataclass(frozen=True)
class Stored:
    status: int
    body: Any


def _reserve(engine: Engine, claim: Claim, at_ms: int) -> Stored | None:
    """The stored answer of the claim's id, or None after taking the id for this process."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(r).where(r.c.actor == claim.actor, r.c.key == claim.key)
        ).first()
        if row is None:
            conn.execute(
                r.insert().values(
                    actor=claim.actor,
                    key=claim.key,
                    route=claim.route,
                    body_hash=claim.body_hash,
                    owner=BOOT,
                    at_ms=at_ms,
                )
            )
            return None
        if row.route != claim.route or row.body_hash != claim.body_hash:
            raise Refused(409, "idempotency_conflict")
        if row.status is not None:
            return Stored(int(row.status), row.response)
        if row.owner == BOOT:
            raise Refused(409, "request_in_progress")
        # left by a process that died while carrying it out: did its input reach the journal?
        done = row.journal_seq is not None and (
            conn.execute(
                sa.select(t.journal.c.kind).where(t.journal.c.seq == row.journal_seq)
            ).scalar()
            == row.journal_kind
        )
        where = (r.c.actor == claim.actor) & (r.c.key == claim.key)
        if done:
            answer = {FIELD: claim.key, "journal_seq": int(row.journal_seq), "done": True}
            conn.execute(r.update().where(where).values(status=200, response=answer))
            return Stored(200, answer)
        conn.execute(r.update().where(where).values(owner=BOOT, journal_seq=None))
        return None


def _finish(engine: Engine, claim: Claim, stored: Stored | None) -> None:
    where = (r.c.actor == claim.actor) & (r.c.key == claim.key)
    with engine.begin() as conn:
        if stored is None:
            conn.execute(r.delete().where(where))
        else:
            conn.execute(r.update().where(where).values(status=stored.status, response=stored.body))


Action = Callable[[Claim | None], Awaitable[web.Response]]


async def idempotent(
    request: web.Request, actor: str, body: dict[str, Any], action: Action
) -> web.Response:
    """Carry out ``action`` once per request id (see the module's docstring). The action gets
    the :class:`Claim` (None without an id) and answers with a JSON response."""
    key = request_key(request, body)
    if key is None:
        return await action(None)
    runner = service_of(request.app).runner
    claim = Claim(actor, key, f"{request.method} {request.path}", body_hash(body))
    at = runner.now()
    stored = await runner.call(lambda m: _reserve(m.engine, claim, at))
    if stored is not None:
        response = web.json_response(stored.body, status=stored.status)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    keep: Stored | None = None
    try:
        response = await action(claim)
        if 200 <= response.status < 300 and response.text is not None:
            keep = Stored(response.status, json.loads(response.text))
        return response
    finally:
        await runner.call(lambda m: _finish(m.engine, claim, keep))
