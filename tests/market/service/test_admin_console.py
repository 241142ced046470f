"""The administrator's console: users and roles, suspension (the engine then refuses the
member's presses), daily limits, disabled logins, the catalogue and the halls' fees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiqun.market.service import users
from tests.market.service.conftest import FEES, HALL, PASSWORD, Live, live, next_of, next_round, run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


async def _admin(env: Live) -> Any:
    await env.service.add_user("ADM", "admin", PASSWORD)
    return await env.client("ADM")


def test_suspended_buyer_cannot_buy_until_reinstated(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            adm, auc, b1 = await _admin(env), await env.client("AUC"), await env.client("B01")
            path = "/api/admin/members/B01/suspension"
            for user in ("AUC", "CASH", "B01"):  # only an administrator suspends
                c = auc if user == "AUC" else await env.client(user)
                assert (await env.post(c, path, {"suspended": True})).status == 403
            r = await env.post(adm, path, {"suspended": True})
            assert r.status == 200 and (await r.json())["suspended"] is True
            r = await env.post(adm, "/api/admin/members/NOBODY/suspension", {"suspended": True})
            assert r.status == 404
            assert (await env.post(adm, path, {"suspended": "yes"})).status == 400

            ws = await env.ws(b1)
            await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 5})
            ack = await next_of(ws, "ack")
            assert (ack["result"], ack["reason"]) == ("rejected", "suspended")
            me = await (await b1.get("/api/me")).json()
            assert me["suspended"] is True and me["balance_fen"] == 1_000_000

            r = await env.post(adm, path, {"suspended": False})
            assert r.status == 200
            await ws.send_json({"t": "press", "id": 2, "lot": "L001", "qty": 5})
            ack = await next_of(ws, "ack")
            assert ack["result"] == "sale"
            actions = [
                (a.action, a.detail.get("member"))
                for a in users.audit_records(env.service.market.engine)
            ]
            assert ("suspend", "B01") in actions and ("reinstate", "B01") in actions

    run(go())


def test_users_roles_limits_and_disabled_logins(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            adm = await _admin(env)
            r = await env.post(
                adm,
                "/api/admin/users",
                {
                    "user": "B09",
                    "role": "buyer",
                    "password": PASSWORD,
                    "name": "寿光批发商",
                    "daily_limit_fen": 100_000,
                },
            )
            assert r.status == 201, await r.text()
            for body, code in (
                ({"user": "B09", "role": "buyer", "password": PASSWORD}, "user_exists"),
                ({"user": "X1", "role": "king", "password": PASSWORD}, "bad_role"),
                ({"user": "X2", "role": "buyer", "password": "short"}, "weak_password"),
                (
                    {"user": "X3", "role": "cashier", "password": PASSWORD, "daily_limit_fen": 5},
                    "bad_daily_limit_fen",
                ),
            ):
                r = await env.post(adm, "/api/admin/users", body)
                assert (await r.json())["error"] == code, body
            r = await env.post(
                adm, "/api/admin/users", {"user": "CASH2", "role": "cashier", "password": PASSWORD}
            )
            assert r.status == 201
            listed = {
                u["id"]: u for u in (await (await adm.get("/api/admin/users")).json())["users"]
            }
            assert listed["B09"]["member"]["daily_limit_fen"] == 100_000
            assert listed["B09"]["name"] == "寿光批发商" and listed["CASH2"]["member"] is None
            assert listed["CASH2"]["role"] == "cashier"

            # the limit holds: a purchase above 1,000.00元 in a day is refused by the engine
            cashier = await env.client("CASH2")
            r = await env.post(
                cashier, "/api/cashier/deposits", {"member": "B09", "amount_fen": 500_000}
            )
            assert r.status == 200
            auc, b9 = await env.client("AUC"), await env.client("B09")
            ws = await env.ws(b9)
            await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            # 20 units × 10 kg at ≥ 2 fen/kg ... at the start price of 6.00元/kg: 1,200.00元
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 20})
            ack = await next_of(ws, "ack")
            assert (ack["result"], ack["reason"]) == ("rejected", "over_daily_limit")

            # a disabled login cannot log in; enabled again, it can
            r = await env.post(adm, "/api/admin/users/CASH2/disabled", {"disabled": True})
            assert r.status == 200
            anon = await env.client()
            r = await anon.post("/api/login", json={"user": "CASH2", "password": PASSWORD})
            assert r.status == 401
            assert (
                await env.post(adm, "/api/admin/users/ADM/disabled", {"disabled": True})
            ).status == 409
            r = await env.post(adm, "/api/admin/users/CASH2/disabled", {"disabled": False})
            r = await anon.post("/api/login", json={"user": "CASH2", "password": PASSWORD})
            assert r.status == 200
            # his session from before he was disabled stays ended; a new one works
            assert (await cashier.get("/api/me")).status == 401
            cashier = await env.client("CASH2")
            assert (await cashier.get("/api/me")).status == 200
            # not an administrator: no user list, no new users
            assert (await cashier.get("/api/admin/users")).status == 403
            r = await env.post(
                cashier, "/api/admin/users", {"user": "Z", "role": "admin", "password": PASSWORD}
            )
            assert r.status == 403
            page = await (await adm.get("/admin")).text()
            assert "管理后台" in page and "商品目录" in page

    run(go())


def test_catalogue_and_fees(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            adm = await _admin(env)
            r = await env.post(
                adm,
                "/api/admin/catalogue",
                {"kind": "package", "code": "纸箱8kg", "name": "纸箱", "net_g": 8_000},
            )
            assert r.status == 201, await r.text()
            r = await env.post(
                adm,
                "/api/admin/catalogue",
                {"kind": "variety", "code": "山药", "category": "根茎类"},
            )
            assert r.status == 201
            assert (
                await env.post(adm, "/api/admin/catalogue", {"kind": "variety", "code": "芋头"})
            ).status == 400
            assert (
                await env.post(adm, "/api/admin/catalogue", {"kind": "package", "code": "袋"})
            ).status == 400
            assert (
                await env.post(adm, "/api/admin/catalogue", {"kind": "x", "code": "y"})
            ).status == 400
            sup = await env.client("S01")
            assert (
                await env.post(sup, "/api/admin/catalogue", {"kind": "grade", "code": "三级"})
            ).status == 403
            cat = await (await sup.get("/api/catalogue")).json()
            assert {"code": "纸箱8kg", "name": "纸箱", "net_g": 8_000} in cat["packages"]
            assert {"name": "山药", "category": "根茎类", "standard_code": ""} in cat["varieties"]
            # a supplier can now register a lot of it
            body = {
                "id": "Y1",
                "variety": "山药",
                "grade": "一级",
                "package": "纸箱8kg",
                "category": "根茎类",
                "units": 10,
                "unit_net_g": 8_000,
                "start_price_fen": 500,
                "reserve_price_fen": 300,
                "min_purchase": 1,
                "certificate_no": "HG-Y1",
            }
            r = await env.post(sup, f"/api/supplier/halls/{HALL}/lots", body)
            assert r.status == 201, await r.text()

            fees = (await (await adm.get("/api/admin/fees")).json())["halls"]
            assert fees[0]["hall"] == HALL
            assert fees[0]["seller_commission_bps"] == FEES.seller_commission_bps == 300
            assert fees[0]["buyer_fee_bps"] == FEES.buyer_fee_bps == 50

    run(go())


def test_daily_limit_changed_and_lifted(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            adm, auc, b1 = await _admin(env), await env.client("AUC"), await env.client("B01")
            path = "/api/admin/members/B01/daily-limit"
            assert (await env.post(auc, path, {"daily_limit_fen": 1})).status == 403
            for body in ({}, {"daily_limit_fen": -1}, {"daily_limit_fen": 1.5}):
                assert (await env.post(adm, path, body)).status == 400, body
            assert (
                await env.post(adm, "/api/admin/members/X/daily-limit", {"daily_limit_fen": 1})
            ).status == 404
            r = await env.post(adm, path, {"daily_limit_fen": 1})
            assert r.status == 200 and (await r.json())["daily_limit_fen"] == 1

            ws = await env.ws(b1)
            await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 5})
            ack = await next_of(ws, "ack")
            assert (ack["result"], ack["reason"]) == ("rejected", "over_daily_limit")
            me = await (await b1.get("/api/me")).json()
            assert me["daily_limit_fen"] == 1

            assert (await env.post(adm, path, {"daily_limit_fen": None})).status == 200
            await ws.send_json({"t": "press", "id": 2, "lot": "L001", "qty": 5})
            ack = await next_of(ws, "ack")
            assert ack["result"] == "sale"
            details = [a.detail for a in users.audit_records(env.service.market.engine)]
            assert {"member": "B01", "daily_limit_fen": None} in details
            # The limit is journaled: a recovered market has it too.
            limits = {m.id: m.daily_limit_fen for m in env.service.market.accounts.members.values()}
            assert limits["B01"] is None

    run(go())
