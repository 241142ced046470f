"""The auctioneer's console: the queue, open, pause, resume, clock speed and step, presses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiqun.market.service import users
from tests.market.service.conftest import HALL, Live, live, lot, next_of, next_round, run

LOTS = [lot("L001"), lot("L002"), lot("L003")]


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


async def _view(env: Live, c: Any) -> dict[str, Any]:
    r = await c.get(f"/api/auctioneer/halls/{HALL}")
    assert r.status == 200, await r.text()
    return await r.json()  # type: ignore[no-any-return]


def test_only_an_auctioneer_drives_the_clock(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), LOTS) as env:
            commands: list[tuple[str, dict[str, Any]]] = [
                ("open", {}),
                ("pause", {}),
                ("resume", {}),
                ("clock", {"tick_ms": 50, "step_fen": 4}),
                ("queue", {"lots": ["L002", "L001", "L003"]}),
                ("lots/L001/withdraw", {}),
            ]
            for user in ("CASH", "B01", "S01"):
                c = await env.client(user)
                for path, body in commands:
                    r = await env.post(c, f"/api/halls/{HALL}/{path}", body)
                    assert r.status == 403, (user, path)
                assert (await c.get(f"/api/auctioneer/halls/{HALL}")).status == 403
                r = await c.get("/auctioneer", allow_redirects=False)
                assert r.status == 403
            anon = await env.client()
            r = await env.post(anon, f"/api/halls/{HALL}/pause")
            assert r.status == 401
            # nothing changed: the hall is idle, the queue in its order
            auc = await env.client("AUC")
            view = await _view(env, auc)
            assert view["phase"] == "idle" and not view["held"]
            assert [x["id"] for x in view["queue"]] == ["L001", "L002", "L003"]
            page = await (await auc.get("/auctioneer")).text()
            assert "拍卖师控制台" in page and 'data-hall="A"' in page
            english = await (await auc.get("/auctioneer?lang=en")).text()
            assert "Auctioneer console" in english

    run(go())


def test_queue_reorder_and_withdraw_before_start(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), LOTS) as env:
            auc = await env.client("AUC")
            base = f"/api/halls/{HALL}"
            r = await env.post(auc, f"{base}/queue", {"lots": ["L003", "L001", "L002"]})
            assert r.status == 200, await r.text()
            view = await r.json()
            assert [x["id"] for x in view["queue"]] == ["L003", "L001", "L002"]
            assert view["queue"][0]["reserve_price_fen"] == 199  # the auctioneer sees it
            # not every pending lot, or a lot twice: refused by the engine, nothing changes
            for lots in (["L003", "L001"], ["L003", "L001", "L001"], ["L003", "L001", "X"]):
                r = await env.post(auc, f"{base}/queue", {"lots": lots})
                assert (r.status, (await r.json())["error"]) == (409, "not_the_pending_lots")
            assert (await env.post(auc, f"{base}/queue", {"lots": "L001"})).status == 400
            r = await env.post(auc, f"{base}/lots/L001/withdraw")
            assert r.status == 200
            statuses = {x["id"]: x["status"] for x in (await r.json())["queue"]}
            assert statuses == {"L003": "pending", "L001": "withdrawn", "L002": "pending"}
            r = await env.post(auc, f"{base}/lots/NOPE/withdraw")
            assert (r.status, (await r.json())["error"]) == (409, "unknown_lot")

            # open: L003 goes first; once it has started it cannot be withdrawn
            buyer = await env.client("B01")
            ws = await env.ws(buyer)
            await next_of(ws, "state")
            assert (await env.post(auc, f"{base}/open")).status == 200
            started = await next_round(env, ws)
            assert started["lot"] == "L003"
            r = await env.post(auc, f"{base}/lots/L003/withdraw")
            assert (r.status, (await r.json())["error"]) == (409, "already_started")
            r = await env.post(auc, f"{base}/lots/L002/withdraw")
            assert r.status == 200
            # every command is in the audit log
            actions = [a.action for a in users.audit_records(env.service.market.engine)]
            assert actions.count("hall_withdrawlot") == 2
            assert "hall_reorderlots" in actions and "hall_withdrawlot_refused" in actions

    run(go())


def test_pause_set_clock_resume_and_live_presses(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), LOTS) as env:
            auc, buyer = await env.client("AUC"), await env.client("B01")
            base = f"/api/halls/{HALL}"
            ws = await env.ws(buyer)
            await next_of(ws, "state")
            r = await env.post(auc, f"{base}/pause")
            assert (r.status, (await r.json())["error"]) == (409, "hall_not_running")
            assert (await env.post(auc, f"{base}/open")).status == 200
            first = await next_round(env, ws)
            assert (first["tick_ms"], first["step_fen"]) == (100, 2)
            r = await env.post(auc, f"{base}/pause")
            assert r.status == 200
            view = await r.json()
            assert view["held"] and view["phase"] == "waiting"
            assert (await env.post(auc, f"{base}/pause")).status == 409  # already held
            # a press while the hall is held does not buy
            await ws.send_json({"t": "press", "id": "held", "lot": "L001", "qty": 5})
            ack = await next_of(ws, "ack")
            assert (ack["result"], ack["reason"]) == ("rejected", "no_running_clock")
            # speed and step for the next round; out of range is refused before the engine
            for bad in ({"tick_ms": 0, "step_fen": 2}, {"tick_ms": 50, "step_fen": -1}, {}):
                assert (await env.post(auc, f"{base}/clock", bad)).status == 400
            r = await env.post(auc, f"{base}/clock", {"tick_ms": 50, "step_fen": 4})
            assert (await r.json())["next_clock"] == {"tick_ms": 50, "step_fen": 4}
            r = await env.post(auc, f"{base}/resume")
            assert r.status == 200
            again = await next_round(env, ws)
            assert again["lot"] == "L001" and again["round"] == 2
            assert (again["tick_ms"], again["step_fen"]) == (50, 4)
            assert again["start_fen"] <= 600  # resumes at the price it was held at
            assert (await env.post(auc, f"{base}/resume")).status == 409  # not held

            await ws.send_json({"t": "press", "id": "buy", "lot": "L001", "qty": 7})
            ack = await next_of(ws, "ack")
            assert ack["result"] == "sale"
            presses = (await (await auc.get(f"/api/auctioneer/halls/{HALL}/presses")).json())[
                "presses"
            ]
            assert [(p["buyer"], p["qty"], p["result"]) for p in presses[:2]] == [
                ("B01", 7, "sale"),
                ("B01", 5, "no_sale"),
            ]
            assert presses[0]["price_fen"] == ack["price_fen"] and presses[0]["sold_qty"] == 7

    run(go())


def test_a_command_retried_with_its_id_is_carried_out_once(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), LOTS) as env:
            auc = await env.client("AUC")
            headers = {"X-CSRF-Token": auc.csrf, "Idempotency-Key": "reorder-1"}  # type: ignore[attr-defined]
            body = {"lots": ["L002", "L001", "L003"]}
            path = f"/api/halls/{HALL}/queue"
            first = await auc.post(path, json=body, headers=headers)
            second = await auc.post(path, json=body, headers=headers)
            assert first.status == second.status == 200
            assert second.headers.get("Idempotent-Replayed") == "true"
            assert await first.json() == await second.json()
            actions = [a.action for a in users.audit_records(env.service.market.engine)]
            assert actions.count("hall_reorderlots") == 1

    run(go())
