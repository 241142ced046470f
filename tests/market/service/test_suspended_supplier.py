"""A suspended supplier's lots do not sell (PRODUCT.md M1): the intake refuses his new lots
and his lots still queued in every hall are withdrawn through the journaled ``WithdrawLot``
(shown on the board; a replay of the journal gives the same state); a lot of his already on
the clock finishes; another supplier's lots still sell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jiqun.market.journal import DurableMarket
from jiqun.market.quality.tables import quality_lots
from jiqun.market.service import users
from jiqun.market.store import schema as t
from tests.market.service.conftest import (
    CLOCK,
    FEES,
    HALL,
    PASSWORD,
    Live,
    live,
    lot,
    next_of,
    next_round,
    run,
)

OTHER = "B"  # a second hall, not opened


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


def _two_halls(url: str) -> None:
    with DurableMarket.open(url) as market:
        market.add_hall(OTHER, CLOCK, FEES)


def _journal(env: Live, kind: str) -> list[tuple[str, dict[str, Any]]]:
    j = t.journal
    with env.service.market.engine.connect() as conn:
        rows = conn.execute(
            sa.select(j.c.hall, j.c.payload).where(j.c.kind == kind).order_by(j.c.seq)
        )
        return [(r.hall, dict(r.payload)) for r in rows]


def _taken_in(env: Live, lot_id: str) -> bool:
    with env.service.market.engine.connect() as conn:
        q = quality_lots.c
        return conn.execute(sa.select(q.lot_id).where(q.lot_id == lot_id)).first() is not None


def test_a_suspended_suppliers_lots_do_not_sell(tmp_path: Path) -> None:
    url = _url(tmp_path)
    _two_halls(url)

    async def go() -> None:
        # hall A: L001 (S01), L002 (S01), M001 (S02); hall B: LB1 (S01), MB1 (S02)
        async with live(url) as env:
            svc = env.service
            await svc.add_user("S02", "supplier", PASSWORD)
            await svc.add_user("ADM", "admin", PASSWORD)
            auc, adm = await env.client("AUC"), await env.client("ADM")
            for hall, body in (
                (HALL, lot("M001", supplier="S02")),
                (OTHER, lot("LB1")),
                (OTHER, lot("MB1", supplier="S02")),
            ):
                r = await env.post(auc, f"/api/halls/{hall}/lots", body)
                assert r.status == 201, await r.text()

            b1, b2 = await env.client("B01"), await env.client("B02")
            board, ws1, ws2 = await env.ws(await env.client()), await env.ws(b1), await env.ws(b2)
            for ws in (board, ws1, ws2):
                await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            first = await next_round(env, ws1)
            assert first["lot"] == "L001"  # S01's first lot is on the clock

            r = await env.post(adm, "/api/admin/members/S01/suspension", {"suspended": True})
            assert r.status == 200, await r.text()
            body = await r.json()
            assert body["suspended"] is True
            # every queued lot of S01, in every hall; not L001, already on the clock
            assert body["withdrawn"] == [
                {"hall": HALL, "lot": "L002"},
                {"hall": OTHER, "lot": "LB1"},
            ]
            shown = await next_of(board, "withdrawn")
            assert (shown["lot"], shown["units"]) == ("L002", 50)

            # journaled with the auctioneer's input; a replay of the journal equals the state
            assert _journal(env, "WithdrawLot") == [(HALL, {"l": "L002"}), (OTHER, {"l": "LB1"})]
            assert await svc.runner.call(lambda m: m.verify()) == []

            # S01 registers nothing more: not himself, not through the auctioneer
            s01 = await env.client("S01")
            console = lot("L009", package="纸箱10kg", unit_net_g=10_000, category="瓜类")
            del console["supplier"]  # the console's body: a supplier registers his own lots
            r = await env.post(s01, f"/api/supplier/halls/{HALL}/lots", console)
            assert (r.status, (await r.json())["error"]) == (403, "supplier_suspended")
            for c, body in (
                (s01, lot("L010")),
                (auc, lot("L011")),
                (auc, lot("L012", supplier="S01")),
            ):
                r = await env.post(c, f"/api/halls/{OTHER}/lots", body)
                assert (r.status, (await r.json())["error"]) == (403, "supplier_suspended")
            without_certificate = {k: v for k, v in lot("L013").items() if k != "certificate_no"}
            r = await env.post(auc, f"/api/halls/{HALL}/lots", without_certificate)
            assert r.status == 403  # not to testing either
            for lot_id in ("L009", "L010", "L011", "L012", "L013"):
                assert not _taken_in(env, lot_id)

            # the lot on the clock finishes: B01 buys it; then S02's lot comes up and sells
            await ws1.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 50})
            ack = await next_of(ws1, "ack")
            assert (ack["result"], ack["qty"]) == ("sale", 50)
            assert (await next_round(env, ws2))["lot"] == "L001"  # (B02's first round)
            nxt = await next_round(env, ws2, timeout=5.0)
            assert nxt["lot"] == "M001"  # L002 withdrawn: S02's lot is next
            await ws2.send_json({"t": "press", "id": 1, "lot": "M001", "qty": 10})
            ack = await next_of(ws2, "ack")
            assert (ack["result"], ack["qty"]) == ("sale", 10)

            queue = await (await auc.get(f"/api/auctioneer/halls/{HALL}")).json()
            status = {x["id"]: (x["status"], x["sold"], x["withdrawn"]) for x in queue["queue"]}
            assert status["L001"] == ("done", 50, 0)
            assert status["L002"] == ("withdrawn", 0, 50)
            queue = await (await auc.get(f"/api/auctioneer/halls/{OTHER}")).json()
            other = {x["id"]: x["status"] for x in queue["queue"]}
            assert other == {"LB1": "withdrawn", "MB1": "pending"}
            mine = await (await s01.get("/api/supplier/lots")).json()
            assert {(x["id"], x["status"]) for x in mine["lots"]} == {
                ("L001", "done"),
                ("L002", "withdrawn"),
                ("LB1", "withdrawn"),
            }
            assert await svc.runner.call(lambda m: m.verify()) == []
            audit = [
                (a.action, a.detail.get("lot"), a.detail.get("reason"))
                for a in users.audit_records(svc.market.engine)
            ]
            assert ("hall_withdrawlot", "L002", "supplier_suspended") in audit
            assert ("hall_withdrawlot", "LB1", "supplier_suspended") in audit

            # reinstated, he registers lots again
            r = await env.post(adm, "/api/admin/members/S01/suspension", {"suspended": False})
            assert (await r.json()) == {"member": "S01", "suspended": False, "withdrawn": []}
            r = await env.post(s01, f"/api/supplier/halls/{HALL}/lots", console)
            assert r.status == 201, await r.text()

    run(go())


def test_suspension_of_a_supplier_with_no_queued_lots_or_a_buyer(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), lots=[]) as env:
            await env.service.add_user("ADM", "admin", PASSWORD)
            adm = await env.client("ADM")
            for member in ("S01", "B01"):
                r = await env.post(
                    adm, f"/api/admin/members/{member}/suspension", {"suspended": True}
                )
                assert (await r.json()) == {"member": member, "suspended": True, "withdrawn": []}
            r = await env.post(adm, "/api/admin/members/NOBODY/suspension", {"suspended": True})
            assert r.status == 404
            assert _journal(env, "WithdrawLot") == []
            assert [p["m"] for _, p in _journal(env, "Suspend")] == ["S01", "B01"]

    run(go())


def test_a_lot_released_by_its_test_while_its_supplier_is_suspended_stays_off_the_clock(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), lots=[]) as env:
            svc = env.service
            await svc.add_user("ADM", "admin", PASSWORD)
            await svc.add_user("QC", "inspector", PASSWORD)
            auc, adm, qc = await env.client("AUC"), await env.client("ADM"), await env.client("QC")
            testing = {k: v for k, v in lot("L020").items() if k != "certificate_no"}
            r = await env.post(auc, f"/api/halls/{HALL}/lots", testing)
            assert r.status == 202, await r.text()  # to testing: not queued yet
            r = await env.post(adm, "/api/admin/members/S01/suspension", {"suspended": True})
            assert (await r.json())["withdrawn"] == []
            r = await env.post(qc, "/api/quality/lots/L020/rapid", {"inhibition": "10"})
            assert r.status == 200, await r.text()
            assert (await r.json())["action"] == "add"  # the test passed: release
            queued = await svc.runner.call(lambda m: [x.lot.id for x in m.halls[HALL].state.lots])
            assert queued == []  # passed, but not put on a clock while S01 is suspended
            assert _journal(env, "AddLot") == []
            assert await svc.runner.call(lambda m: m.verify()) == []

    run(go())
