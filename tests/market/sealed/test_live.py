"""Sealed-bid auctions in the running server: listing, sealed bids, lazy close, settlement on
the market's ledger, roles and CSRF. The server's clock is moved forward by raising its floor
(``ServerClock.raise_floor``), so closes happen at exact instants without waiting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jiqun.market.core.events import Suspend, Withdrawal
from jiqun.market.sealed.tables import sealed_bids, sealed_items
from tests.market.service.conftest import HALL, Live, cheap_argon2, live, run  # noqa: F401

DEPOSIT = 1_000_000  # each of B01 and B02 (the live fixture's cashier deposits)


def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'market.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def market_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The market's database, SQLite or the test PostgreSQL (this feature's tables emptied:
    the shared fixture empties the core's)."""
    if request.param == "sqlite":
        return url(tmp_path)
    pg: str = request.getfixturevalue("pg_url")
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(sealed_bids.delete())
        conn.execute(sealed_items.delete())
    engine.dispose()
    return pg


async def list_items(env: Live, *items: dict[str, Any]) -> int:
    """List items as the auctioneer, windows relative to the server's now; returns now."""
    auc = await env.client("AUC")
    now = env.service.runner.now()
    for it in items:
        body = {
            "title": "和田玉",
            "seller": "S01",
            "opens_ms": now - 1000,
            "closes_ms": now + 60_000,
            **it,
        }
        r = await env.post(auc, "/api/sealed/items", body)
        assert r.status == 201, await r.text()
    return now


async def bid(env: Live, c: Any, item: str, amount: object) -> tuple[int, dict[str, Any]]:
    r = await env.post(c, f"/api/sealed/items/{item}/bids", {"amount_fen": amount})
    return r.status, await r.json()


def test_sealed_auction_on_the_ledger(market_url: str) -> None:
    async def scenario() -> None:
        async with live(market_url, lots=[]) as env:
            now = await list_items(
                env, {"id": "J01", "reserve_fen": 100_000}, {"id": "J02", "reserve_fen": 900_000}
            )
            closes = now + 60_000
            b1, b2 = await env.client("B01"), await env.client("B02")
            assert (await bid(env, b1, "J01", 120_000))[0] == 200
            assert (await bid(env, b2, "J01", 150_000))[0] == 200
            # B01 holds 120,000 on J01: 880,000 is free for J02, 880,001 is not
            status, decision = await bid(env, b1, "J02", 880_001)
            assert (status, decision["reason"]) == (409, "insufficient_funds")
            assert (await bid(env, b1, "J02", 880_000))[0] == 200
            status, decision = await bid(env, b2, "J01", 5.0)
            assert (status, decision["reason"]) == (409, "bad_amount")

            # sealed: B01 sees his own bids, never B02's, nor the reserve's amount
            r = await b1.get("/api/sealed/items")
            text = await r.text()
            assert not re.search(r"\b(150000|100000)\b", text)
            overview = await r.json()
            assert [i["my_bid_fen"] for i in overview["items"]] == [120_000, 880_000]
            assert [i["state"] for i in overview["items"]] == ["open", "open"]
            assert overview["items"][0]["reserve_fen"] is None
            assert overview["items"][0]["has_reserve"] is True
            assert overview["me"] == {
                "balance_fen": DEPOSIT,
                "held_fen": 1_000_000,
                "available_fen": 0,
            }
            detail = await (await b1.get("/api/sealed/items/J01")).json()
            assert [b["bidder"] for b in detail["bids"]] == ["B01"] and not detail["revealed"]
            staff = await env.client("AUC")
            assert (await (await staff.get("/api/sealed/items")).json())["items"][0][
                "reserve_fen"
            ] == 100_000

            # the close: at closes_ms itself a bid is late; the close comes first
            env.service.runner.clock.raise_floor(closes)
            status, decision = await bid(env, b2, "J02", 950_000)
            assert (status, decision["reason"]) == (409, "window_closed")
            items = (await (await b1.get("/api/sealed/items")).json())["items"]
            assert items[0]["result"] == {
                "status": "sold",
                "winner": "B02",
                "amount_fen": 150_000,
                "commission_fen": 4500,  # 3 % of 150,000 (the hall's seller commission)
            }
            assert items[1]["result"]["status"] == "unsold"  # 880,000 < 900,000
            assert items[1]["reserve_fen"] == 900_000  # revealed after the close
            detail = await (await b1.get("/api/sealed/items/J01")).json()
            assert detail["revealed"] and [
                (b["bidder"], b["amount_fen"]) for b in detail["bids"]
            ] == [
                ("B01", 120_000),
                ("B02", 150_000),
                ("B02", None),  # 5.0: not an integer, rejected
            ]
            me = await (await b2.get("/api/me")).json()
            assert me["balance_fen"] == DEPOSIT - 150_000

            market = env.service.market

            def check(m: Any) -> tuple[Any, list[str], bool, dict[str, int]]:
                return (
                    m.ledger.get("sealed:J01"),
                    m.verify(),
                    m.ledger.reconcile().ok,
                    m.ledger.balances(),
                )

            txn, problems, ok, balances = await env.service.runner.call(check)
            assert problems == [] and ok
            assert txn.kind == "sealed_award"
            assert {e.account: e.amount_fen for e in txn.entries} == {
                "wallet:B02": 150_000,
                "proceeds:S01": -145_500,
                "revenue:commission": -4500,
            }
            assert balances["wallet:B01"] == DEPOSIT  # his holds were released, nothing paid
            assert balances["proceeds:S01"] == 145_500
            assert market is env.service.market

    run(scenario())


