"""The administrator's console (PRODUCT.md M1, M2, M7; role ``admin``): members and staff,
their roles, suspension, daily purchase limits, the catalogue and the halls' fees.

- A member's suspension is the engine's ``Suspend`` input (journaled; the rulebook then rejects
  the member's presses with ``suspended``). A suspended supplier's lots do not sell: the
  testing centre's intake refuses his new lots (``403 supplier_suspended``) and his lots still
  queued in any hall are withdrawn with the auctioneer's journaled ``WithdrawLot`` input
  (:func:`withdraw_queued_lots`); a lot already on the clock finishes.
- A login is disabled in the users table (it can no longer log in) and in the service's
  in-memory set of disabled logins, so that its existing sessions are refused at once
  (:meth:`~jiqun.market.service.app.Service.set_disabled`).
- A buyer's daily purchase limit is set when the buyer is added (``AddMember`` carries it) and
  changed or lifted later with the engine's ``SetDailyLimit`` input (journaled).
- Fees and clock settings are a hall's settings, written once when the hall is created and
  never changed (the journal was decided with them): shown here, not edited.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy import exc as sa_exc

from jiqun.market.core.engine import IDLE, WAITING, HallEngine
from jiqun.market.core.events import (
    AddMember,
    CommandRefused,
    SetDailyLimit,
    Suspend,
    WithdrawLot,
)
from jiqun.market.core.model import Member, Role
from jiqun.market.journal import DurableMarket
from jiqun.market.security import passwords
from jiqun.market.service import catalogue, users
from jiqun.market.service.app import (
    Handler,
    Refused,
    Service,
    json_body,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.service.consoles import WORDS, int_field, members, submit, text_field
from jiqun.market.service.idempotency import Claim, idempotent
from jiqun.market.store import schema as t

MAX_LIMIT_FEN = 10**12


async def api_users(request: web.Request) -> web.StreamResponse:
    """Every login with its role, and a member's balance, suspension and daily limit."""
    require(request, "admin")
    service = service_of(request.app)
    found = {m["id"]: m for m in await members(service)}
    loop = asyncio.get_running_loop()
    rows = await loop.run_in_executor(None, _user_rows, service.market.engine)
    out = []
    for row in rows:
        member = found.get(row["id"])
        out.append({**row, "member": member})
    return web.json_response({"users": out})


def _user_rows(engine: sa.Engine) -> list[dict[str, Any]]:
    u = t.users
    with engine.connect() as conn:
        return [
            {"id": r.id, "role": r.role, "name": r.name, "disabled": bool(r.disabled)}
            for r in conn.execute(
                sa.select(u.c.id, u.c.role, u.c.name, u.c.disabled).order_by(u.c.id)
            )
        ]


async def api_add_user(request: web.Request) -> web.StreamResponse:
    """A login with its role; a buyer or supplier also becomes a member (a buyer with an
    optional daily purchase limit in fen)."""
    session = require(request, "admin")
    data = await json_body(request)
    user = text_field(data, "user")
    role = data.get("role")
    if role not in users.ROLES:
        raise Refused(400, "bad_role")
    password = data.get("password")
    if not isinstance(password, str):
        raise Refused(400, "bad_password")
    name = text_field(data, "name", required=False)
    limit = data.get("daily_limit_fen")
    if limit is not None:
        if role != "buyer":
            raise Refused(400, "bad_daily_limit_fen")
        limit = int_field(data, "daily_limit_fen", high=MAX_LIMIT_FEN)
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        loop = asyncio.get_running_loop()
        engine = service.market.engine
        if await loop.run_in_executor(None, users.get_user, engine, user):
            raise Refused(409, "user_exists")
        if role in users.MEMBER_ROLES and await service.runner.call(
            lambda m: user in m.accounts.members
        ):
            raise Refused(409, "user_exists")
        at = service.runner.now()
        try:
            await loop.run_in_executor(
                None, users.add_user, engine, user, role, password[:1024], at, name
            )
        except passwords.WeakPassword:
            raise Refused(400, "weak_password") from None
        except sa_exc.IntegrityError:
            raise Refused(409, "user_exists") from None
        if role in users.MEMBER_ROLES:
            member = Member(user, Role(role), daily_limit_fen=limit)
            hall = await service.first_hall()
            await submit(service, hall, lambda now: AddMember(now, member), claim, "AddMember")
        detail: dict[str, Any] = {"user": user, "role": role, "daily_limit_fen": limit}
        if claim is not None:
            detail["request_id"] = claim.key
        await service.audit(session.user, "user_add", detail)
        return web.json_response(
            {"user": user, "role": role, "name": name, "daily_limit_fen": limit}, status=201
        )

    return await idempotent(request, session.user, data, act)


