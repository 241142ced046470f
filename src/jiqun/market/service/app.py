"""The live server (issue "Market II"): pages, a JSON API and the WebSocket channel, on aiohttp.

aiohttp because of the figures in DESIGN.md: it delivers 5,000 clients × 20 messages/s on two
cores, and the server sends only state changes (never price ticks). One process, one
:class:`MarketRunner` (the single writer), several halls.

Security (M7): a signed, expiring session cookie (HttpOnly, SameSite=Lax) issued after an
Argon2 check run off the event loop; every state-changing HTTP call carries the session's CSRF
token (header ``X-CSRF-Token`` or form field ``csrf``); the WebSocket handshake checks the
Origin and, with a session, the token (``?csrf=``); every API call and socket message checks
the role; presses are rate-limited per buyer (not journaled when over); logins, deposits and
hall commands are written to the hash-chained audit log. A disabled login's sessions end at
once: the server keeps the disabled logins in memory (loaded at start-up, kept by the admin's
``api_disable``) and refuses their sessions (``401 login_required``) and closes their sockets;
enabled again, he logs in anew: the sessions issued before he was disabled (each signed with
its issue time) stay ended, also across a restart (the times come from the audit log).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from sqlalchemy import exc as sa_exc

from jiqun import aio
from jiqun.market.core.engine import IDLE
from jiqun.market.core.events import (
    AddMember,
    CashMoved,
    CashRefused,
    Deposit,
    Open,
    Press,
    Rejected,
    Sale,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.journal import DurableMarket
from jiqun.market.security import passwords
from jiqun.market.security.ratelimit import RateLimiter
from jiqun.market.security.sessions import InvalidSession, Session, SessionSigner, csrf_ok
from jiqun.market.service import openapi, protocol, users
from jiqun.market.service.runner import MarketRunner
from jiqun.web.texts import page_lang, texts

if TYPE_CHECKING:  # (these modules import this one)
    from jiqun.market.service.idempotency import Claim

log = logging.getLogger(__name__)

COOKIE = "jiqun_session"
WEB = Path(__file__).resolve().parents[2] / "web"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATHS = frozenset({"/api/login", "/login"})
SEND_BUFFER = 1 << 20  # bytes waiting for a slow client before it is dropped

DEFAULT_CLOCK = ClockSettings(
    tick_ms=100, step_fen=2, pause_ms=3000, restart_steps=10, same_stop_ms=150
)
DEFAULT_FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)


class Refused(Exception):
    """A request the market refuses before it is journaled (HTTP status and error code)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


@dataclass
class Service:
    runner: MarketRunner
    signer: SessionSigner
    limiter: RateLimiter
    login_limiter: RateLimiter
    templates: jinja2.Environment
    secure_cookies: bool
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    # M7: the disabled logins (loaded at start-up, kept by api_disable): their sessions are
    # refused at once, without a database query per request
    disabled: set[str] = field(default_factory=set)
    # when each login was last disabled (ms): its sessions issued until then stay ended after
    # it is enabled again (loaded from the audit log at start-up)
    revoked: dict[str, int] = field(default_factory=dict)
    # the connections of the open sockets with a session, per user (to end them)
    user_sockets: dict[str, set[asyncio.BaseTransport]] = field(default_factory=dict)

    @property
    def market(self) -> DurableMarket:
        return self.runner.market

    def set_disabled(self, user: str, disabled: bool) -> int:
        """Record that a login is disabled (or enabled again). Disabling ends its sessions at
        once: every request with one is refused from now on and its open sockets are closed
        (the client reconnects and its handshake is refused). Returns the sockets closed."""
        if not disabled:
            self.disabled.discard(user)
            return 0
        self.disabled.add(user)
        self.revoked[user] = max(self.revoked.get(user, 0), int(time.time() * 1000))
        closed = 0
        for transport in self.user_sockets.pop(user, set()):
            if not transport.is_closing():
                transport.close()
                closed += 1
        return closed

    async def audit(self, actor: str, action: str, detail: dict[str, Any]) -> None:
        at = self.runner.now()
        await self.runner.call(lambda m: users.append_audit(m.engine, at, actor, action, detail))

    async def add_user(
        self,
        user: str,
        role: str,
        password: str,
        name: str = "",
        hall: str | None = None,
        claim: Claim | None = None,
    ) -> None:
        """A login; a buyer or supplier also becomes a member of the market (journaled, and
        recorded in the request's ``claim`` when it has one)."""
        loop = asyncio.get_running_loop()
        at = self.runner.now()
        engine = self.market.engine
        await loop.run_in_executor(None, users.add_user, engine, user, role, password, at, name)
        if role in users.MEMBER_ROLES:
            known = await self.runner.call(lambda m: user in m.accounts.members)
            if not known:
                hall = hall or await self.first_hall()
                member = Member(user, Role(role))
                check = None if claim is None else claim.check("AddMember")
                await self.runner.submit(hall, lambda now: AddMember(now, member), check)

    async def open_hall(
        self, hall: str, check: Callable[[DurableMarket], None] | None = None
    ) -> None:
        """Open ``hall``: its first round starts the hall's ``pause_ms`` later, announced at
        once (:class:`~jiqun.market.core.events.Open`)."""
        lead = await self.runner.call(lambda m: m.halls[hall].clock.pause_ms)
        await self.runner.submit(hall, lambda now: Open(now, lead), check)

    async def first_hall(self) -> str:
        halls = await self.runner.call(lambda m: sorted(m.halls))
        if not halls:
            raise Refused(409, "no_hall")
        return halls[0]


