"""The auctioneer's console (PRODUCT.md M5; role ``auctioneer``): the halls, the day's lot
queue (reorder and withdraw lots before they start), open, pause, resume, the clock's speed
and step, and the live presses.

The commands are the engine's own inputs (``Pause``, ``Resume``, ``SetClock``, ``WithdrawLot``,
``ReorderLots``; ``Open`` is :func:`jiqun.market.service.app.api_open`), journaled like presses:
a command the hall's state does not allow comes back as ``CommandRefused`` and is answered
``409`` with the engine's reason. Live presses are read from the journal (every press, the
losers too, is journaled with its arrival time and the client's claimed round and tick); a
press that sold has a sale transaction keyed by its journal number.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from jiqun.market.core.engine import RUNNING, WAITING, WINDOW, HallEngine
from jiqun.market.core.events import (
    CommandRefused,
    Input,
    Pause,
    ReorderLots,
    Resume,
    SetClock,
    WithdrawLot,
)
from jiqun.market.journal import DurableMarket, ledger_key
from jiqun.market.service import protocol
from jiqun.market.service.app import (
    Handler,
    Refused,
    error,
    json_body,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.service.consoles import WORDS, hall_of, int_field, submit
from jiqun.market.service.idempotency import Claim, idempotent
from jiqun.market.store import schema as t

PRESSES_SHOWN = 50
OUTPUTS_LOOKED = 8
MAX_TICK_MS = 60_000
MAX_STEP_FEN = 100_000


def queue_view(hall: str, engine: HallEngine) -> dict[str, Any]:
    """The hall as the auctioneer sees it: every lot of the day with its state and reserve
    price, the clock's settings for the next round and whether the hall is held."""
    s = engine.state
    on_clock = s.current if s.phase in (WAITING, RUNNING, WINDOW) else None
    lots = []
    for i, ls in enumerate(s.lots):
        if ls.remaining == 0:  # lapsed, sold out or withdrawn: units remain only ahead
            status = "done" if ls.sold else "withdrawn"
        else:
            status = "on_clock" if i == on_clock else "pending"
        lots.append(
            {
                **protocol.lot_public(ls.lot, ls.remaining),
                "reserve_price_fen": ls.lot.reserve_price_fen,
                "sold": ls.sold,
                "withdrawn": ls.withdrawn,
                "rounds": ls.rounds,
                "status": status,
            }
        )
    return {
        **protocol.hall_view(hall, engine),
        "held": s.held,
        "next_clock": {"tick_ms": s.tick_ms, "step_fen": s.step_fen},
        "queue": lots,
    }


async def api_hall(request: web.Request) -> web.StreamResponse:
    require(request, "auctioneer", "admin")
    hall = hall_of(request)
    service = service_of(request.app)
    view = await service.runner.call(lambda m: queue_view(hall, m.halls[hall]))
    return web.json_response({**view, "s": service.runner.now()})


def _presses(m: DurableMarket, hall: str, limit: int) -> list[dict[str, Any]]:
    j, x = t.journal, t.transactions
    with m.engine.connect() as conn:
        rows = conn.execute(
            sa.select(j.c.seq, j.c.at_ms, j.c.payload)
            .where(j.c.hall == hall, j.c.kind == "Press")
            .order_by(j.c.seq.desc())
            .limit(limit)
        ).all()
        sold: dict[int, dict[str, Any]] = {}
        if rows:
            # a press's sale is one of its first outputs (after the transitions due before it
            # and the clock's stop): exact keys, so that the ledger's unique index finds them
            keys = [ledger_key(int(row.seq), i) for row in rows for i in range(OUTPUTS_LOOKED)]
            for key, meta in conn.execute(
                sa.select(x.c.key, x.c.meta).where(x.c.kind == "sale", x.c.key.in_(keys))
            ):
                sold[int(str(key)[1:].split(".")[0])] = meta
    out = []
    for row in rows:
        p = row.payload
        sale = sold.get(int(row.seq))
        out.append(
            {
                "seq": int(row.seq),
                "at": int(row.at_ms),
                "buyer": p.get("b"),
                "lot": p.get("l"),
                "qty": p.get("q"),
                "round": p.get("r"),
                "tick": p.get("t"),
                "result": "sale" if sale else "no_sale",
                "sold_qty": sale.get("qty") if sale else None,
                "price_fen": sale.get("price_fen") if sale else None,
            }
        )
    return out