def _queued_of(engine: HallEngine, supplier: str) -> list[str]:
    """The supplier's lots in the hall's queue that have not reached the clock: no round
    started, units left (the lots the engine's ``WithdrawLot`` still takes)."""
    s = engine.state
    first = s.current if s.phase in (IDLE, WAITING) else s.current + 1
    return [
        ls.lot.id
        for ls in s.lots[first:]
        if ls.lot.supplier == supplier and ls.rounds == 0 and ls.remaining > 0
    ]


class _Started(Exception):
    """The lot reached the clock before its withdrawal was journaled."""


async def withdraw_queued_lots(
    service: Service, supplier: str, actor: str, request_id: str | None = None
) -> list[dict[str, str]]:
    """Withdraw the supplier's lots still queued (not yet on the clock) in every hall, each
    with the journaled ``WithdrawLot`` input the auctioneer's console uses (so the board shows
    it and a replay of the journal gives the same state). A lot already on the clock — its
    first round started — is left to finish its current lot: its rounds go on until it is sold
    or lapses, as the rulebook says. Returns the lots withdrawn (hall, lot)."""
    found = await service.runner.call(
        lambda m: [
            (hall, lot) for hall, e in sorted(m.halls.items()) for lot in _queued_of(e, supplier)
        ]
    )
    withdrawn: list[dict[str, str]] = []
    for hall, lot in found:

        def still_queued(m: DurableMarket, hall: str = hall, lot: str = lot) -> None:
            if lot not in _queued_of(m.halls[hall], supplier):
                raise _Started(lot)  # not journaled

        try:
            outputs = await service.runner.submit(hall, partial(WithdrawLot, lot=lot), still_queued)
        except _Started:
            continue
        if any(isinstance(o, CommandRefused) for o in outputs):
            continue  # its first round started at the input's instant: it finishes
        detail: dict[str, Any] = {"hall": hall, "lot": lot, "reason": "supplier_suspended"}
        if request_id is not None:
            detail["request_id"] = request_id
        await service.audit(actor, "hall_withdrawlot", detail)
        withdrawn.append({"hall": hall, "lot": lot})
    return withdrawn


async def api_suspend(request: web.Request) -> web.StreamResponse:
    """Suspend (``{"suspended": true}``) or reinstate a member: his presses are then refused.

    Suspending a supplier also withdraws his lots still queued in every hall
    (:func:`withdraw_queued_lots`; the answer lists them under ``withdrawn``), and the intake
    refuses his new lots. A lot of his already on the clock may finish its current lot.

    The queued lots are withdrawn before the ``Suspend`` input and once more after it. The
    first pass means that once ``Suspend`` is journaled his queued lots are gone, even if the
    server dies right then (a retry of that request is answered as done, see
    :mod:`.idempotency`, and acts no more); the second catches a lot whose registration passed
    the intake's check while the first pass ran (from ``Suspend`` on, the intake refuses). A
    suspension repeated for an already suspended supplier withdraws what is left, too."""
    session = require(request, "admin")
    member = request.match_info["member"]
    data = await json_body(request)
    suspended = data.get("suspended")
    if not isinstance(suspended, bool):
        raise Refused(400, "bad_suspended")
    service = service_of(request.app)

    def known(m: DurableMarket) -> None:
        if member not in m.accounts.members:
            raise Refused(404, "unknown_member")

    async def act(claim: Claim | None) -> web.Response:
        hall = await service.first_hall()
        key = None if claim is None else claim.key
        withdrawn = []
        if suspended:
            await service.runner.call(known)
            withdrawn += await withdraw_queued_lots(service, member, session.user, key)
        await submit(
            service, hall, lambda now: Suspend(now, member, suspended), claim, "Suspend", known
        )
        detail: dict[str, Any] = {"member": member, "suspended": suspended}
        if claim is not None:
            detail["request_id"] = claim.key
        await service.audit(session.user, "suspend" if suspended else "reinstate", detail)
        if suspended:
            withdrawn += await withdraw_queued_lots(service, member, session.user, key)
        return web.json_response({"member": member, "suspended": suspended, "withdrawn": withdrawn})

    return await idempotent(request, session.user, data, act)