SESSION: web.RequestKey[Session | None] = web.RequestKey("session")
HOLDER = web.AppKey("service", dict[str, Service])  # filled on startup


def service_of(app: web.Application) -> Service:
    return app[HOLDER]["service"]


# ---------------------------------------------------------------------------- helpers


def error(status: int, code: str) -> web.Response:
    return web.json_response({"error": code}, status=status)


def session_of(request: web.Request) -> Session | None:
    return request[SESSION]


def require(request: web.Request, *roles: str) -> Session:
    session = session_of(request)
    if session is None:
        raise Refused(401, "login_required")
    if roles and session.role not in roles:
        raise Refused(403, "forbidden")
    return session


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser's cross-site request (browsers send Origin on these)
        return True
    return origin in (f"{request.scheme}://{request.host}", f"http://{request.host}")


def lang_of(request: web.Request) -> str:
    return page_lang(request.query.get("lang"))


@web.middleware
async def security(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    service = service_of(request.app)
    token = request.cookies.get(COOKIE)
    request[SESSION] = None
    if token:
        with contextlib.suppress(InvalidSession):
            request[SESSION] = service.signer.load(token)
    loaded = request[SESSION]
    socket = request.path.startswith("/ws/")
    if loaded is not None and (
        loaded.user in service.disabled or loaded.issued_ms <= service.revoked.get(loaded.user, -1)
    ):
        # a disabled login's session ends at once (M7): taken as none; a socket is refused
        if socket:
            return error(401, "login_required")
        request[SESSION] = loaded = None
    # an open socket with a session is kept per user, to be closed if the login is disabled
    kept = request.transport if socket and loaded is not None else None
    if request.method not in SAFE_METHODS:
        if not _same_origin(request):
            return error(403, "bad_origin")
        if request.path not in LOGIN_PATHS:
            session = session_of(request)
            if session is None:
                return error(401, "login_required")
            presented = request.headers.get("X-CSRF-Token")
            if presented is None and request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                value = form.get("csrf")
                presented = value if isinstance(value, str) else None
            if not csrf_ok(session, presented):
                return error(403, "csrf")
    if kept is not None and loaded is not None:
        service.user_sockets.setdefault(loaded.user, set()).add(kept)
    try:
        return await handler(request)
    except Refused as e:
        return error(e.status, e.code)
    finally:
        if kept is not None and loaded is not None:
            still = service.user_sockets.get(loaded.user)
            if still is not None:
                still.discard(kept)
                if not still:
                    del service.user_sockets[loaded.user]


async def json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > 64 * 1024:
        raise Refused(413, "too_big")
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "bad_json") from None
    if not isinstance(data, dict):
        raise Refused(400, "bad_json")
    return data


def hall_known(request: web.Request) -> str:
    hall = request.match_info["hall"]
    if hall not in service_of(request.app).market.configs:
        raise web.HTTPNotFound(text=json.dumps({"error": "unknown_hall"}))
    return hall


# ---------------------------------------------------------------------------- login