def test_an_item_is_paid_once(market_url: str) -> None:
    """A restart between the payment and the item's status update: the next close finds the
    payment (ledger key ``sealed:J01``) and records it instead of paying again."""

    async def scenario() -> None:
        async with live(market_url, lots=[]) as env:
            now = await list_items(env, {"id": "J01", "reserve_fen": 0})
            b1 = await env.client("B01")
            assert (await bid(env, b1, "J01", 70_000))[0] == 200
            env.service.runner.clock.raise_floor(now + 60_000)
            await b1.get("/api/sealed/items")

            def reopen(m: Any) -> None:
                with m.engine.begin() as conn:
                    conn.execute(
                        sealed_items.update().values(status="open", winner=None, amount_fen=None)
                    )
                    conn.execute(sealed_bids.update().values(standing=True))
                    # and a higher standing bid than the one that was paid: the ledger decides
                    conn.execute(
                        sealed_bids.insert().values(
                            item="J01", bidder="B02", amount_fen=90_000, at_ms=now, standing=True
                        )
                    )

            await env.service.runner.call(reopen)
            items = (await (await b1.get("/api/sealed/items")).json())["items"]
            assert items[0]["result"] == {
                "status": "sold",
                "winner": "B01",
                "amount_fen": 70_000,
                "commission_fen": 2100,
            }
            me = await (await b1.get("/api/me")).json()
            assert me["balance_fen"] == DEPOSIT - 70_000  # paid once
            b2 = await env.client("B02")
            assert (await (await b2.get("/api/me")).json())["balance_fen"] == DEPOSIT
            assert await env.service.runner.call(lambda m: m.verify()) == []

    run(scenario())