async def api_presses(request: web.Request) -> web.StreamResponse:
    """The hall's latest presses (newest first), each with whether it bought."""
    require(request, "auctioneer", "admin")
    hall = hall_of(request)
    service = service_of(request.app)
    loop = asyncio.get_running_loop()
    presses = await loop.run_in_executor(None, _presses, service.market, hall, PRESSES_SHOWN)
    return web.json_response({"hall": hall, "presses": presses})


async def _command(
    request: web.Request,
    kind: str,
    make: Any,
    detail: dict[str, Any],
    body: dict[str, Any] | None = None,
) -> web.StreamResponse:
    session = require(request, "auctioneer")
    hall = hall_of(request)
    data = body if body is not None else await _optional_body(request)
    service = service_of(request.app)

    async def act(claim: Claim | None) -> web.Response:
        done = await submit(service, hall, make, claim, kind)
        refused = next((o for o in done.outputs if isinstance(o, CommandRefused)), None)
        audit = {"hall": hall, **detail}
        if claim is not None:
            audit["request_id"] = claim.key
        if refused is not None:
            await service.audit(session.user, f"hall_{kind.lower()}_refused", audit)
            return error(409, refused.reason)
        await service.audit(session.user, f"hall_{kind.lower()}", audit)
        view = await service.runner.call(lambda m: queue_view(hall, m.halls[hall]))
        return web.json_response(view)

    return await idempotent(request, session.user, data, act)


async def _optional_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    return await json_body(request)


async def api_pause(request: web.Request) -> web.StreamResponse:
    return await _command(request, "Pause", Pause, {})


async def api_resume(request: web.Request) -> web.StreamResponse:
    return await _command(request, "Resume", Resume, {})


async def api_clock(request: web.Request) -> web.StreamResponse:
    """The clock's speed (ms per tick) and step (fen per tick) from the next round on."""
    require(request, "auctioneer")
    data = await json_body(request)
    tick = int_field(data, "tick_ms", low=1, high=MAX_TICK_MS)
    step = int_field(data, "step_fen", low=1, high=MAX_STEP_FEN)

    def make(now: int) -> Input:
        return SetClock(now, tick, step)

    return await _command(request, "SetClock", make, {"tick_ms": tick, "step_fen": step}, data)


async def api_withdraw_lot(request: web.Request) -> web.StreamResponse:
    require(request, "auctioneer")
    lot = request.match_info["lot"]

    def make(now: int) -> Input:
        return WithdrawLot(now, lot)

    return await _command(request, "WithdrawLot", make, {"lot": lot})


async def api_reorder(request: web.Request) -> web.StreamResponse:
    """The lots not started yet, in their new order (every one of them, once)."""
    require(request, "auctioneer")
    data = await json_body(request)
    lots = data.get("lots")
    if not isinstance(lots, list) or len(lots) > 10_000:
        raise Refused(400, "bad_lots")
    if not all(isinstance(x, str) for x in lots):
        raise Refused(400, "bad_lots")
    order = tuple(lots)

    def make(now: int) -> Input:
        return ReorderLots(now, order)

    return await _command(request, "ReorderLots", make, {"lots": list(order)}, data)


async def auctioneer_page(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is None:
        raise login_redirect(request)
    if session.role not in ("auctioneer", "admin"):
        raise web.HTTPForbidden()
    service = service_of(request.app)
    halls = sorted(service.market.configs)
    if not halls:
        raise web.HTTPNotFound()
    hall = request.query.get("hall") or halls[0]
    if hall not in service.market.configs:
        raise web.HTTPNotFound()
    return page(request, "auctioneer.html", words=WORDS, hall=hall, halls=halls)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/auctioneer", auctioneer_page),
    ("GET", "/api/auctioneer/halls/{hall}", api_hall),
    ("GET", "/api/auctioneer/halls/{hall}/presses", api_presses),
    ("POST", "/api/halls/{hall}/pause", api_pause),
    ("POST", "/api/halls/{hall}/resume", api_resume),
    ("POST", "/api/halls/{hall}/clock", api_clock),
    ("POST", "/api/halls/{hall}/queue", api_reorder),
    ("POST", "/api/halls/{hall}/lots/{lot}/withdraw", api_withdraw_lot),
]
