"""A disabled login loses its session at once (PRODUCT.md M7): every authenticated request
with an existing session is refused ``401 login_required``, its WebSocket handshake too, its
open sockets are closed; also after a restart (the server loads the disabled logins)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from jiqun.market.service.app import COOKIE, build_app, service_of
from tests.market.service.conftest import CLOCK, FEES, HALL, PASSWORD, SECRET, Live, live, run


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'm.db'}"


async def _refused(env: Live, c: TestClient[Any, Any]) -> None:
    """Every way in with this client's session is refused."""
    r = await c.get("/api/me")
    assert (r.status, (await r.json())["error"]) == (401, "login_required")
    deposit = {"member": "B01", "amount_fen": 100}
    for path in ("/api/cashier/deposits", "/api/deposits"):
        r = await env.post(c, path, deposit)
        assert (r.status, (await r.json())["error"]) == (401, "login_required")
    r = await c.get("/cashier", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"].startswith("/login")
    with pytest.raises(WSServerHandshakeError) as e:
        await env.ws(c)
    assert e.value.status == 401


async def _closed(ws: Any) -> None:
    async with asyncio.timeout(3.0):
        while True:
            msg = await ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                return


def test_a_disabled_cashiers_session_is_refused_at_once(tmp_path: Path) -> None:
    token: list[str] = []

    async def go() -> None:
        async with live(_url(tmp_path)) as env:
            svc = env.service
            await svc.add_user("ADM", "admin", PASSWORD)
            await svc.add_user("CASH2", "cashier", PASSWORD)
            adm, cash, cash2 = (
                await env.client("ADM"),
                await env.client("CASH"),
                await env.client("CASH2"),
            )
            b1 = await env.client("B01")
            # before: the session works, over HTTP and the socket
            assert (await cash.get("/api/me")).status == 200
            r = await env.post(cash, "/api/cashier/deposits", {"member": "B01", "amount_fen": 100})
            assert r.status == 200
            ws_cash, ws_b1 = await env.ws(cash), await env.ws(b1)
            assert (await ws_cash.receive_json())["me"]["user"] == "CASH"
            assert (await ws_b1.receive_json())["me"]["user"] == "B01"
            token.append(cash.session.cookie_jar.filter_cookies(cash.make_url("/"))[COOKIE].value)

            for user in ("CASH", "B01"):
                r = await env.post(adm, f"/api/admin/users/{user}/disabled", {"disabled": True})
                assert r.status == 200, await r.text()
            assert svc.disabled == {"CASH", "B01"}
            await _closed(ws_cash)  # the open sockets end at once
            await _closed(ws_b1)
            await _refused(env, cash)
            r = await b1.get("/api/me")
            assert r.status == 401
            # no one else is touched
            assert (await cash2.get("/api/me")).status == 200
            r = await env.post(cash2, "/api/deposits", {"member": "B02", "amount_fen": 100})
            assert r.status == 200
            ws2 = await env.ws(cash2)
            assert (await ws2.receive_json())["me"]["user"] == "CASH2"
            await ws2.close()
            # the board stays public (no session)
            anon = await env.client()
            ws_anon = await env.ws(anon)
            assert (await ws_anon.receive_json())["t"] == "state"
            await ws_anon.close()

            # enabled again: he logs in anew and works
            r = await env.post(adm, "/api/admin/users/CASH/disabled", {"disabled": False})
            assert r.status == 200 and svc.disabled == {"B01"}
            again = await env.client("CASH")
            assert (await again.get("/api/me")).status == 200
            # … but the sessions from before he was disabled stay ended
            old = await env.client()
            old.session.cookie_jar.update_cookies({COOKIE: token[0]})
            old.csrf = "x"  # type: ignore[attr-defined]
            await _refused(env, old)
            r = await env.post(adm, "/api/admin/users/CASH/disabled", {"disabled": True})
            assert r.status == 200

        # after a restart the server still knows who is disabled: the old session is refused
        app = build_app(_url(tmp_path), SECRET, halls={HALL: (CLOCK, FEES)})
        server = TestServer(app)
        await server.start_server()
        env2 = Live(server, service_of(app), [])
        try:
            assert env2.service.disabled == {"CASH", "B01"}
            c = await env2.client()
            c.session.cookie_jar.update_cookies({COOKIE: token[0]})
            c.csrf = "x"  # type: ignore[attr-defined]
            await _refused(env2, c)
            # enabled again after the restart: the old session still ends (the audit log
            # says when he was disabled), a new log-in works
            adm2 = await env2.client("ADM")
            r = await env2.post(adm2, "/api/admin/users/CASH/disabled", {"disabled": False})
            assert r.status == 200 and env2.service.disabled == {"B01"}
            await _refused(env2, c)
            fresh = await env2.client("CASH")
            assert (await fresh.get("/api/me")).status == 200
        finally:
            for c in env2.clients:
                await c.close()
            await server.close()

    run(go())
