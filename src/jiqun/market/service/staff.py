"""Web routes of the staff consoles; :func:`jiqun.market.service.app.feature_routes` adds them.

One module per console: :mod:`.cashier` (members, cards, deposits, withdrawals, payouts,
receipts), :mod:`.auctioneer` (halls, the lot queue, the clock), :mod:`.supplier` (lot
registration from the catalogue, sales and proceeds), :mod:`.admin` (users, roles, suspension,
catalogue, fees). State-changing calls are idempotent by request id (:mod:`.idempotency`).
"""

from __future__ import annotations

from jiqun.market.service import admin, auctioneer, cashier, supplier
from jiqun.market.service.app import Handler

ROUTES: list[tuple[str, str, Handler]] = [
    *cashier.ROUTES,
    *auctioneer.ROUTES,
    *supplier.ROUTES,
    *admin.ROUTES,
]