async def _login(request: web.Request, user: str, password: str) -> tuple[Session, str] | None:
    service = service_of(request.app)
    now = service.runner.now()
    if not service.login_limiter.allow(f"user:{user}", now):
        raise Refused(429, "rate_limited")
    loop = asyncio.get_running_loop()
    found = await loop.run_in_executor(
        None, users.authenticate, service.market.engine, user, password
    )
    peer = request.remote or ""
    if found is None:
        await service.audit(user[:64], "login_failed", {"peer": peer})
        return None
    token, session = service.signer.issue(found.id, found.role)
    await service.audit(found.id, "login", {"role": found.role, "peer": peer})
    return session, token


def _set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    service = service_of(request.app)
    response.set_cookie(
        COOKIE,
        token,
        max_age=service.signer.max_age_s,
        httponly=True,
        samesite="Lax",
        secure=service.secure_cookies,
        path="/",
    )


async def api_login(request: web.Request) -> web.StreamResponse:
    data = await json_body(request)
    user, password = data.get("user"), data.get("password")
    if not isinstance(user, str) or not isinstance(password, str) or len(user) > 64:
        raise Refused(400, "bad_request")
    result = await _login(request, user, password[:1024])
    if result is None:
        return error(401, "bad_credentials")
    session, token = result
    response = web.json_response({"user": session.user, "role": session.role, "csrf": session.csrf})
    _set_cookie(request, response, token)
    return response


async def api_logout(request: web.Request) -> web.StreamResponse:
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    return page(request, "login.html", next=_next(request.query.get("next")), failed=False)


def _next(value: object) -> str:
    """Where to go after logging in: a path on this site only (never ``//host`` or ``/\\host``,
    which browsers take for another site)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and "\\" not in value
    ):
        return value
    return "/buyer"


def login_redirect(request: web.Request) -> web.HTTPException:
    """To the login page, in this page's language, and back to this page afterwards."""
    query = {"next": str(request.rel_url)}
    if "lang" in request.query:
        query["lang"] = lang_of(request)
    return web.HTTPFound("/login?" + urlencode(query))


async def login_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    user, password = form.get("user"), form.get("password")
    target = _next(form.get("next"))
    if not isinstance(user, str) or not isinstance(password, str) or len(user) > 64:
        raise Refused(400, "bad_request")
    result = await _login(request, user, password[:1024])
    if result is None:
        response = page(request, "login.html", next=target, failed=True)
        response.set_status(401)
        return response
    response = web.Response(status=303, headers={"Location": target})
    _set_cookie(request, response, result[1])
    return response


# ---------------------------------------------------------------------------- API


async def api_halls(request: web.Request) -> web.StreamResponse:
    service = service_of(request.app)

    def halls(m: DurableMarket) -> list[dict[str, Any]]:
        out = []
        for hall, engine in sorted(m.halls.items()):
            view = protocol.hall_view(hall, engine)
            out.append({"hall": hall, "phase": view["phase"], "lot": view["lot"]})
        return out

    return web.json_response({"halls": await service.runner.call(halls)})


async def api_hall_state(request: web.Request) -> web.StreamResponse:
    hall = hall_known(request)
    return web.json_response(await service_of(request.app).runner.state(hall))


async def api_open(request: web.Request) -> web.StreamResponse:
    """Open the hall. Idempotent by request id (:mod:`.idempotency`): a retry gets the first
    answer (the state then), not ``already_open``."""
    from jiqun.market.service.idempotency import idempotent

    session = require(request, "auctioneer")
    hall = hall_known(request)
    data = await json_body(request) if request.can_read_body else {}
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        def idle(m: DurableMarket) -> None:
            if m.halls[hall].state.phase != IDLE:
                raise Refused(409, "already_open")
            if claim is not None:
                claim.check("Open")(m)

        await service.open_hall(hall, idle)
        detail: dict[str, Any] = {"hall": hall}
        if claim is not None:
            detail["request_id"] = claim.key
        await service.audit(session.user, "hall_open", detail)
        return web.json_response(await service.runner.state(hall))

    return await idempotent(request, session.user, data, act)


LOT_TEXT = ("variety", "grade", "origin", "package", "category")
LOT_INTS = ("units", "unit_net_g", "start_price_fen", "reserve_price_fen", "min_purchase")


