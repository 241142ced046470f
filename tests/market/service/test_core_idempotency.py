"""The original endpoints /api/deposits, /api/members and /api/halls/{hall}/open take an
idempotency key as the consoles' do (PRODUCT.md M4): a retry with the same key and body gets
the first answer and acts once; the same key with another body is 409."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from jiqun.market.service import users
from jiqun.market.store import schema as t
from tests.market.service.conftest import HALL, PASSWORD, Live, live, run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


def _count(env: Live, kind: str) -> int:
    j = t.journal
    with env.service.market.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(j).where(j.c.kind == kind)
        return int(conn.execute(query).scalar_one())


async def _post(
    c: TestClient[Any, Any], path: str, body: dict[str, Any], key: str | None
) -> tuple[int, dict[str, Any], bool]:
    headers = {"X-CSRF-Token": c.csrf}  # type: ignore[attr-defined]
    if key is not None:
        headers["Idempotency-Key"] = key
    r = await c.post(path, json=body, headers=headers)
    return r.status, await r.json(), r.headers.get("Idempotent-Replayed") == "true"


def test_deposits_with_a_key_act_once(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), lots=[]) as env:
            cash = await env.client("CASH")
            before = _count(env, "Deposit")
            body = {"member": "B01", "amount_fen": 12_345}
            first = await _post(cash, "/api/deposits", body, "dep-1")
            assert first == (200, {"member": "B01", "balance_fen": 1_012_345}, False)
            again = await _post(cash, "/api/deposits", body, "dep-1")
            assert again == (200, first[1], True)  # the first answer, replayed
            assert _count(env, "Deposit") == before + 1
            changed = await _post(cash, "/api/deposits", {**body, "amount_fen": 1}, "dep-1")
            assert changed[:2] == (409, {"error": "idempotency_conflict"})
            # the key in the body's request_id works the same
            body2 = {**body, "request_id": "dep-2"}
            assert (await _post(cash, "/api/deposits", body2, None))[0] == 200
            assert (await _post(cash, "/api/deposits", body2, None))[2] is True
            assert _count(env, "Deposit") == before + 2
            # without a key, each request acts
            assert (await _post(cash, "/api/deposits", body, None))[1]["balance_fen"] == 1_037_035
            me = await env.service.runner.call(lambda m: m.accounts.balances["B01"])
            assert me == 1_000_000 + 3 * 12_345
            assert await env.service.runner.call(lambda m: m.verify()) == []

    run(go())


def test_members_with_a_key_are_added_once(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), lots=[]) as env:
            await env.service.add_user("ADM", "admin", PASSWORD)
            adm = await env.client("ADM")
            before = _count(env, "AddMember")
            body = {"user": "B07", "role": "buyer", "password": PASSWORD, "name": "寿光"}
            first = await _post(adm, "/api/members", body, "mem-1")
            assert first == (201, {"user": "B07", "role": "buyer"}, False)
            again = await _post(adm, "/api/members", body, "mem-1")
            assert again == (201, first[1], True)  # not 409 user_exists: the same request
            assert _count(env, "AddMember") == before + 1
            changed = await _post(adm, "/api/members", {**body, "name": "潍坊"}, "mem-1")
            assert changed[:2] == (409, {"error": "idempotency_conflict"})
            # a new key for the same user is a new request: the user exists
            other = await _post(adm, "/api/members", body, "mem-2")
            assert other[:2] == (409, {"error": "user_exists"})
            added = [
                a.detail
                for a in users.audit_records(env.service.market.engine)
                if a.action == "user_add"
            ]
            assert added == [{"user": "B07", "role": "buyer", "request_id": "mem-1"}]
            assert "B07" in await env.service.runner.call(lambda m: set(m.accounts.members))
            assert _count(env, "AddMember") == before + 1

    run(go())


def test_opening_a_hall_with_a_key_acts_once(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            auc = await env.client("AUC")
            path = f"/api/halls/{HALL}/open"
            first = await _post(auc, path, {}, "open-1")
            assert first[0] == 200 and first[1]["phase"] != "idle" and not first[2]
            again = await _post(auc, path, {}, "open-1")
            assert again == (200, first[1], True)  # the first answer, not already_open
            assert _count(env, "Open") == 1
            changed = await _post(auc, path, {"note": "again"}, "open-1")
            assert changed[:2] == (409, {"error": "idempotency_conflict"})
            other = await _post(auc, path, {}, "open-2")
            assert other[:2] == (409, {"error": "already_open"})
            assert _count(env, "Open") == 1
            assert await env.service.runner.call(lambda m: m.verify()) == []

    run(go())
