"""Web routes of this feature; :func:`jiqun.market.service.app.feature_routes` adds them.

Pages (Chinese by default, ``?lang=en``) and a JSON API; every call needs a login:

- ``GET /sealed``: the items with their windows, state and reserve (whether there is one; the
  amount to staff and the item's seller), the viewer's own standing bid, results once closed;
  a buyer sees his balance, the money his bids hold and a bid form on each open item; an
  auctioneer or administrator a form to list an item.
- ``GET /sealed/{item}``: one item; its bids are the viewer's own until the close, everyone's
  after it (sealed: nobody sees another's bid before).
- ``POST /sealed/{item}/bid`` (form, amount in yuan, buyers), ``POST /sealed/items`` (form,
  staff); both carry the session's CSRF token like every form of the app.
- ``GET /api/sealed/items``, ``GET /api/sealed/items/{item}``, ``POST /api/sealed/items``
  (staff: id, seller, title, reserve_fen, opens_ms, closes_ms), ``POST
  /api/sealed/items/{item}/bids`` (buyers: amount_fen) → the decision, ``reason`` as in the
  rulebook.

Items due to close are closed by whichever of these requests comes first after the close
(see :mod:`jiqun.market.sealed.live`). The bidder is always the session's user, never a field.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from jiqun.market.core.money import yuan
from jiqun.market.sealed import live
from jiqun.market.service.app import (
    Handler,
    Refused,
    json_body,
    lang_of,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.texts import MarketProblem, parse_time, show_time

STAFF = ("admin", "auctioneer")

WORDS: dict[str, tuple[str, str]] = {
    "sealed_title": ("密封投标拍卖", "Sealed-bid auctions"),
    "sealed_hint": (
        "在投标时间内出价，截止后出价最高且不低于保留价者中标，按自己的出价付款；"
        "截止前任何人都看不到别人的出价。",
        "Bid within the window; at the close the highest bid at or above the reserve wins and "
        "pays its own amount. Nobody sees another's bid before the close.",
    ),
    "sealed_item": ("拍品", "Item"),
    "sealed_item_title": ("名称", "Title"),
    "sealed_seller": ("卖方", "Seller"),
    "sealed_window": ("投标时间", "Bidding window"),
    "sealed_state": ("状态", "State"),
    "sealed_reserve": ("保留价", "Reserve"),
    "sealed_has_reserve": ("有保留价", "has a reserve"),
    "sealed_no_reserve": ("无保留价", "no reserve"),
    "sealed_my_bid": ("我的出价", "My bid"),
    "sealed_bid": ("出价（元）", "Bid (yuan)"),
    "sealed_submit": ("提交出价", "Submit bid"),
    "sealed_result": ("结果", "Result"),
    "sealed_winner": ("中标人", "Winner"),
    "sealed_commission": ("佣金", "Commission"),
    "sealed_bids": ("出价记录", "Bids"),
    "sealed_bids_hidden": ("截止前只显示您自己的出价", "Until the close only your own bids show"),
    "sealed_at": ("时间", "Time"),
    "sealed_amount": ("金额（元）", "Amount (yuan)"),
    "sealed_outcome": ("结果", "Outcome"),
    "sealed_accepted": ("有效", "accepted"),
    "sealed_standing": ("（当前有效）", "(standing)"),
    "sealed_balance": ("余额", "Balance"),
    "sealed_held": ("投标冻结", "Held for bids"),
    "sealed_available": ("可用于投标", "Available for bids"),
    "sealed_list_item": ("登记拍品", "List an item"),
    "sealed_opens": ("开始时间", "Opens"),
    "sealed_closes": ("截止时间", "Closes"),
    "sealed_time_hint": ("如 2026-11-27T08:30（北京时间）", "e.g. 2026-11-27T08:30 (CST)"),
    "sealed_id": ("编号", "Id"),
    "sealed_back": ("返回拍品列表", "Back to the items"),
    "sealed_none": ("暂无拍品", "No items yet"),
    "sealed_state_upcoming": ("未开始", "not yet open"),
    "sealed_state_open": ("投标中", "open for bids"),
    "sealed_state_sold": ("已成交", "sold"),
    "sealed_state_unsold": ("流拍（无达到保留价的出价）", "unsold (no bid met the reserve)"),
    "sealed_state_unpaid": ("中标人余额不足，未成交", "the winner could not pay; not sold"),
    "sealed_done_ok": ("出价已受理，金额已冻结", "Bid accepted; its amount is held"),
    "sealed_done_listed": ("拍品已登记", "Item listed"),
    "sealed_reason_unknown_member": ("不是市场会员", "not a member of the market"),
    "sealed_reason_not_a_buyer": ("只有买家可以出价", "only buyers bid"),
    "sealed_reason_suspended": ("会员已被暂停", "the member is suspended"),
    "sealed_reason_unknown_item": ("没有这个拍品", "no such item"),
    "sealed_reason_window_closed": ("不在投标时间内", "outside the bidding window"),
    "sealed_reason_bad_amount": (
        "出价应为正的金额（最多两位小数）",
        "a bid is a positive amount (at most two decimals)",
    ),
    "sealed_reason_insufficient_funds": (
        "可用余额不足（已扣除其他拍品冻结的金额）",
        "insufficient funds (after the amounts held for other items)",
    ),
    "sealed_reason_bad_item": ("拍品信息不完整或不正确", "the item's fields are incomplete"),
    "sealed_reason_bad_window": (
        "截止时间应晚于开始时间和现在",
        "the close must be after the opening and after now",
    ),
    "sealed_reason_bad_seller": ("卖方应为供货商会员", "the seller must be a supplier member"),
    "sealed_reason_item_exists": ("拍品编号已存在", "an item with this id exists"),
    "sealed_reason_no_hall": ("市场尚未设立拍卖厅", "the market has no hall yet"),
    "sealed_reason_bad_time": ("无法识别的时间", "unrecognised time"),
}


def _staff(role: str) -> bool:
    return role in STAFF


async def _call(request: web.Request, fn: Any) -> Any:
    """Run ``fn(market, now)`` on the writer thread; a :class:`live.Refusal` is answered."""
    service = service_of(request.app)
    now = service.runner.now()
    try:
        return await service.runner.call(lambda m: fn(m, now))
    except live.Refusal as e:
        raise Refused(e.status, e.code) from None


def _login_first(request: web.Request) -> None:
    if session_of(request) is None:
        raise login_redirect(request)


_YUAN = re.compile(r"(\d{1,13})(?:\.(\d{1,2}))?")


def fen_of_yuan(text: str) -> object:
    """A form's amount in yuan as integer fen ("1200.5" → 120050); anything else is returned
    as typed, for the rulebook to call ``bad_amount``."""
    match = _YUAN.fullmatch(text.strip())
    if match is None:
        return text
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def _money(fen: int | None) -> str:
    return "—" if fen is None else yuan(fen)


def _context(data: dict[str, Any]) -> dict[str, Any]:
    return {"money": _money, "when": show_time, **data}


# ---------------------------------------------------------------------------- pages


async def sealed_page(request: web.Request) -> web.StreamResponse:
    _login_first(request)
    session = require(request)
    staff = _staff(session.role)
    data = await _call(request, lambda m, now: live.overview(m, now, session.user, staff))
    return page(
        request,
        "sealed.html",
        words=WORDS,
        staff=staff,
        done=request.query.get("done", ""),
        **_context(data),
    )


async def sealed_item_page(request: web.Request) -> web.StreamResponse:
    _login_first(request)
    session = require(request)
    item = request.match_info["item"]
    staff = _staff(session.role)
    data = await _call(request, lambda m, now: live.item_detail(m, now, item, session.user, staff))
    return page(
        request,
        "sealed_item.html",
        words=WORDS,
        item=data,
        staff=staff,
        done=request.query.get("done", ""),
        **_context({}),
    )


def _back(request: web.Request, path: str, done: str) -> web.Response:
    query = urlencode({"lang": lang_of(request), "done": done})
    return web.Response(status=303, headers={"Location": f"{path}?{query}"})


async def bid_form(request: web.Request) -> web.StreamResponse:
    session = require(request, "buyer")
    item = request.match_info["item"]
    form = await request.post()
    raw = form.get("amount_yuan", "")
    amount = fen_of_yuan(raw) if isinstance(raw, str) else raw
    decision = await _bid(request, session.user, item, amount)
    return _back(request, f"/sealed/{quote(item)}", decision.reason or "ok")


async def list_form(request: web.Request) -> web.StreamResponse:
    session = require(request, *STAFF)
    form = await request.post()
    fields = {
        k: form.get(k, "") for k in ("id", "seller", "title", "reserve_yuan", "opens", "closes")
    }
    if not all(isinstance(v, str) for v in fields.values()):
        raise Refused(400, "bad_item")
    text: dict[str, str] = {k: str(v).strip() for k, v in fields.items()}
    try:
        opens, closes = parse_time(text["opens"]), parse_time(text["closes"])
    except MarketProblem:
        return _back(request, "/sealed", "bad_time")
    data = {
        "id": text["id"],
        "seller": text["seller"],
        "title": text["title"],
        "reserve_fen": fen_of_yuan(text["reserve_yuan"] or "0"),
        "opens_ms": opens,
        "closes_ms": closes,
    }
    try:
        await _list(request, session.user, data)
    except Refused as e:
        return _back(request, "/sealed", e.code)
    return _back(request, "/sealed", "listed")


# ---------------------------------------------------------------------------- API


async def _bid(request: web.Request, bidder: str, item: str, amount: object) -> live.Decision:
    decision: live.Decision = await _call(
        request, lambda m, now: live.place_bid(m, now, bidder, item, amount)
    )
    detail = {"item": item, "amount_fen": amount if type(amount) is int else str(amount)[:32]}
    detail["reason"] = decision.reason or "accepted"
    await service_of(request.app).audit(bidder, "sealed_bid", detail)
    return decision


async def _list(request: web.Request, by: str, data: dict[str, Any]) -> dict[str, Any]:
    listed: dict[str, Any] = await _call(request, lambda m, now: live.add_item(m, now, by, data))
    await service_of(request.app).audit(by, "sealed_list", {"item": listed["id"]})
    return listed


async def api_items(request: web.Request) -> web.StreamResponse:
    session = require(request)
    staff = _staff(session.role)
    data = await _call(request, lambda m, now: live.overview(m, now, session.user, staff))
    return web.json_response(data)


async def api_item(request: web.Request) -> web.StreamResponse:
    session = require(request)
    item = request.match_info["item"]
    staff = _staff(session.role)
    data = await _call(request, lambda m, now: live.item_detail(m, now, item, session.user, staff))
    return web.json_response(data)


async def api_add_item(request: web.Request) -> web.StreamResponse:
    session = require(request, *STAFF)
    data = await json_body(request)
    return web.json_response(await _list(request, session.user, data), status=201)


async def api_bid(request: web.Request) -> web.StreamResponse:
    session = require(request, "buyer")
    data = await json_body(request)
    if "amount_fen" not in data:
        raise Refused(400, "bad_request")
    decision = await _bid(request, session.user, request.match_info["item"], data["amount_fen"])
    return web.json_response(decision.to_json(), status=200 if decision.reason is None else 409)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/sealed", sealed_page),
    ("POST", "/sealed/items", list_form),
    ("GET", "/sealed/{item}", sealed_item_page),
    ("POST", "/sealed/{item}/bid", bid_form),
    ("GET", "/api/sealed/items", api_items),
    ("POST", "/api/sealed/items", api_add_item),
    ("GET", "/api/sealed/items/{item}", api_item),
    ("POST", "/api/sealed/items/{item}/bids", api_bid),
]