async def api_add_lot(request: web.Request) -> web.StreamResponse:
    session = require(request, "supplier", "auctioneer")
    hall = hall_known(request)
    data = await json_body(request)
    supplier = session.user if session.role == "supplier" else data.get("supplier")
    lot_id = data.get("id")
    if not isinstance(lot_id, str) or not 0 < len(lot_id) <= 64:
        raise Refused(400, "bad_lot")
    if not isinstance(supplier, str):
        raise Refused(400, "bad_lot")
    text: dict[str, str] = {}
    for k in LOT_TEXT:
        v = data.get(k, "")
        if not isinstance(v, str) or len(v) > 64:
            raise Refused(400, "bad_lot")
        text[k] = v
    ints: dict[str, int] = {}
    for k in LOT_INTS:
        n = data.get(k)
        if type(n) is not int or not 0 <= n <= 10**12:
            raise Refused(400, "bad_lot")
        ints[k] = n
    if not text["variety"] or not text["grade"]:
        raise Refused(400, "bad_lot")
    lot = Lot(
        id=lot_id,
        supplier=supplier,
        variety=text["variety"],
        grade=text["grade"],
        origin=text["origin"],
        package=text["package"],
        category=text["category"],
        units=ints["units"],
        unit_net_g=ints["unit_net_g"],
        start_price_fen=ints["start_price_fen"],
        reserve_price_fen=ints["reserve_price_fen"],
        min_purchase=ints["min_purchase"],
    )
    if lot.unit_net_g <= 0 or lot.min_purchase <= 0 or lot.reserve_price_fen > lot.start_price_fen:
        raise Refused(400, "bad_lot")
    # M8: the testing centre takes the lot in; it reaches the clock only when released (a
    # certificate: at once, 201; else after a passing test, 202 until then).
    from jiqun.market.quality.service import take_in

    return await take_in(request, session.user, hall, lot, data)


async def api_deposit(request: web.Request) -> web.StreamResponse:
    """A deposit (the cashier's console has its own, with receipts). Idempotent by request id
    (:mod:`.idempotency`): a retry with the same id and body is answered as the first time and
    deposits nothing more."""
    from jiqun.market.service.idempotency import idempotent

    session = require(request, "cashier")
    data = await json_body(request)
    member, amount = data.get("member"), data.get("amount_fen")
    if not isinstance(member, str) or type(amount) is not int:
        raise Refused(400, "bad_request")
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        hall = await service.first_hall()
        check = None if claim is None else claim.check("Deposit")
        outputs = await service.runner.submit(hall, lambda now: Deposit(now, member, amount), check)
        result = outputs[-1] if outputs else None
        detail: dict[str, Any] = {"member": member, "amount_fen": amount}
        if claim is not None:
            detail["request_id"] = claim.key
        if isinstance(result, CashMoved):
            done = {**detail, "balance_fen": result.balance_fen}
            await service.audit(session.user, "deposit", done)
            return web.json_response({"member": member, "balance_fen": result.balance_fen})
        reason = result.reason if isinstance(result, CashRefused) else "refused"
        await service.audit(session.user, "deposit_refused", {**detail, "reason": reason})
        return error(400, reason)

    return await idempotent(request, session.user, data, act)


async def api_add_member(request: web.Request) -> web.StreamResponse:
    """An administrator adds a login (a buyer or supplier also becomes a market member).
    Idempotent by request id (:mod:`.idempotency`)."""
    from jiqun.market.service.idempotency import idempotent

    session = require(request, "admin")
    data = await json_body(request)
    user, role = data.get("user"), data.get("role")
    password, name = data.get("password"), data.get("name", "")
    if not isinstance(user, str) or not 0 < len(user) <= 64 or role not in users.ROLES:
        raise Refused(400, "bad_request")
    if not isinstance(password, str) or not isinstance(name, str) or len(name) > 64:
        raise Refused(400, "bad_request")
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(None, users.get_user, service.market.engine, user):
            raise Refused(409, "user_exists")
        try:
            await service.add_user(user, role, password[:1024], name, claim=claim)
        except passwords.WeakPassword:
            raise Refused(400, "weak_password") from None
        except sa_exc.IntegrityError:
            raise Refused(409, "user_exists") from None
        detail: dict[str, Any] = {"user": user, "role": role}
        if claim is not None:
            detail["request_id"] = claim.key
        await service.audit(session.user, "user_add", detail)
        return web.json_response({"user": user, "role": role}, status=201)

    return await idempotent(request, session.user, data, act)


