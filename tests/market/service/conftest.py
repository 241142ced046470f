"""A live server over a SQLite file (or PostgreSQL) with a hall, staff, buyers and a supplier.

Tests are plain functions running ``asyncio.run``; aiohttp's own TestServer/TestClient serve
the application on a free port. Argon2 runs with cheap parameters here (the production
parameters take ~100 ms a hash on purpose)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from jiqun.market.core.model import ClockSettings, MarketSettings
from jiqun.market.security import passwords
from jiqun.market.service.app import Service, build_app, service_of

SECRET = "k" * 40
HALL = "A"
CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=300, restart_steps=10, same_stop_ms=150)
FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
PASSWORD = "correct horse"
RESERVE = 199  # odd: no price (600 − 2k) can equal it; it must appear nowhere

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def lot(lot_id: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": lot_id,
        "supplier": "S01",
        "variety": "黄瓜",
        "grade": "一级",
        "origin": "寿光市",
        "package": "纸箱",
        "units": 50,
        "unit_net_g": 10000,
        "start_price_fen": 600,
        "reserve_price_fen": RESERVE,
        "min_purchase": 5,
        "certificate_no": f"HG-{lot_id}",  # 承诺达标合格证: released at intake (M8)
    }
    return {**base, **kw}


@dataclass
class Live:
    server: TestServer
    service: Service
    clients: list[TestClient[Any, Any]]

    async def client(self, user: str | None = None) -> TestClient[Any, Any]:
        c: TestClient[Any, Any] = TestClient(self.server)
        await c.start_server()
        self.clients.append(c)
        if user is not None:
            r = await c.post("/api/login", json={"user": user, "password": PASSWORD})
            assert r.status == 200, await r.text()
            c.csrf = (await r.json())["csrf"]  # type: ignore[attr-defined]
        return c

    async def post(
        self, c: TestClient[Any, Any], path: str, body: dict[str, Any] | None = None
    ) -> Any:
        headers = {"X-CSRF-Token": getattr(c, "csrf", "")}
        return await c.post(path, json=body or {}, headers=headers)

    async def ws(self, c: TestClient[Any, Any], hall: str = HALL) -> ClientWebSocketResponse:
        csrf = getattr(c, "csrf", None)
        return await c.ws_connect(f"/ws/{hall}" + (f"?csrf={csrf}" if csrf else ""))


async def next_of(ws: ClientWebSocketResponse, kind: str, timeout: float = 3.0) -> dict[str, Any]:
    """The next message of type ``kind`` (others are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            m = await ws.receive_json()
            if m["t"] == kind:
                return m  # type: ignore[no-any-return]


async def started(env: Live, rnd: dict[str, Any], hall: str = HALL) -> None:
    """Until the round of a ``round`` message has started (the hall's engine has reached its
    ``at``): a round is announced when it is due, ``pause_ms`` before it starts, and a press
    before then finds no running clock."""
    async with asyncio.timeout(5):
        while await env.service.runner.call(lambda m: m.halls[hall].state.now) < rnd["at"]:
            await asyncio.sleep(0.01)


async def next_round(
    env: Live, ws: ClientWebSocketResponse, timeout: float = 3.0, hall: str = HALL
) -> dict[str, Any]:
    """The next ``round`` message, once that round has started (:func:`started`)."""
    rnd = await next_of(ws, "round", timeout)
    await started(env, rnd, hall)
    return rnd


@contextlib.asynccontextmanager
async def live(
    url: str, lots: list[dict[str, Any]] | None = None, **options: Any
) -> AsyncIterator[Live]:
    app = build_app(url, SECRET, halls={HALL: (CLOCK, FEES)}, **options)
    server = TestServer(app)
    await server.start_server()
    env = Live(server, service_of(app), [])
    try:
        svc = env.service
        for user, role in [
            ("B01", "buyer"),
            ("B02", "buyer"),
            ("S01", "supplier"),
            ("AUC", "auctioneer"),
            ("CASH", "cashier"),
        ]:
            await svc.add_user(user, role, PASSWORD)
        cashier = await env.client("CASH")
        for buyer in ("B01", "B02"):
            r = await env.post(cashier, "/api/deposits", {"member": buyer, "amount_fen": 1_000_000})
            assert r.status == 200, await r.text()
        auctioneer = await env.client("AUC")
        for body in lots if lots is not None else [lot("L001"), lot("L002")]:
            r = await env.post(auctioneer, f"/api/halls/{HALL}/lots", body)
            assert r.status == 201, await r.text()
        yield env
    finally:
        for c in env.clients:
            await c.close()
        await server.close()