async def api_daily_limit(request: web.Request) -> web.StreamResponse:
    """Set (``{"daily_limit_fen": 500000}``) or lift (``{"daily_limit_fen": null}``) a buyer's
    daily purchase limit; it counts today's purchases already made."""
    session = require(request, "admin")
    member = request.match_info["member"]
    data = await json_body(request)
    if "daily_limit_fen" not in data:
        raise Refused(400, "bad_daily_limit_fen")
    limit = data["daily_limit_fen"]
    if limit is not None:
        limit = int_field(data, "daily_limit_fen", high=MAX_LIMIT_FEN)
    service = service_of(request.app)

    def known(m: DurableMarket) -> None:
        found = m.accounts.members.get(member)
        if found is None:
            raise Refused(404, "unknown_member")
        if found.role is not Role.BUYER:
            raise Refused(400, "not_a_buyer")

    async def act(claim: Claim | None) -> web.Response:
        hall = await service.first_hall()
        await submit(
            service,
            hall,
            lambda now: SetDailyLimit(now, member, limit),
            claim,
            "SetDailyLimit",
            known,
        )
        detail: dict[str, Any] = {"member": member, "daily_limit_fen": limit}
        if claim is not None:
            detail["request_id"] = claim.key
        await service.audit(session.user, "daily_limit", detail)
        return web.json_response({"member": member, "daily_limit_fen": limit})

    return await idempotent(request, session.user, data, act)


def _set_disabled(engine: sa.Engine, user: str, disabled: bool) -> bool:
    with engine.begin() as conn:
        done = conn.execute(t.users.update().where(t.users.c.id == user).values(disabled=disabled))
        return bool(done.rowcount)


async def api_disable(request: web.Request) -> web.StreamResponse:
    """Disable (or enable) a login: a disabled user can no longer log in, and his sessions end
    at once (every request with one is refused ``401 login_required``, his sockets closed)."""
    session = require(request, "admin")
    user = request.match_info["user"]
    data = await json_body(request)
    disabled = data.get("disabled")
    if not isinstance(disabled, bool):
        raise Refused(400, "bad_disabled")
    if user == session.user:
        raise Refused(409, "not_yourself")
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        loop = asyncio.get_running_loop()
        engine = service.market.engine
        if not await loop.run_in_executor(None, _set_disabled, engine, user, disabled):
            raise Refused(404, "unknown_user")
        service.set_disabled(user, disabled)
        detail: dict[str, Any] = {"user": user, "disabled": disabled}
        if claim is not None:
            detail["request_id"] = claim.key
        await service.audit(session.user, "user_disable" if disabled else "user_enable", detail)
        return web.json_response({"user": user, "disabled": disabled})

    return await idempotent(request, session.user, data, act)


async def api_add_catalogue(request: web.Request) -> web.StreamResponse:
    """Add a variety (code = name, category, NY/T 2137 code), a grade or a package code with
    its standard net weight in grams."""
    session = require(request, "admin")
    data = await json_body(request)
    kind = data.get("kind")
    if kind not in catalogue.KINDS:
        raise Refused(400, "bad_kind")
    code = text_field(data, "code")
    entry: dict[str, Any] = {
        "kind": kind,
        "code": code,
        "name": text_field(data, "name", required=False) or code,
        "category": text_field(data, "category", required=kind == "variety", most=32),
        "standard_code": text_field(data, "standard_code", required=False, most=32),
        "net_g": int_field(data, "net_g", low=1, high=10**8) if kind == "package" else None,
    }
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        at = service.runner.now()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, catalogue.add, service.market.engine, entry, at)
        detail = {**entry, **({"request_id": claim.key} if claim is not None else {})}
        await service.audit(session.user, "catalogue_add", detail)
        return web.json_response(entry, status=201)

    return await idempotent(request, session.user, data, act)


def _halls(m: DurableMarket) -> list[dict[str, Any]]:
    return [
        {
            "hall": hall,
            "seller_commission_bps": c.market.seller_commission_bps,
            "buyer_fee_bps": c.market.buyer_fee_bps,
            "tick_ms": c.clock.tick_ms,
            "step_fen": c.clock.step_fen,
            "pause_ms": c.clock.pause_ms,
            "restart_steps": c.clock.restart_steps,
            "same_stop_ms": c.clock.same_stop_ms,
        }
        for hall, c in sorted(m.configs.items())
    ]


async def api_fees(request: web.Request) -> web.StreamResponse:
    """Each hall's fees and clock settings (fixed when the hall was created)."""
    require(request, "admin", "cashier", "auctioneer")
    return web.json_response({"halls": await service_of(request.app).runner.call(_halls)})


async def admin_page(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is None:
        raise login_redirect(request)
    if session.role != "admin":
        raise web.HTTPForbidden()
    return page(request, "admin.html", words=WORDS, roles=users.ROLES)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/admin", admin_page),
    ("GET", "/api/admin/users", api_users),
    ("POST", "/api/admin/users", api_add_user),
    ("POST", "/api/admin/users/{user}/disabled", api_disable),
    ("POST", "/api/admin/members/{member}/suspension", api_suspend),
    ("POST", "/api/admin/members/{member}/daily-limit", api_daily_limit),
    ("POST", "/api/admin/catalogue", api_add_catalogue),
    ("GET", "/api/admin/fees", api_fees),
]
