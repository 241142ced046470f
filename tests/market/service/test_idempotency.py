"""Idempotent staff requests: a retry answers as the first time and acts once, also after a
restart and after a crash in the middle of a request."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from jiqun.market.service import idempotency
from jiqun.market.service.app import build_app, service_of
from jiqun.market.service.idempotency import body_hash
from jiqun.market.service.tables import staff_requests
from jiqun.market.store import schema as t
from tests.market.service.conftest import (
    CLOCK,
    FEES,
    HALL,
    SECRET,
    Live,
    live,
    next_of,
    next_round,
    run,
)


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


async def _cashier(env: Live) -> TestClient[Any, Any]:
    """One logged-in cashier per server (logins are rate-limited)."""
    for c in env.clients:
        if getattr(c, "user", None) == "CASH":
            return c
    c = await env.client("CASH")
    c.user = "CASH"  # type: ignore[attr-defined]
    return c


async def _deposit(
    env: Live, key: str | None, amount: int, *, field: bool = False
) -> tuple[int, dict[str, Any]]:
    cashier = await _cashier(env)
    headers = {"X-CSRF-Token": cashier.csrf}  # type: ignore[attr-defined]
    body: dict[str, object] = {"member": "B01", "amount_fen": amount}
    if key is not None and field:
        body["request_id"] = key
    elif key is not None:
        headers["Idempotency-Key"] = key
    r = await cashier.post("/api/cashier/deposits", json=body, headers=headers)
    return r.status, await r.json()


def _deposits(env: Live) -> int:
    with env.service.market.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(t.journal)
                .where(t.journal.c.kind == "Deposit")
            ).scalar_one()
        )


def test_same_id_same_body_acts_once(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            before = _deposits(env)
            first = await _deposit(env, "req-1", 10_000)
            again = await _deposit(env, "req-1", 10_000)
            assert first[0] == again[0] == 200
            assert first[1] == again[1]  # the same answer, the same receipt
            assert first[1]["balance_fen"] == 1_010_000
            assert _deposits(env) == before + 1
            # the same id with another body is refused and acts not at all
            status, body = await _deposit(env, "req-1", 20_000)
            assert (status, body["error"]) == (409, "idempotency_conflict")
            # the id may come as a field of the body too (it is not part of the body's content)
            a = await _deposit(env, "req-2", 500, field=True)
            b = await _deposit(env, "req-2", 500, field=True)
            assert a == b and a[1]["balance_fen"] == 1_010_500
            # without an id every request acts
            await _deposit(env, None, 1)
            await _deposit(env, None, 1)
            assert _deposits(env) == before + 4
            # a malformed id is refused
            status, body = await _deposit(env, "has space", 1)
            assert (status, body["error"]) == (400, "bad_request_id")
            # a refusal stores nothing: after the cause is gone the same id acts
            cashier = await _cashier(env)
            headers = {"X-CSRF-Token": cashier.csrf, "Idempotency-Key": "w-1"}  # type: ignore[attr-defined]
            body_w = {"member": "B01", "amount_fen": 2_000_000}
            r = await cashier.post("/api/cashier/withdrawals", json=body_w, headers=headers)
            assert r.status == 409
            await _deposit(env, "req-3", 990_000)
            r = await cashier.post("/api/cashier/withdrawals", json=body_w, headers=headers)
            assert r.status == 200 and (await r.json())["balance_fen"] == 502

    run(go())


def test_a_retry_after_a_restart_gets_the_first_answer(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            first = await _deposit(env, "after-restart", 7_700)
        # a new server on the same database (the fixture adds nothing twice: users exist)
        async with _reopen(tmp_path) as env:
            before = _deposits(env)
            again = await _deposit(env, "after-restart", 7_700)
            assert again == first
            assert _deposits(env) == before

    run(go())


def test_a_request_in_doubt_after_a_crash_is_resolved_by_the_journal(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            engine = env.service.market.engine
            body = {"member": "B01", "amount_fen": 4_200}
            # a deposit that reached the journal, then the process died before answering
            done = await _deposit(env, None, 4_200)
            seq = env.service.market.seq
            with engine.begin() as conn:
                for key, journal_seq in (("journaled", seq), ("not-journaled", None)):
                    conn.execute(
                        staff_requests.insert().values(
                            actor="CASH",
                            key=key,
                            route="POST /api/cashier/deposits",
                            body_hash=body_hash(body),
                            journal_seq=journal_seq,
                            journal_kind="Deposit",
                            owner="dead-process",
                            at_ms=0,
                        )
                    )
            before = _deposits(env)
            status, answer = await _deposit(env, "journaled", 4_200)
            assert status == 200 and answer == {
                "request_id": "journaled",
                "journal_seq": seq,
                "done": True,
            }
            assert _deposits(env) == before  # not carried out again
            status, answer = await _deposit(env, "not-journaled", 4_200)
            assert status == 200 and answer["balance_fen"] == done[1]["balance_fen"] + 4_200
            assert _deposits(env) == before + 1
            # one in progress in this process is not started twice
            with engine.begin() as conn:
                conn.execute(
                    staff_requests.insert().values(
                        actor="CASH",
                        key="busy",
                        route="POST /api/cashier/deposits",
                        body_hash=body_hash(body),
                        owner=idempotency.BOOT,
                        at_ms=0,
                    )
                )
            status, answer = await _deposit(env, "busy", 4_200)
            assert (status, answer["error"]) == (409, "request_in_progress")

    run(go())


def _reopen(tmp_path: Path) -> contextlib.AbstractAsyncContextManager[Live]:
    return _reopen_url(_url(tmp_path))


@contextlib.asynccontextmanager
async def _reopen_url(url: str) -> AsyncIterator[Live]:
    """A new server over the database a test's first server left (its users exist)."""
    app = build_app(url, SECRET, halls={HALL: (CLOCK, FEES)})
    server = TestServer(app)
    await server.start_server()
    env = Live(server, service_of(app), [])
    try:
        yield env
    finally:
        for c in env.clients:
            await c.close()
        await server.close()


def test_idempotency_and_receipts_on_postgres(pg_url: str) -> None:
    """The same on PostgreSQL: stored answers, a retry after a restart, the presses' list."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # the session's database keeps feature tables between tests
        conn.execute(staff_requests.delete())
    engine.dispose()

    async def go() -> None:
        async with live(pg_url) as env:
            first = await _deposit(env, "pg-1", 3_300)
            assert first[0] == 200 and first[1]["balance_fen"] == 1_003_300
            assert await _deposit(env, "pg-1", 3_300) == first
            status, body = await _deposit(env, "pg-1", 3_301)
            assert (status, body["error"]) == (409, "idempotency_conflict")
            cashier = await _cashier(env)
            receipt = await (await cashier.get(f"/api/receipts/{first[1]['receipt']}")).json()
            assert receipt["lines"] == [["deposit", 3_300]]
            auc = await env.client("AUC")
            buyer = await env.client("B01")
            ws = await env.ws(buyer)
            await next_of(ws, "state")
            assert (await env.post(auc, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws)
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 6})
            ack = await next_of(ws, "ack")
            presses = await (await auc.get(f"/api/auctioneer/halls/{HALL}/presses")).json()
            (press,) = presses["presses"]
            assert (press["buyer"], press["qty"], press["result"]) == ("B01", 6, "sale")
            assert press["price_fen"] == ack["price_fen"]
        async with _reopen_url(pg_url) as env:
            assert await _deposit(env, "pg-1", 3_300) == first

    run(go())