def test_a_winner_who_spent_his_money_elsewhere_does_not_pay(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live(url(tmp_path), lots=[]) as env:
            now = await list_items(env, {"id": "J01", "reserve_fen": 10})
            b1 = await env.client("B01")
            assert (await bid(env, b1, "J01", 900_000))[0] == 200
            # the hold binds sealed bids only: the wallet can still pay out at the cashier
            await env.service.runner.submit(HALL, lambda t: Withdrawal(t, "B01", 500_000))
            env.service.runner.clock.raise_floor(now + 60_000)
            items = (await (await b1.get("/api/sealed/items")).json())["items"]
            assert items[0]["result"]["status"] == "unpaid"
            me = await (await b1.get("/api/me")).json()
            assert me["balance_fen"] == DEPOSIT - 500_000
            assert await env.service.runner.call(lambda m: m.verify()) == []

    run(scenario())


def test_roles_and_csrf(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live(url(tmp_path), lots=[]) as env:
            await list_items(env, {"id": "J01", "reserve_fen": 0})
            anonymous = await env.client()
            assert (await anonymous.get("/api/sealed/items")).status == 401
            r = await anonymous.get("/sealed", allow_redirects=False)
            assert r.status == 302 and r.headers["Location"].startswith("/login?")
            supplier, buyer = await env.client("S01"), await env.client("B01")
            r = await env.post(supplier, "/api/sealed/items/J01/bids", {"amount_fen": 5})
            assert r.status == 403 and (await r.json())["error"] == "forbidden"
            body = {
                "id": "J02",
                "seller": "S01",
                "reserve_fen": 0,
                "opens_ms": 0,
                "closes_ms": 2**42,  # the year 2109
            }
            r = await env.post(buyer, "/api/sealed/items", body)
            assert r.status == 403
            r = await buyer.post("/api/sealed/items/J01/bids", json={"amount_fen": 5})
            assert r.status == 403 and (await r.json())["error"] == "csrf"
            r = await buyer.post("/sealed/J01/bid", data={"amount_yuan": "1", "csrf": "forged"})
            assert r.status == 403
            auc = await env.client("AUC")
            for change, code in [
                ({"seller": "B01"}, "bad_seller"),
                ({"closes_ms": 5}, "bad_window"),
                ({"reserve_fen": -1}, "bad_item"),
                ({"id": "J01"}, "item_exists"),
            ]:
                r = await env.post(auc, "/api/sealed/items", body | change)
                assert (await r.json())["error"] == code, change
            r = await env.post(buyer, "/api/sealed/items/J99/bids", {"amount_fen": 5})
            assert (r.status, (await r.json())["reason"]) == (409, "unknown_item")
            await env.service.runner.submit(HALL, lambda t: Suspend(t, "B01"))
            r = await env.post(buyer, "/api/sealed/items/J01/bids", {"amount_fen": 5})
            assert (r.status, (await r.json())["reason"]) == (409, "suspended")
            r = await env.post(
                await env.client("B02"), "/api/sealed/items/J01/bids", {"amount_fen": 5}
            )
            assert r.status == 200

    run(scenario())


def test_pages_and_forms(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live(url(tmp_path), lots=[]) as env:
            auc = await env.client("AUC")
            page = await (await auc.get("/sealed")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf and "登记拍品" in page
            form = {
                "csrf": csrf.group(1),
                "id": "J01",
                "title": "翡翠手镯",
                "seller": "S01",
                "reserve_yuan": "1000",
                "opens": "2020-01-01T08:00",
                "closes": "2100-01-01T08:00",
            }
            r = await auc.post("/sealed/items", data=form, allow_redirects=False)
            assert r.status == 303, await r.text()
            assert "拍品已登记" in await (await auc.get(r.headers["Location"])).text()
            r = await auc.post(
                "/sealed/items", data=form | {"closes": "明天"}, allow_redirects=False
            )
            assert "无法识别的时间" in await (await auc.get(r.headers["Location"])).text()

            buyer = await env.client("B01")
            page = await (await buyer.get("/sealed")).text()
            assert "密封投标拍卖" in page and "翡翠手镯" in page and "有保留价" in page
            assert "1000.00" not in page  # the reserve's amount is not shown to buyers
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            assert token
            r = await buyer.post(
                "/sealed/J01/bid",
                data={"csrf": token.group(1), "amount_yuan": "1200.5"},
                allow_redirects=False,
            )
            assert r.status == 303
            shown = await (await buyer.get(r.headers["Location"])).text()
            assert "出价已受理" in shown and "1200.50" in shown
            r = await buyer.post(
                "/sealed/J01/bid", data={"csrf": token.group(1), "amount_yuan": "1,2"}
            )
            assert "出价应为正的金额" in await r.text()
            assert "/static/sealed.css" in shown
            assert (await buyer.get("/static/sealed.css")).status == 200
            english = await (await buyer.get("/sealed?lang=en")).text()
            assert "Sealed-bid auctions" in english and "has a reserve" in english
            other = await env.client("B02")
            assert "1200.50" not in await (await other.get("/sealed/J01")).text()

    run(scenario())


def test_a_bid_at_a_close_sees_the_money_that_close_released(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live(url(tmp_path), lots=[]) as env:
            now = await list_items(
                env,
                {"id": "J01", "reserve_fen": 0},
                {"id": "J02", "reserve_fen": 0, "closes_ms": env.service.runner.now() + 120_000},
            )
            b1, b2 = await env.client("B01"), await env.client("B02")
            assert (await bid(env, b1, "J01", 900_000))[0] == 200
            assert (await bid(env, b2, "J01", 1_000_000))[0] == 200  # B01 will lose J01
            status, decision = await bid(env, b1, "J02", 100_001)  # 100,000 free
            assert (status, decision["reason"]) == (409, "insufficient_funds")
            env.service.runner.clock.raise_floor(now + 60_000)  # J01's close, to the ms
            # the close comes first and releases his 900,000: all his money is free
            status, decision = await bid(env, b1, "J02", 1_000_000)
            assert (status, decision["at_ms"], decision["reason"]) == (200, now + 60_000, None)
            items = (await (await b1.get("/api/sealed/items")).json())["items"]
            assert items[0]["result"]["winner"] == "B02" and items[1]["state"] == "open"
            assert items[1]["my_bid_fen"] == 1_000_000

    run(scenario())
