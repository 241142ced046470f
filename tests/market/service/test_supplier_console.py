"""The supplier's console: lots from the catalogue through the one lot API, their sales and
proceeds; a supplier never presses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiqun.market.service import catalogue
from tests.market.service.conftest import HALL, live, lot, next_of, next_round, run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


def registration(lot_id: str, **kw: Any) -> dict[str, Any]:
    body = lot(lot_id, package="纸箱10kg", unit_net_g=10_000, category="瓜类")
    del body["supplier"]  # a supplier registers his own lots
    # with its 承诺达标合格证, the testing centre releases it to the clock at once (M8)
    return {**body, "certificate_no": f"HG-{lot_id}", **kw}


def test_catalogue_checks() -> None:
    cat = catalogue.Catalogue(
        {v.name: v for v in catalogue.VARIETIES},
        catalogue.GRADES,
        {p.code: p for p in catalogue.PACKAGES},
    )
    good = registration("X")
    assert catalogue.check_lot(cat, good) is None
    assert catalogue.check_lot(cat, {**good, "variety": "榴莲"}) == "unknown_variety"
    assert catalogue.check_lot(cat, {**good, "variety": ["黄瓜"]}) == "unknown_variety"
    assert catalogue.check_lot(cat, {**good, "grade": "三级"}) == "unknown_grade"
    assert catalogue.check_lot(cat, {**good, "package": "麻袋"}) == "unknown_package"
    assert catalogue.check_lot(cat, {**good, "unit_net_g": 9_000}) == "not_the_standard_weight"
    assert catalogue.check_lot(cat, {**good, "category": "茄果类"}) == "wrong_category"


def test_register_follow_and_see_proceeds(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), []) as env:
            sup = await env.client("S01")
            cat = await (await sup.get("/api/catalogue")).json()
            assert {"特级", "一级", "二级"} <= set(cat["grades"])
            assert {"code": "纸箱10kg", "name": "纸箱", "net_g": 10_000} in cat["packages"]

            path = f"/api/supplier/halls/{HALL}/lots"
            r = await env.post(sup, path, registration("S-1", unit_net_g=12_000))
            assert (r.status, (await r.json())["error"]) == (400, "not_the_standard_weight")
            headers = {"X-CSRF-Token": sup.csrf, "Idempotency-Key": "lot-1"}  # type: ignore[attr-defined]
            r = await sup.post(path, json=registration("S-1"), headers=headers)
            assert r.status == 201, await r.text()
            created = await r.json()
            assert created["lot"]["supplier"] == "S01" and "reserve_price_fen" not in created["lot"]
            again = await sup.post(path, json=registration("S-1"), headers=headers)
            assert again.status == 201 and await again.json() == created  # the first answer
            r = await env.post(sup, path, registration("S-1"))  # no id: the lot API refuses
            assert (r.status, (await r.json())["error"]) == (409, "lot_exists")
            r = await env.post(sup, "/api/supplier/halls/NOPE/lots", registration("S-2"))
            assert r.status == 404
            # the lot went through the one lot API into the hall's queue
            auc = await env.client("AUC")
            view = await (await auc.get(f"/api/auctioneer/halls/{HALL}")).json()
            assert [x["id"] for x in view["queue"]] == ["S-1"]
            # other roles do not register through the supplier's console
            r = await env.post(auc, path, registration("S-3"))
            assert r.status == 403

            # it sells: the supplier sees the sale, its commission and his proceeds
            buyer = await env.client("B01")
            ws = await env.ws(buyer)
            await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            await ws.send_json({"t": "press", "id": 1, "lot": "S-1", "qty": 10})
            ack = await next_of(ws, "ack")
            assert ack["result"] == "sale"
            amount = (2 * ack["price_fen"] * 10 * 10_000 + 1000) // 2000
            commission = (2 * amount * 300 + 10_000) // 20_000
            mine = await (await sup.get("/api/supplier/lots")).json()
            (only,) = mine["lots"]
            assert (only["id"], only["sold"], only["remaining"]) == ("S-1", 10, 40)
            (sale,) = mine["sales"]
            assert (sale["lot"], sale["buyer"], sale["qty"]) == ("S-1", "B01", 10)
            assert (sale["amount_fen"], sale["commission_fen"]) == (amount, commission)
            assert mine["proceeds_fen"] == amount - commission
            page = await (await sup.get("/supplier")).text()
            assert "供货商终端" in page and "登记批次" in page
            assert (await buyer.get("/api/supplier/lots")).status == 403

    run(go())


def test_a_supplier_may_not_press(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            auc, sup = await env.client("AUC"), await env.client("S01")
            ws = await env.ws(sup)
            await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            await ws.send_json({"t": "press", "id": "s", "lot": "L001", "qty": 5})
            ack = await next_of(ws, "ack")
            assert (ack["result"], ack["reason"]) == ("rejected", "forbidden")
            state = await (await auc.get(f"/api/auctioneer/halls/{HALL}")).json()
            assert state["phase"] == "running" and state["lot"]["remaining"] == 50

    run(go())
