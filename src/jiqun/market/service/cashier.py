"""The cashier's console (PRODUCT.md M1, M4; role ``cashier``): members and their one-card
cards, deposits, withdrawals, suppliers' payouts and a printable receipt per transaction.

Money moves only through journal inputs (``Deposit``, ``Withdrawal``, ``Payout``), so the
engines that check presses and the ledger never disagree; the engine refuses a withdrawal or
payout that would take an account below zero (``insufficient_funds``). A card's deposit (押金)
is the ledger's own operation (:meth:`SqlLedger.issue_card`), idempotent by card number. Every
call that moves money takes a request id (:mod:`.idempotency`) and is written to the audit log.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from jiqun.market.core import postings
from jiqun.market.core.events import CashMoved, CashRefused, Deposit, Payout, Withdrawal
from jiqun.market.journal import ledger_key
from jiqun.market.ledger import LedgerError, MemberConflict, UnknownAccount, account_member
from jiqun.market.service.app import (
    Handler,
    Refused,
    error,
    json_body,
    lang_of,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.service.consoles import (
    WORDS,
    int_field,
    members,
    submit,
    text_field,
    yuan_text,
)
from jiqun.market.service.idempotency import Claim, idempotent

MOVES: dict[str, type[Deposit | Withdrawal | Payout]] = {
    "deposits": Deposit,
    "withdrawals": Withdrawal,
    "payouts": Payout,
}
MAX_AMOUNT_FEN = 10**11  # 10 亿元: a typing slip, not a deposit


async def api_members(request: web.Request) -> web.StreamResponse:
    require(request, "cashier", "admin")
    return web.json_response({"members": await members(service_of(request.app))})


def _cash_handler(kind: str) -> Handler:
    make = MOVES[kind]

    async def handler(request: web.Request) -> web.StreamResponse:
        session = require(request, "cashier")
        data = await json_body(request)
        member = text_field(data, "member")
        amount = int_field(data, "amount_fen", low=1, high=MAX_AMOUNT_FEN)
        service = service_of(request.app)

        async def act(claim: Claim | None) -> web.Response:
            hall = await service.first_hall()
            done = await submit(
                service, hall, lambda now: make(now, member, amount), claim, make.__name__
            )
            detail: dict[str, Any] = {"member": member, "amount_fen": amount}
            if claim is not None:
                detail["request_id"] = claim.key
            for i, out in enumerate(done.outputs):
                if isinstance(out, CashMoved):
                    key = ledger_key(done.seq, i)
                    await service.audit(
                        session.user, out.kind, {**detail, "receipt": key, "seq": done.seq}
                    )
                    return web.json_response(
                        {
                            "kind": out.kind,
                            "member": member,
                            "amount_fen": amount,
                            "balance_fen": out.balance_fen,
                            "receipt": key,
                        }
                    )
            refused = next((o for o in done.outputs if isinstance(o, CashRefused)), None)
            reason = refused.reason if refused is not None else "refused"
            await service.audit(
                session.user, f"{make.__name__.lower()}_refused", {**detail, "reason": reason}
            )
            return error(409 if reason == "insufficient_funds" else 400, reason)

        return await idempotent(request, session.user, data, act)

    return handler


async def api_issue_card(request: web.Request) -> web.StreamResponse:
    """Issue a one-card card to a member with its deposit (押金, 0 allowed)."""
    session = require(request, "cashier")
    data = await json_body(request)
    member = text_field(data, "member")
    card_no = text_field(data, "card_no", most=32)
    deposit = int_field(data, "deposit_fen", high=MAX_AMOUNT_FEN)
    service = service_of(request.app)
    at = service.runner.now()

    async def act(claim: Claim | None) -> web.Response:
        def issue(m: Any) -> str | None:
            txn = m.ledger.issue_card(member, card_no, deposit, at)
            return None if txn is None else str(txn.key)

        try:
            key = await service.runner.call(issue)
        except UnknownAccount:
            raise Refused(404, "unknown_member") from None
        except MemberConflict:
            raise Refused(409, "card_taken") from None
        except LedgerError:
            raise Refused(400, "bad_card") from None
        await service.audit(
            session.user,
            "card_issue",
            {"member": member, "card_no": card_no, "deposit_fen": deposit, "receipt": key},
        )
        body = {"member": member, "card_no": card_no, "deposit_fen": deposit, "receipt": key}
        return web.json_response(body, status=201)

    return await idempotent(request, session.user, data, act)


async def api_statement(request: web.Request) -> web.StreamResponse:
    """A member's statement (every fee on its own line), each line with its receipt key."""
    session = require(request)
    member = request.match_info["member"]
    if session.role not in ("cashier", "admin") and session.user != member:
        raise Refused(403, "forbidden")
    service = service_of(request.app)
    now = service.runner.now()
    loop = asyncio.get_running_loop()
    try:
        statement = await loop.run_in_executor(
            None, service.market.ledger.statement, member, 0, now + 1
        )
    except UnknownAccount:
        raise Refused(404, "unknown_member") from None
    return web.json_response(statement.to_json())


