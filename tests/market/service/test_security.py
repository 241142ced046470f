"""Every attempt of issue 4 (M7): sessions, roles, CSRF, rate limits, bad messages, audit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import WSMsgType
from itsdangerous import TimestampSigner
from openapi_spec_validator import validate

from jiqun.market.service import users
from jiqun.market.service.app import COOKIE, ROUTES, feature_routes
from jiqun.market.service.openapi import DOCUMENT
from jiqun.market.service.protocol import MAX_MESSAGE
from jiqun.market.store import schema as t
from tests.market.service.conftest import HALL, RESERVE, SECRET, live, next_of, next_round, run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in [k, *_numbers(v)]]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return [value]


def test_sessions_roles_and_csrf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            anon = await env.client()
            assert (await anon.get("/api/me")).status == 401
            r = await anon.post("/api/login", json={"user": "B01", "password": "wrong password"})
            assert r.status == 401

            # a forged session cookie is refused
            forged = await env.client()
            forged.session.cookie_jar.update_cookies({COOKIE: "eyJ1IjoiQjAxIn0.forged.sig"})
            assert (await forged.get("/api/me")).status == 401

            # an expired one too (signed an hour longer ago than sessions live)
            real_ts = TimestampSigner.get_timestamp
            monkeypatch.setattr(
                TimestampSigner, "get_timestamp", lambda self: real_ts(self) - 13 * 3600
            )
            token, _ = env.service.signer.issue("B01", "buyer")
            monkeypatch.undo()
            expired = await env.client()
            expired.session.cookie_jar.update_cookies({COOKIE: token})
            assert (await expired.get("/api/me")).status == 401

            # a cashier cannot drive a clock; a buyer cannot take deposits
            cashier, buyer = await env.client("CASH"), await env.client("B01")
            assert (await env.post(cashier, f"/api/halls/{HALL}/open")).status == 403
            r = await env.post(buyer, "/api/deposits", {"member": "B01", "amount_fen": 100})
            assert r.status == 403
            # CSRF token missing or wrong → 403, nothing happens
            r = await cashier.post("/api/deposits", json={"member": "B01", "amount_fen": 100})
            assert r.status == 403 and (await r.json())["error"] == "csrf"
            r = await cashier.post(
                "/api/deposits",
                json={"member": "B01", "amount_fen": 100},
                headers={"X-CSRF-Token": "x" * 32},
            )
            assert r.status == 403
            me = await (await buyer.get("/api/me")).json()
            assert me["balance_fen"] == 1_000_000
            # a socket with a session but without its token is refused at the handshake
            r = await buyer.get(f"/ws/{HALL}", headers={"Upgrade": "websocket"})
            assert r.status == 403
            # and a cross-site page cannot open one
            r = await anon.get(f"/ws/{HALL}", headers={"Origin": "http://evil.example"})
            assert r.status == 403

    run(go())


def test_presses_security(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path), press_rate_per_s=1, press_burst=3) as env:
            supplier, cashier = await env.client("S01"), await env.client("CASH")
            b1, anon = await env.client("B01"), await env.client()
            ws_b = await env.ws(b1)
            await next_of(ws_b, "state")
            # before the hall opens: the rulebook's reason
            await ws_b.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 5})
            assert (await next_of(ws_b, "ack"))["reason"] == "no_running_clock"
            auctioneer = await env.client("AUC")
            assert (await env.post(auctioneer, f"/api/halls/{HALL}/open")).status == 200
            await next_round(env, ws_b)

            for who in (supplier, cashier, anon):
                ws = await env.ws(who)
                await next_of(ws, "state")
                # the buyer named in the message is ignored: the session decides, and these
                # sessions may not press at all
                await ws.send_json({"t": "press", "id": 9, "lot": "L001", "qty": 5, "buyer": "B01"})
                ack = await next_of(ws, "ack")
                assert ack["result"] == "rejected"
                assert ack["reason"] in ("forbidden", "login_required")
            seq_before = env.service.market.seq

            # a stale lot: the rulebook's wrong_lot, journaled with the claimed round and tick
            await ws_b.send_json(
                {"t": "press", "id": 2, "lot": "L002", "round": 7, "tick": 3, "qty": 5}
            )
            assert (await next_of(ws_b, "ack"))["reason"] == "wrong_lot"
            assert env.service.market.seq == seq_before + 1
            _, kind, payload = env.service.market.last_input() or ("", "", {})
            assert (kind, payload["b"], payload["r"], payload["t"]) == ("Press", "B01", 7, 3)

            # malformed and oversized messages: errors, then a close; the server goes on
            for bad in ("{not json", "[1,2]", '{"t":"nope"}', '{"t":"press","lot":5}'):
                await ws_b.send_str(bad)
                assert (await next_of(ws_b, "error"))["code"] in ("bad_json", "bad_message")
            await ws_b.send_bytes(b"\x00\x01")
            assert (await next_of(ws_b, "error"))["code"] == "binary"

            # a flood: over the burst, rejected as rate_limited and not journaled
            seq_before = env.service.market.seq
            for i in range(10):
                await ws_b.send_json({"t": "press", "id": 100 + i, "lot": "L002", "qty": 5})
            acks = [await next_of(ws_b, "ack") for _ in range(10)]
            limited = [a for a in acks if a["reason"] == "rate_limited"]
            assert len(limited) >= 7
            assert env.service.market.seq == seq_before + len(acks) - len(limited)

            await ws_b.send_str("x" * (MAX_MESSAGE + 10))
            msg = await ws_b.receive()
            while msg.type == WSMsgType.TEXT:
                msg = await ws_b.receive()
            assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
            ws2 = await env.ws(b1)  # the server still serves
            assert (await next_of(ws2, "state"))["phase"] == "running"

    run(go())


def test_audit_chain_verifies_and_detects_tampering(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            auctioneer = await env.client("AUC")
            assert (await env.post(auctioneer, f"/api/halls/{HALL}/open")).status == 200
            engine = env.service.market.engine
            records = list(users.audit_records(engine))
            actions = {r.action for r in records}
            assert {"login", "deposit", "lot_add", "hall_open"} <= actions
            assert users.verify_audit(engine).ok
            with engine.begin() as conn:
                conn.execute(
                    t.audit_log.update()
                    .where(t.audit_log.c.action == "deposit")
                    .values(detail={"member": "B01", "amount_fen": 99_999_999})
                )
            verdict = users.verify_audit(engine)
            assert not verdict.ok and verdict.broken_at is not None
            with engine.begin() as conn:
                conn.execute(sa.delete(t.audit_log).where(t.audit_log.c.seq == 1))
            assert not users.verify_audit(engine).ok

    run(go())


def test_the_reserve_price_appears_nowhere(tmp_path: Path) -> None:
    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            b1 = await env.client("B01")
            ws = await env.ws(b1)
            seen = [await next_of(ws, "state")]
            auctioneer = await env.client("AUC")
            r = await env.post(auctioneer, f"/api/halls/{HALL}/open")
            seen.append(await r.json())
            seen.append(await next_round(env, ws))
            await ws.send_json({"t": "press", "id": 1, "lot": "L001", "qty": 50})
            seen.append(await next_of(ws, "ack"))
            for path in ("/api/halls", f"/api/halls/{HALL}/state", "/api/me"):
                seen.append(await (await b1.get(path)).json())
            for message in seen:
                assert "reserve" not in json.dumps(message)
                assert RESERVE not in _numbers(message)
            for page in (f"/board/{HALL}", "/buyer", f"/board/{HALL}?lang=en"):
                html = await (await b1.get(page)).text()
                assert "reserve" not in html and not re.search(rf"\b{RESERVE}\b", html)

    run(go())


def test_openapi_describes_every_api_route() -> None:
    api = {(m.lower(), p) for m, p, _ in ROUTES + feature_routes() if p.startswith("/api/")}
    described = {(m, p) for p, ops in DOCUMENT["paths"].items() for m in ops}
    assert api == described
    validate(DOCUMENT)  # a valid OpenAPI 3.0 document (openapi-spec-validator)
    assert SECRET  # the fixtures' key is long enough for SessionSigner