def _day_start_ms(now_ms: int) -> int:
    local = time.localtime(now_ms / 1000)
    return int(time.mktime((*local[:3], 0, 0, 0, 0, 0, -1)) * 1000)


async def api_me(request: web.Request) -> web.StreamResponse:
    session = require(request)
    service = service_of(request.app)
    me: dict[str, Any] = {"user": session.user, "role": session.role}
    if session.role not in users.MEMBER_ROLES:
        return web.json_response(me)

    def account(m: DurableMarket) -> dict[str, Any] | None:
        member = m.accounts.members.get(session.user)
        if member is None:
            return None
        return {
            "balance_fen": m.accounts.balances.get(member.id, 0),
            "spent_today_fen": m.accounts.spent_today.get(member.id, 0),
            "daily_limit_fen": member.daily_limit_fen,
            "suspended": member.suspended,
        }

    found = await service.runner.call(account)
    if found is None:
        return web.json_response(me)
    now = service.runner.now()
    loop = asyncio.get_running_loop()
    statement = await loop.run_in_executor(
        None, service.market.ledger.statement, session.user, _day_start_ms(now), now + 1
    )
    purchases = [
        {"at": line.at_ms, "amount_fen": -line.amount_fen, "detail": line.detail}
        for line in statement.lines
        if line.item in ("purchase", "sale") and not line.reversal
    ]
    return web.json_response({**me, **found, "today": purchases})


async def api_openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(openapi.DOCUMENT)


# ---------------------------------------------------------------------------- pages


def page(
    request: web.Request,
    name: str,
    *,
    words: Mapping[str, tuple[str, str]] | None = None,
    **context: Any,
) -> web.Response:
    """Render template ``name`` in the request's language; ``words`` adds a feature's own
    (Chinese, English) page words to the shared ones."""
    service = service_of(request.app)
    lang = lang_of(request)
    session = session_of(request)
    shown = texts(page_lang(lang), words)
    html = service.templates.get_template(name).render(
        lang=lang,
        t=shown,
        texts_json=json.dumps(shown, ensure_ascii=False),
        session=session,
        **context,
    )
    return web.Response(text=html, content_type="text/html")


async def index(request: web.Request) -> web.StreamResponse:
    """The home page: the market's halls with their boards, the public pages, a trace-code
    lookup (``?trace=CODE`` goes to ``/trace/CODE``) and, for a logged-in user, the consoles of
    his role (the links are in nav.html; each console checks the role again)."""
    lang = lang_of(request)
    code = request.query.get("trace")
    if code is not None and code.strip():
        raise web.HTTPFound(f"/trace/{quote(code.strip(), safe='')}?lang={lang}")

    def halls(m: DurableMarket) -> list[dict[str, Any]]:
        out = []
        for hall, engine in sorted(m.halls.items()):
            view = protocol.hall_view(hall, engine)
            lot = view["lot"] or {}
            out.append(
                {
                    "hall": hall,
                    "phase": "held" if view["held"] else view["phase"],
                    "lot": lot.get("id"),
                    "variety": lot.get("variety"),
                }
            )
        return out

    shown = await service_of(request.app).runner.call(halls)
    return page(request, "home.html", halls=shown, trace_problem=code is not None)


async def board_page(request: web.Request) -> web.StreamResponse:
    hall = hall_known(request)
    return page(request, "board.html", hall=hall)


async def buyer_page(request: web.Request) -> web.StreamResponse:
    service = service_of(request.app)
    hall = request.query.get("hall") or await service.first_hall()
    if hall not in service.market.configs:
        raise web.HTTPNotFound()
    return page(request, "buyer.html", hall=hall)


# ---------------------------------------------------------------------------- WebSocket


