"""Web routes of the staff consoles; :func:`jiqun.market.service.app.feature_routes` adds them.

One module per console: :mod:`.cashier` (members, cards, deposits, withdrawals, payouts,
receipts), :mod:`.auctioneer` (halls, the lot queue, the clock), :mod:`.supplier` (lot
registration from the catalogue, sales and proceeds), :mod:`.admin` (users, roles, suspension,
catalogue, fees). State-changing calls are idempotent by request id (:mod:`.idempotency`).
"""

from __future__ import annotations

from aiohttp import web

from jiqun.market.service import admin, auctioneer, cashier, supplier
from jiqun.market.service.app import Handler, page, service_of
from jiqun.market.service.consoles import WORDS


async def staff_index(request: web.Request) -> web.StreamResponse:
    """The consoles' addresses (each checks its own role)."""
    halls = sorted(service_of(request.app).market.configs)
    return page(request, "staff_index.html", words=WORDS, halls=halls)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/staff", staff_index),
    *cashier.ROUTES,
    *auctioneer.ROUTES,
    *supplier.ROUTES,
    *admin.ROUTES,
]
