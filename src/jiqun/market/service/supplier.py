"""The supplier's console (PRODUCT.md M2; role ``supplier``): register lots from the catalogue,
follow them on the clock, see their sales and the proceeds.

Registration checks the lot against the catalogue (variety, grade, package code, the package's
standard net weight) and then goes through the one lot API,
:func:`jiqun.market.service.app.api_add_lot`, with the same request (whose body aiohttp keeps),
so that there is one place that builds and journals a lot. It takes a request id
(:mod:`.idempotency`); a lot id is unique anyway, so even a retry in doubt after a crash cannot
register a lot twice.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from jiqun.market.journal import DurableMarket
from jiqun.market.ledger import UnknownAccount
from jiqun.market.service import app, catalogue
from jiqun.market.service.app import (
    Handler,
    Refused,
    json_body,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.service.consoles import WORDS, hall_of
from jiqun.market.service.idempotency import Claim, idempotent


async def api_catalogue(request: web.Request) -> web.StreamResponse:
    require(request)
    loop = asyncio.get_running_loop()
    cat = await loop.run_in_executor(None, catalogue.load, service_of(request.app).market.engine)
    return web.json_response(cat.to_json())


async def api_register_lot(request: web.Request) -> web.StreamResponse:
    session = require(request, "supplier")
    hall_of(request)
    data = await json_body(request)
    service = service_of(request.app)
    loop = asyncio.get_running_loop()
    cat = await loop.run_in_executor(None, catalogue.load, service.market.engine)
    problem = catalogue.check_lot(cat, data)
    if problem is not None:
        raise Refused(400, problem)

    async def act(claim: Claim | None) -> web.Response:
        response = await app.api_add_lot(request)  # the one lot API, on the same body
        assert isinstance(response, web.Response)
        return response

    return await idempotent(request, session.user, data, act)


def _lots_of(m: DurableMarket, supplier: str) -> list[dict[str, Any]]:
    out = []
    for hall, engine in sorted(m.halls.items()):
        s = engine.state
        for i, ls in enumerate(s.lots):
            if ls.lot.supplier != supplier:
                continue
            if ls.remaining == 0:
                status = "done" if ls.sold else "withdrawn"
            elif i == s.current and s.phase in ("waiting", "running", "window") and ls.rounds:
                status = "on_clock"
            else:
                status = "pending"
            out.append(
                {
                    "hall": hall,
                    "id": ls.lot.id,
                    "variety": ls.lot.variety,
                    "grade": ls.lot.grade,
                    "package": ls.lot.package,
                    "units": ls.lot.units,
                    "unit_net_g": ls.lot.unit_net_g,
                    "start_price_fen": ls.lot.start_price_fen,
                    "reserve_price_fen": ls.lot.reserve_price_fen,
                    "min_purchase": ls.lot.min_purchase,
                    "remaining": ls.remaining,
                    "sold": ls.sold,
                    "withdrawn": ls.withdrawn,
                    "rounds": ls.rounds,
                    "status": status,
                }
            )
    return out


def day_start_ms(now_ms: int) -> int:
    """Local midnight of the day of ``now_ms``."""
    local = time.localtime(now_ms / 1000)
    return int(time.mktime((*local[:3], 0, 0, 0, 0, 0, -1)) * 1000)


def _sales(market: DurableMarket, supplier: str, now: int) -> dict[str, Any]:
    """The supplier's sales of the day (each with its commission) and his proceeds, from the
    ledger."""
    ledger = market.ledger
    try:
        statement = ledger.statement(supplier, day_start_ms(now), now + 1)
    except UnknownAccount:
        return {"sales": [], "proceeds_fen": 0, "paid_out_fen": 0}
    sales: dict[str, dict[str, Any]] = {}
    paid = 0
    for line in statement.lines:
        if line.item == "payout":
            paid -= line.amount_fen
        if line.item not in ("sale", "commission"):
            continue
        sale = sales.get(line.key)
        if sale is None:
            txn = ledger.get(line.key)
            meta = dict(txn.meta) if txn is not None else {}
            sale = sales[line.key] = {
                "receipt": line.key,
                "at_ms": line.at_ms,
                "lot": meta.get("lot"),
                "buyer": meta.get("buyer"),
                "qty": meta.get("qty"),
                "price_fen": meta.get("price_fen"),
                "amount_fen": 0,
                "commission_fen": 0,
                "reversal": line.reversal,
            }
        if line.item == "sale":
            sale["amount_fen"] += line.amount_fen
        else:
            sale["commission_fen"] -= line.amount_fen
    return {
        "sales": list(sales.values()),
        "proceeds_fen": statement.closing_fen,
        "paid_out_fen": paid,
    }


async def api_my_lots(request: web.Request) -> web.StreamResponse:
    """The supplier's lots in every hall, today's sales and payouts, and his proceeds."""
    session = require(request, "supplier")
    service = service_of(request.app)
    lots = await service.runner.call(lambda m: _lots_of(m, session.user))
    loop = asyncio.get_running_loop()
    now = service.runner.now()
    money = await loop.run_in_executor(None, _sales, service.market, session.user, now)
    return web.json_response({"supplier": session.user, "lots": lots, **money})


async def supplier_page(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is None:
        raise login_redirect(request)
    if session.role != "supplier":
        raise web.HTTPForbidden()
    halls = sorted(service_of(request.app).market.configs)
    return page(request, "supplier.html", words=WORDS, halls=halls)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/supplier", supplier_page),
    ("GET", "/api/catalogue", api_catalogue),
    ("GET", "/api/supplier/lots", api_my_lots),
    ("POST", "/api/supplier/halls/{hall}/lots", api_register_lot),
]