class ClientConnection:
    """One socket's outgoing side. Messages are written as ready-made WebSocket frames straight
    to the connection's transport: a broadcast's bytes are built once for all subscribers (see
    :mod:`~jiqun.market.service.runner`), an ack or a sync reply is written the moment it is
    ready, behind nothing. A client that lets more than ``SEND_BUFFER`` bytes pile up is
    dropped (it reconnects and gets the state)."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        self.ws = ws
        self.transport = transport
        self.dropped = False

    def deliver(self, data: bytes) -> None:
        transport = self.transport
        if self.dropped or transport.is_closing() or self.ws.closed:
            return
        if transport.get_write_buffer_size() > SEND_BUFFER:
            self.dropped = True
            task = asyncio.get_running_loop().create_task(
                self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"slow")
            )
            task.add_done_callback(_quiet)
            return
        transport.write(data)

    def send(self, message: dict[str, Any]) -> None:
        self.deliver(protocol.encode(message))


def _quiet(task: asyncio.Task[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


async def websocket(request: web.Request) -> web.StreamResponse:
    hall = hall_known(request)
    service = service_of(request.app)
    if not _same_origin(request):
        return error(403, "bad_origin")
    session = session_of(request)
    if session is not None and not csrf_ok(session, request.query.get("csrf")):
        return error(403, "csrf")
    # compress=False: every frame is written as built (one encoding for all subscribers)
    ws = web.WebSocketResponse(max_msg_size=protocol.MAX_MESSAGE, heartbeat=30.0, compress=False)
    await ws.prepare(request)
    transport = request.transport  # (uvloop's transports are no asyncio.Transport subclass)
    if transport is None or transport.is_closing():
        return ws  # the client left during the handshake
    service.sockets.add(ws)
    conn = ClientConnection(ws, transport)
    runner = service.runner
    runner.subscribe(hall, conn)
    pending: set[asyncio.Future[Any]] = set()
    try:
        state = await runner.state(hall)
        if session is not None:
            state["me"] = {"user": session.user, "role": session.role}
        conn.send(state)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                task = _on_text(service, hall, session, conn, msg.data)
                if task is not None:
                    pending.add(task)
                    task.add_done_callback(pending.discard)
            elif msg.type == WSMsgType.BINARY:
                conn.send({"t": "error", "code": "binary"})
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        service.sockets.discard(ws)
        runner.unsubscribe(hall, conn)
        if pending:  # the presses already queued are journaled; their acks go out if they can
            await asyncio.wait(pending, timeout=5.0)
    return ws


def _on_text(
    service: Service, hall: str, session: Session | None, conn: ClientConnection, text: str
) -> asyncio.Future[Any] | None:
    """Handle one message; a press is stamped and queued here, its ack written after the
    commit (before the broadcast it causes)."""
    runner = service.runner
    try:
        message = protocol.parse(text)
    except protocol.BadMessage as e:
        error: dict[str, Any] = {"t": "error", "code": e.code}
        if e.id is not None and (type(e.id) is int or isinstance(e.id, str)):
            error["id"] = e.id
        conn.send(error)
        return None
    if isinstance(message, protocol.SyncMsg):
        conn.deliver(protocol.sync_reply(message.c, runner.now()))  # stamped as it leaves
        return None

    def rejected(reason: str) -> None:
        conn.send({"t": "ack", "id": message.id, "result": "rejected", "reason": reason})

    if session is None:
        rejected("login_required")
        return None
    if session.role != "buyer":
        rejected("forbidden")
        return None
    if not service.limiter.allow(session.user, runner.now()):
        rejected("rate_limited")  # not journaled
        return None
    buyer = session.user  # never a field of the message

    def press(now: int) -> Press:
        return Press(now, buyer, message.lot, message.qty, message.round, message.tick)

    acked: list[bool] = []

    def reply(outputs: list[Any]) -> None:
        acked.append(True)
        conn.send(_ack(message.id, outputs))

    def failed(done: asyncio.Future[Any]) -> None:
        if not acked and not done.cancelled() and done.exception() is not None:
            log.error("a press could not be committed", exc_info=done.exception())
            rejected("error")

    done = runner.enqueue(hall, press, reply=reply)
    done.add_done_callback(failed)
    return done


def _ack(id_: str | int | None, outputs: list[Any]) -> dict[str, Any]:
    """The reply to a press: its sale (price, quantity, amount and fee) or the reason."""
    result = outputs[-1] if outputs else None
    if isinstance(result, Sale):
        return {
            "t": "ack",
            "id": id_,
            "result": "sale",
            "price_fen": result.price_fen,
            "qty": result.qty,
            "amount_fen": result.amount_fen,
            "buyer_fee_fen": result.buyer_fee_fen,
        }
    reason = result.reason if isinstance(result, Rejected) else "error"
    return {"t": "ack", "id": id_, "result": "rejected", "reason": reason}


# ---------------------------------------------------------------------------- the app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/", index),
    ("GET", "/login", login_page),
    ("POST", "/login", login_form),
    ("GET", "/board/{hall}", board_page),
    ("GET", "/buyer", buyer_page),
    ("GET", "/ws/{hall}", websocket),
    ("POST", "/api/login", api_login),
    ("POST", "/api/logout", api_logout),
    ("GET", "/api/openapi.json", api_openapi),
    ("GET", "/api/halls", api_halls),
    ("GET", "/api/halls/{hall}/state", api_hall_state),
    ("POST", "/api/halls/{hall}/open", api_open),
    ("POST", "/api/halls/{hall}/lots", api_add_lot),
    ("POST", "/api/deposits", api_deposit),
    ("POST", "/api/members", api_add_member),
    ("GET", "/api/me", api_me),
]


FEATURES = (
    "jiqun.market.service.staff",  # auctioneer, supplier, cashier and admin consoles
    "jiqun.market.quality.pages",  # inspector's page, public trace pages
    "jiqun.market.prices.pages",  # public prices and the price index
    "jiqun.market.voice.pages",  # voice price query
    "jiqun.market.sealed.pages",  # sealed-bid auctions
    "jiqun.observatory.web",  # the observatory section
)


def feature_routes() -> list[tuple[str, str, Handler]]:
    """The routes of the feature modules: each lists its own in ``ROUTES``. Imported here, not
    at the top, because they import this module's helpers."""
    import importlib

    routes: list[tuple[str, str, Handler]] = []
    for name in FEATURES:
        routes += importlib.import_module(name).ROUTES
    return routes