# ---------------------------------------------------------------------------- receipts


def receipt_of(txn: postings.Transaction) -> dict[str, Any]:
    """A transaction as a receipt: who, what, and each amount and fee on its own line (fen)."""
    amounts: dict[str, int] = {}
    for e in txn.entries:
        amounts[e.account] = amounts.get(e.account, 0) + e.amount_fen
    members = sorted({m for a in amounts if (m := account_member(a)) is not None})
    out: dict[str, Any] = {
        "key": txn.key,
        "kind": txn.kind,
        "at_ms": txn.at_ms,
        "members": members,
        "meta": dict(txn.meta),
    }
    if txn.kind == "sale":
        meta = txn.meta
        buyer, supplier = str(meta["buyer"]), str(meta["supplier"])
        buyer_fee = -amounts.get(postings.BUYER_FEE, 0)
        commission = -amounts.get(postings.COMMISSION, 0)
        pays = amounts.get(postings.wallet(buyer), 0)
        out.update(
            buyer=buyer,
            supplier=supplier,
            lot=meta["lot"],
            variety=meta.get("variety", ""),
            grade=meta.get("grade", ""),
            qty=int(meta["qty"]),
            price_fen=int(meta["price_fen"]),
            weight_g=int(meta["qty"]) * int(meta["unit_net_g"]),
            lines=[
                ["amount", pays - buyer_fee],
                ["buyer_fee", buyer_fee],
                ["buyer_pays", pays],
                ["commission", commission],
                ["supplier_gets", -amounts.get(postings.proceeds(supplier), 0)],
            ],
        )
    elif txn.kind in ("deposit", "withdrawal", "payout", "card_deposit"):
        cash = amounts.get(postings.CASH, 0) or amounts.get(postings.CLEARING, 0)
        if txn.kind == "card_deposit":
            members = [str(txn.meta.get("member", ""))]
            out["members"] = members
        out.update(member=members[0] if members else "", lines=[[txn.kind, abs(cash)]])
    else:
        out["lines"] = [[name, amount] for name, amount in sorted(amounts.items())]
    return out


async def _receipt(request: web.Request) -> dict[str, Any]:
    session = require(request)
    key = request.match_info["key"]
    service = service_of(request.app)
    loop = asyncio.get_running_loop()
    txn = await loop.run_in_executor(None, service.market.ledger.get, key)
    if txn is None:
        raise Refused(404, "unknown_receipt")
    receipt = receipt_of(txn)
    if session.role not in ("cashier", "admin") and session.user not in receipt["members"]:
        raise Refused(403, "forbidden")
    return receipt


async def api_receipt(request: web.Request) -> web.StreamResponse:
    return web.json_response(await _receipt(request))


def kg_text(grams: int) -> str:
    """Grams as kilograms without float: 12500 → "12.5", 1000000 → "1,000"."""
    whole, rest = divmod(grams, 1000)
    return f"{whole:,}" + (f".{rest:03d}".rstrip("0") if rest else "")


def _when(at_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at_ms / 1000))


async def receipt_page(request: web.Request) -> web.StreamResponse:
    if session_of(request) is None:
        raise login_redirect(request)
    try:
        receipt = await _receipt(request)
    except Refused as e:
        return error(e.status, e.code)
    lang = lang_of(request)
    lines = [(label, yuan_text(fen, lang)) for label, fen in receipt["lines"]]
    return page(
        request,
        "cashier_receipt.html",
        words=WORDS,
        receipt=receipt,
        lines=lines,
        when=_when(receipt["at_ms"]),
        price=yuan_text(receipt.get("price_fen", 0), lang),
        weight_kg=kg_text(receipt.get("weight_g", 0)),
    )


async def cashier_page(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is None:
        raise login_redirect(request)
    if session.role not in ("cashier", "admin"):
        raise web.HTTPForbidden()
    return page(request, "cashier.html", words=WORDS)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/cashier", cashier_page),
    ("GET", "/receipts/{key}", receipt_page),
    ("GET", "/api/cashier/members", api_members),
    ("POST", "/api/cashier/deposits", _cash_handler("deposits")),
    ("POST", "/api/cashier/withdrawals", _cash_handler("withdrawals")),
    ("POST", "/api/cashier/payouts", _cash_handler("payouts")),
    ("POST", "/api/cashier/cards", api_issue_card),
    ("GET", "/api/members/{member}/statement", api_statement),
    ("GET", "/api/receipts/{key}", api_receipt),
]
