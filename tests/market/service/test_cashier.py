"""The cashier's console: deposits, withdrawals, payouts, cards, statements and receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiqun.market.service.cashier import kg_text
from jiqun.market.service.consoles import yuan_text
from tests.market.service.conftest import HALL, Live, live, next_of, next_round, run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


async def _balance(env: Live, member: str) -> int:
    cashier = await env.client("CASH")
    found = await (await cashier.get("/api/cashier/members")).json()
    return next(m["balance_fen"] for m in found["members"] if m["id"] == member)  # type: ignore[no-any-return]


def test_yuan_as_receipts_print_it() -> None:
    assert yuan_text(123450) == "1,234.50元"
    assert yuan_text(5) == "0.05元"
    assert yuan_text(100_000_000) == "1,000,000.00元"
    assert yuan_text(-1999, "en") == "-19.99 yuan"
    assert kg_text(12500) == "12.5" and kg_text(1_000_000) == "1,000" and kg_text(7) == "0.007"


def test_deposit_withdrawal_and_their_receipts(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            cashier = await env.client("CASH")
            # the fixture deposited 10,000.00元 for B01
            r = await env.post(
                cashier, "/api/cashier/deposits", {"member": "B01", "amount_fen": 123_450}
            )
            assert r.status == 200, await r.text()
            done = await r.json()
            assert done["balance_fen"] == 1_000_000 + 123_450
            receipt = await (await cashier.get(f"/api/receipts/{done['receipt']}")).json()
            assert receipt["kind"] == "deposit" and receipt["member"] == "B01"
            assert receipt["lines"] == [["deposit", 123_450]]
            html = await (await cashier.get(f"/receipts/{done['receipt']}")).text()
            assert "1,234.50元" in html and "存款" in html and "B01" in html
            english = await (await cashier.get(f"/receipts/{done['receipt']}?lang=en")).text()
            assert "1,234.50 yuan" in english and "Deposit" in english

            # not below zero: the whole balance + 1 fen is refused, nothing moves
            r = await env.post(
                cashier, "/api/cashier/withdrawals", {"member": "B01", "amount_fen": 1_123_451}
            )
            assert r.status == 409 and (await r.json())["error"] == "insufficient_funds"
            assert await _balance(env, "B01") == 1_123_450
            r = await env.post(
                cashier, "/api/cashier/withdrawals", {"member": "B01", "amount_fen": 23_450}
            )
            assert (await r.json())["balance_fen"] == 1_100_000
            # bad amounts and members
            for body in (
                {"member": "B01", "amount_fen": 0},
                {"member": "B01", "amount_fen": -5},
                {"member": "B01", "amount_fen": "100"},
                {"member": "B01", "amount_fen": 1.5},
                {"amount_fen": 100},
            ):
                r = await env.post(cashier, "/api/cashier/deposits", body)
                assert r.status == 400, body
            r = await env.post(
                cashier, "/api/cashier/deposits", {"member": "NOBODY", "amount_fen": 100}
            )
            assert (r.status, (await r.json())["error"]) == (400, "unknown_member")
            # a supplier's wallet takes no deposit; a buyer gets no payout
            r = await env.post(cashier, "/api/cashier/deposits", {"member": "S01", "amount_fen": 1})
            assert (await r.json())["error"] == "wrong_role"
            r = await env.post(cashier, "/api/cashier/payouts", {"member": "B01", "amount_fen": 1})
            assert (await r.json())["error"] == "wrong_role"

            # the statement lists both movements with their receipts
            st = await (await cashier.get("/api/members/B01/statement")).json()
            assert [(x["item"], x["amount_fen"]) for x in st["lines"]] == [
                ("deposit", 1_000_000),
                ("deposit", 123_450),
                ("withdrawal", -23_450),
            ]
            assert st["closing_fen"] == 1_100_000

            # the audit log has them, with the receipt
            from jiqun.market.service import users

            actions = [
                (a.action, a.detail.get("receipt"))
                for a in users.audit_records(env.service.market.engine)
                if a.actor == "CASH"
            ]
            assert ("deposit", done["receipt"]) in actions
            assert any(action == "withdrawal_refused" for action, _ in actions)
            assert users.verify_audit(env.service.market.engine).ok

    run(go())


def test_only_a_cashier_moves_cash(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            for user in ("B01", "AUC", "S01"):
                c = await env.client(user)
                for kind in ("deposits", "withdrawals", "payouts"):
                    r = await env.post(
                        c, f"/api/cashier/{kind}", {"member": "B01", "amount_fen": 100}
                    )
                    assert r.status == 403, (user, kind)
                assert (await c.get("/api/cashier/members")).status == 403
                assert (await c.get("/cashier", allow_redirects=False)).status == 403
            # a buyer sees his own statement only
            b1 = await env.client("B01")
            assert (await b1.get("/api/members/B01/statement")).status == 200
            assert (await b1.get("/api/members/B02/statement")).status == 403
            # without the CSRF token nothing happens
            cashier = await env.client("CASH")
            r = await cashier.post(
                "/api/cashier/deposits", json={"member": "B01", "amount_fen": 100}
            )
            assert r.status == 403
            assert await _balance(env, "B01") == 1_000_000
            anon = await env.client()
            r = await anon.get("/cashier", allow_redirects=False)
            assert r.status == 302 and r.headers["Location"].startswith("/login")
            page = await (await cashier.get("/cashier")).text()
            assert "收银台" in page and 'data-page="cashier"' in page

    run(go())


def test_sale_receipt_and_supplier_payout(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            auctioneer, buyer = await env.client("AUC"), await env.client("B01")
            ws = await env.ws(buyer)
            await next_of(ws, "state")
            assert (await env.post(auctioneer, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 20})
            ack = await next_of(ws, "ack")
            assert ack["result"] == "sale"
            price = ack["price_fen"]
            # rulebook v1 §6, computed here: 20 units × 10 kg at p fen/kg; fees 50 and 300 bp
            amount = (2 * price * 20 * 10_000 + 1000) // 2000
            buyer_fee = (2 * amount * 50 + 10_000) // 20_000
            commission = (2 * amount * 300 + 10_000) // 20_000
            assert ack["amount_fen"] == amount

            cashier = await env.client("CASH")
            st = await (await cashier.get("/api/members/S01/statement")).json()
            key = st["lines"][0]["key"]
            receipt = await (await cashier.get(f"/api/receipts/{key}")).json()
            assert receipt["kind"] == "sale" and receipt["buyer"] == "B01"
            assert dict(receipt["lines"]) == {
                "amount": amount,
                "buyer_fee": buyer_fee,
                "buyer_pays": amount + buyer_fee,
                "commission": commission,
                "supplier_gets": amount - commission,
            }
            html = await (await cashier.get(f"/receipts/{key}")).text()
            assert yuan_text(amount + buyer_fee) in html and "L001" in html and "200 kg" in html
            # the buyer may see his own receipt, another buyer may not
            assert (await buyer.get(f"/receipts/{key}")).status == 200
            other = await env.client("B02")
            assert (await other.get(f"/api/receipts/{key}")).status == 403
            assert (await cashier.get("/api/receipts/j999.0")).status == 404

            # payouts: not more than the proceeds
            proceeds = amount - commission
            r = await env.post(
                cashier, "/api/cashier/payouts", {"member": "S01", "amount_fen": proceeds + 1}
            )
            assert (await r.json())["error"] == "insufficient_funds"
            r = await env.post(
                cashier, "/api/cashier/payouts", {"member": "S01", "amount_fen": proceeds}
            )
            paid = await r.json()
            assert paid["balance_fen"] == 0
            slip = await (await cashier.get(f"/receipts/{paid['receipt']}")).text()
            assert yuan_text(proceeds) in slip and "货款支付" in slip

    run(go())


def test_cards(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            cashier = await env.client("CASH")
            body: dict[str, Any] = {"member": "B01", "card_no": "C0001", "deposit_fen": 5000}
            r = await env.post(cashier, "/api/cashier/cards", body)
            assert r.status == 201, await r.text()
            key = (await r.json())["receipt"]
            receipt = await (await cashier.get(f"/api/receipts/{key}")).json()
            assert receipt["kind"] == "card_deposit" and receipt["member"] == "B01"
            assert receipt["lines"] == [["card_deposit", 5000]]
            r = await env.post(cashier, "/api/cashier/cards", {**body, "member": "B02"})
            assert (r.status, (await r.json())["error"]) == (409, "card_taken")
            r = await env.post(cashier, "/api/cashier/cards", {**body, "member": "X"})
            assert r.status == 404
            found = await (await cashier.get("/api/cashier/members")).json()
            b01 = next(m for m in found["members"] if m["id"] == "B01")
            assert b01["cards"] == [{"card_no": "C0001", "deposit_fen": 5000}]
            # the card deposit is not the wallet's money
            assert b01["balance_fen"] == 1_000_000

    run(go())