def build_app(
    market: str | DurableMarket | None,
    secret_key: str,
    *,
    halls: dict[str, tuple[ClockSettings, MarketSettings]] | None = None,
    press_rate_per_s: int = 20,
    press_burst: int = 40,
    session_max_age_s: int | None = None,
    secure_cookies: bool = False,
) -> web.Application:
    """The application over a market database (URL) or an open :class:`DurableMarket`.

    ``halls``: halls to create if missing (an existing hall must have the same settings). The
    market is opened (migrated and recovered) here and closed with the application."""
    durable = market if isinstance(market, DurableMarket) else DurableMarket.open(market)
    try:
        for hall, (clock, fees) in (halls or {}).items():
            durable.add_hall(hall, clock, fees)
        signer = (
            SessionSigner(secret_key)
            if session_max_age_s is None
            else SessionSigner(secret_key, session_max_age_s)
        )
    except BaseException:
        durable.close()
        raise
    app = web.Application(middlewares=[security], client_max_size=64 * 1024)
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(WEB / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    holder: dict[str, Service] = {}
    app[HOLDER] = holder

    async def on_startup(app: web.Application) -> None:
        runner = MarketRunner(durable)
        await runner.start()
        disabled = await runner.call(lambda m: users.disabled_users(m.engine))
        revoked = await runner.call(lambda m: users.revocations(m.engine))
        holder["service"] = Service(
            runner,
            signer,
            RateLimiter(press_rate_per_s, press_burst),
            RateLimiter(1, 10),
            templates,
            secure_cookies,
            disabled=disabled,
            revoked=revoked,
        )

    async def on_shutdown(app: web.Application) -> None:
        service = holder.get("service")
        if service is not None:  # clients reconnect to the next server and get the state
            for ws in list(service.sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def on_cleanup(app: web.Application) -> None:
        service = holder.get("service")
        if service is not None:
            await service.runner.close()
        else:
            durable.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    for method, path, handler in ROUTES + feature_routes():
        app.router.add_route(method, path, handler)
    app.router.add_static("/static/", WEB / "static")
    return app


def run(
    db_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    secret_key: str | None = None,
) -> None:
    """``jiqun serve``: migrate and open the market (a default hall ``1`` when it has none),
    then serve until interrupted. The session key is ``secret_key``, else ``$JIQUN_SECRET``,
    else a random one (sessions then end with the process)."""
    import os

    key = secret_key or os.environ.get("JIQUN_SECRET") or secrets.token_urlsafe(48)
    market = DurableMarket.open(db_url)
    halls = None if market.halls else {"1": (DEFAULT_CLOCK, DEFAULT_FEES)}
    app = build_app(market, key, halls=halls)
    aio.tune_for_serving()
    web.run_app(app, host=host, port=port, print=None, loop=aio.new_loop())
