"""The testing centre in the live server: intake (called by ``api_add_lot``), tests, release
and blocking through the engine, the trace record. Pages and routes are in :mod:`.pages`.

A lot reaches a clock only when released: with a certificate at intake, or after a passing
test. A failing test blocks the lot (``BlockLot``, journaled: the engine refuses it from then
on and withdraws it from the queue if it waits there) and flags its supplier.

A suspended supplier (the admin's ``Suspend``, PRODUCT.md M1) registers no lots: the intake
refuses them with ``403 supplier_suspended`` (checked on the writer thread, again when the lot
is put on a clock), and a lot of his that passes its test while he is suspended is not put on
a clock (his queued lots are withdrawn at the suspension: :mod:`jiqun.market.service.admin`).

The quality tables are written first, then the engine input is submitted. If the server stops
between the two, :func:`resync` (run on each test record and intake) puts the engine right:
it blocks in the engine every lot the tables say is blocked.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from jiqun.market.core.engine import EngineError
from jiqun.market.core.events import AddLot, BlockLot, CommandRefused
from jiqun.market.core.model import Lot, Role
from jiqun.market.journal import DurableMarket
from jiqun.market.quality import intake
from jiqun.market.quality.tables import quality_lots
from jiqun.market.service import protocol
from jiqun.market.service.app import Refused, Service, service_of

log = logging.getLogger(__name__)


async def take_in(
    request: web.Request, actor: str, hall: str, lot: Lot, data: dict[str, Any]
) -> web.StreamResponse:
    """Intake of a checked lot: released at once with a certificate (201, on the clock), else
    sent to testing (202, not on a clock until a test passes)."""
    service = service_of(request.app)
    try:
        certificate = intake.Certificate.parse(data)
    except intake.IntakeProblem as e:
        raise Refused(400, e.code) from None
    record = await receive(service, hall, lot, certificate)
    await service.audit(
        actor, "lot_add", {"hall": hall, "lot": lot.id, "quality": record["status"]}
    )
    body = {"lot": protocol.lot_public(lot), "quality": public_quality(record)}
    return web.json_response(body, status=201 if record["status"] == intake.RELEASED else 202)


async def receive(
    service: Service, hall: str, lot: Lot, certificate: intake.Certificate | None
) -> dict[str, Any]:
    """Take a lot in and, when it is released (a certificate), put it on ``hall``'s clock.
    Also for scripts that fill a market (a demo's lots with their certificates)."""
    at = service.runner.now()

    def take(m: DurableMarket) -> dict[str, Any]:
        member = m.accounts.members.get(lot.supplier)
        if member is None or member.role is not Role.SUPPLIER:
            raise Refused(400, "unknown_supplier")
        if member.suspended:
            raise Refused(403, "supplier_suspended")
        if any(ls.lot.id == lot.id for ls in m.halls[hall].state.lots):
            raise Refused(409, "lot_exists")
        if lot.id in m.accounts.blocked:
            raise Refused(409, "lot_blocked")
        try:
            with m.engine.begin() as conn:
                return intake.receive(conn, lot, hall, at, certificate)
        except intake.IntakeProblem as e:
            raise Refused(409, e.code) from None

    record = await service.runner.call(take)
    if record["status"] == intake.RELEASED:
        try:
            outputs = await service.runner.submit(
                hall, lambda now: AddLot(now, lot), partial(_not_suspended, supplier=lot.supplier)
            )
        except EngineError:
            await service.runner.call(lambda m: _forget(m, lot.id))
            raise Refused(400, "bad_lot") from None
        except Refused:  # suspended since the intake's check: the lot was not taken in
            await service.runner.call(lambda m: _forget(m, lot.id))
            raise
        if any(isinstance(o, CommandRefused) for o in outputs):
            raise Refused(409, "lot_blocked")
    return record


def _not_suspended(m: DurableMarket, supplier: str) -> None:
    """A runner check before a lot goes on a clock: not for a suspended supplier."""
    member = m.accounts.members.get(supplier)
    if member is not None and member.suspended:
        raise Refused(403, "supplier_suspended")


def _forget(m: DurableMarket, lot_id: str) -> None:
    with m.engine.begin() as conn:
        conn.execute(quality_lots.delete().where(quality_lots.c.lot_id == lot_id))


def public_quality(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": record["status"],
        "trace_code": record["trace_code"],
        "certificate": record["certificate"],
        "sampling": record["sampling"],
    }


async def apply_action(service: Service, action: intake.Action) -> list[Any]:
    """Submit what a test record asks of the engine: release (AddLot) or block (BlockLot)."""
    lot = action.lot
    if action.kind == "add":
        check = partial(_not_suspended, supplier=lot.supplier)
        try:
            return await service.runner.submit(action.hall, lambda now: AddLot(now, lot), check)
        except EngineError:
            log.exception("a released lot could not be put on its clock")
            raise Refused(409, "lot_exists") from None
        except Refused:  # his lots do not sell while he is suspended
            log.warning("lot %s released, not put on a clock: supplier suspended", lot.id)
            return []
    if action.kind == "block":
        return await service.runner.submit(
            action.hall, lambda now: BlockLot(now, lot.id, action.reason)
        )
    return []


async def resync(service: Service) -> int:
    """Block in the engine every lot the quality tables say is blocked but the engine does not
    know as blocked (after a stop between the two writes). Returns how many were blocked."""

    def missing(m: DurableMarket) -> list[tuple[str, str, str]]:
        q = quality_lots.c
        with m.engine.connect() as conn:
            rows = conn.execute(
                sa.select(q.lot_id, q.hall, q.blocked_reason).where(q.status == intake.BLOCKED)
            ).all()
        return [
            (r.lot_id, r.hall, r.blocked_reason or "")
            for r in rows
            if r.lot_id not in m.accounts.blocked and r.hall in m.halls
        ]

    todo = await service.runner.call(missing)
    for lot_id, hall, reason in todo:
        await service.runner.submit(hall, partial(BlockLot, lot=lot_id, reason=reason))
    return len(todo)
