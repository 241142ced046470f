"""Web routes of this feature; :func:`jiqun.market.service.app.feature_routes` adds them."""

from __future__ import annotations

from jiqun.market.service.app import Handler

ROUTES: list[tuple[str, str, Handler]] = []
