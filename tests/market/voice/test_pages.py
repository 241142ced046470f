"""The voice query from the web app: a member's page with the answer and a player, the WAV
route and the JSON API, Chinese by default and English with ?lang=en."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from yarl import URL

from jiqun.market.security import passwords
from jiqun.market.service.app import build_app, service_of
from jiqun.market.voice import pages

SECRET = "v" * 40
PASSWORD = "correct horse"
ANSWER = "今天黄瓜一级均价每公斤5.37元，最高5.86元，最低4.80元，成交3.5吨。"


@pytest.fixture(autouse=True)
def market_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's today is the day of the known sales; Argon2 made cheap for tests."""
    monkeypatch.setattr(pages, "today_of", lambda request: date(2026, 11, 25))
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@asynccontextmanager
async def client(url: str, user: str | None = "B01") -> AsyncIterator[TestClient[Any, Any]]:
    app = build_app(url, SECRET)
    server = TestServer(app)
    await server.start_server()
    c: TestClient[Any, Any] = TestClient(server)
    await c.start_server()
    try:
        if user is not None:
            await service_of(app).add_user(user, "buyer", PASSWORD)
            r = await c.post("/api/login", json={"user": user, "password": PASSWORD})
            assert r.status == 200, await r.text()
        yield c
    finally:
        await c.close()
        await server.close()


def test_the_page_answers_and_plays(market_url: str) -> None:
    async def go() -> None:
        async with client(market_url) as c:
            r = await c.get("/voice")
            assert r.status == 200 and "语音报价查询" in await r.text()
            r = await c.get("/voice", params={"q": "黄瓜 一级 今天"})
            html = await r.text()
            assert r.status == 200 and ANSWER in html
            assert '<audio controls autoplay src="/voice/answer.wav?q=' in html
            wav = await c.get("/voice/answer.wav", params={"q": "黄瓜 一级 今天"})
            assert wav.status == 200 and wav.content_type == "audio/wav"
            with wave.open(io.BytesIO(await wav.read())) as w:
                assert w.getnframes() > 0 and 4 < w.getnframes() / w.getframerate() < 30

    asyncio.run(go())


def test_english_page_and_api(market_url: str) -> None:
    async def go() -> None:
        async with client(market_url) as c:
            r = await c.get("/voice", params={"q": "黄瓜 一级", "lang": "en"})
            html = await r.text()
            assert "Voice price query" in html
            assert "Today, grade 1 cucumber: average 5.37 yuan per kg" in html
            r = await c.get("/api/voice", params={"q": "黄瓜二级昨天"})
            assert r.status == 200
            assert await r.json() == {
                "question": "黄瓜二级昨天",
                "day": "2026-11-24",
                "variety": "黄瓜",
                "grade": "二级",
                "sentence": "昨天黄瓜二级没有成交。",
                "spoken": "昨天黄瓜二级没有成交。",
                "figures": None,
            }
            r = await c.get("/api/voice", params={"q": "黄瓜"})
            body = await r.json()
            assert body["figures"] == {
                "trades": 4,
                "volume_g": 4_000_000,
                "amount_fen": 2_077_000,
                "mean_fen_per_kg": 519,
                "min_fen_per_kg": 394,
                "max_fen_per_kg": 586,
            }
            assert body["spoken"] == (
                "今天黄瓜均价每公斤五块一毛九，最高五块八毛六，最低三块九毛四，成交四吨。"
            )

    asyncio.run(go())


def test_a_question_not_understood(market_url: str) -> None:
    async def go() -> None:
        async with client(market_url) as c:
            r = await c.get("/voice", params={"q": "羊角蜜 一级"})
            html = await r.text()
            assert r.status == 200 and "听不懂“羊角蜜”" in html and "<audio" not in html
            r = await c.get("/api/voice", params={"q": "羊角蜜", "lang": "en"})
            assert r.status == 400
            body = await r.json()
            assert body["error"] == "bad_question"
            assert body["message"].startswith("not understood: '羊角蜜'")
            r = await c.get("/voice/answer.wav", params={"q": "黄瓜 明天"})
            assert r.status == 400 and "明天还没有到" in (await r.json())["message"]
            r = await c.get("/voice/answer.wav")
            assert r.status == 400 and (await r.json())["error"] == "no_question"

    asyncio.run(go())


def test_members_only(market_url: str) -> None:
    async def go() -> None:
        async with client(market_url, user=None) as c:
            r = await c.get("/voice", params={"q": "黄瓜"}, allow_redirects=False)
            assert r.status == 302
            location = URL(r.headers["Location"])
            assert location.path == "/login"
            assert unquote(location.query["next"]) == "/voice?q=黄瓜"  # back after the login
            for path in ("/voice/answer.wav", "/api/voice"):
                r = await c.get(path, params={"q": "黄瓜"})
                assert r.status == 401 and (await r.json())["error"] == "login_required"

    asyncio.run(go())
