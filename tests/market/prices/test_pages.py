"""The public price pages and the JSON API (no login), over a market traded as in
``test_daily``: the figures are those worked out there by hand."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from jiqun.market.service.app import build_app

from .test_daily import trade

SECRET = "k" * 40


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("prices") / "market.db")
    trade(path)
    return path


@asynccontextmanager
async def client(db: str) -> AsyncIterator[TestClient[Any, Any]]:
    server = TestServer(build_app(db, SECRET))
    c: TestClient[Any, Any] = TestClient(server)
    await c.start_server()
    try:
        yield c
    finally:
        await c.close()


def fetch(db: str, *paths: str) -> list[tuple[int, str, str, bytes]]:
    """(status, content type, disposition, body) of each GET, without logging in."""

    async def go() -> list[tuple[int, str, str, bytes]]:
        out = []
        async with client(db) as c:
            for path in paths:
                r = await c.get(path, allow_redirects=False)
                out.append(
                    (r.status, r.content_type, r.headers.get("Content-Disposition", ""),
                     await r.read())
                )  # fmt: skip
        return out

    return asyncio.run(go())


def test_day_page(db: str) -> None:
    [(status, kind, _, body)] = fetch(db, "/prices?day=2026-11-20")
    assert status == 200 and kind == "text/html"
    html = body.decode()
    assert "价格信息中心" in html
    # 寿光市 纸箱: min 5.76, max 5.86, mean 290000 fen / 500 kg = 5.80 yuan/kg, 500 kg,
    # 2900.00 yuan, 3 trades, 1 withdrawn lot, not yet published.
    row = re.search(r"<tr>\s*<td><a[^>]*>黄瓜</a></td>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[:11] == ["瓜菜", "一级", "寿光市", "纸箱", "5.76", "5.86", "5.80", "500",
                          "2900.00", "3", "1"]  # fmt: skip
    assert "未发布" in cells[11]
    assert "青州市" in html and "番茄" not in html  # 番茄 traded the next day


def test_day_page_in_english_and_an_empty_day(db: str) -> None:
    [(s1, _, _, b1), (s2, _, _, b2)] = fetch(
        db, "/prices?day=2026-11-21&lang=en", "/prices?day=2026-12-01"
    )
    assert s1 == 200 and "Price information centre" in b1.decode() and "7.60" in b1.decode()
    assert s2 == 200 and "当日无成交" in b2.decode()


def test_history_page_has_an_inline_chart(db: str) -> None:
    [(status, _, _, body)] = fetch(
        db, "/prices/history/%E9%BB%84%E7%93%9C?from=2026-11-01&to=2026-11-30"
    )
    html = body.decode()
    assert status == 200
    assert "<svg" in html and "<polyline" not in html  # one day: a point, no line
    assert html.count("<circle") == 1
    # 一级 over both origins: (290000 + 38400) fen / 580 kg = 566.2068… → 5.66 yuan/kg.
    assert "5.66" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # nothing fetched from elsewhere


def test_csv_download_and_json_api(db: str) -> None:
    [(s1, kind, disposition, csv_body), (s2, _, _, json_body)] = fetch(
        db,
        "/prices.csv?from=2026-11-20&to=2026-11-21",
        "/api/prices?from=2026-11-20&to=2026-11-21",
    )
    assert s1 == 200 and kind == "text/csv" and "attachment" in disposition
    lines = csv_body.decode("utf-8-sig").splitlines()
    assert lines[1] == "2026-11-20,黄瓜,瓜菜,一级,500000,290000,寿光市,纸箱,3,576,586,580.00,1,0"
    assert len(lines) == 4
    data = json.loads(json_body)
    assert s2 == 200 and (data["from"], data["to"]) == ("2026-11-20", "2026-11-21")
    assert [(r["variety"], r["origin"], r["amount_fen"]) for r in data["records"]] == [
        ("黄瓜", "寿光市", 290_000),
        ("黄瓜", "青州市", 38_400),
        ("番茄", "寿光市", 38_000),
    ]


def test_index_api_page_and_csv(db: str) -> None:
    q = "from=2026-11-20&to=2026-11-21&base_from=2026-11-20&base_to=2026-11-20"
    [(s1, _, _, api), (s2, _, _, html), (s3, kind, _, csv_body)] = fetch(
        db, f"/api/prices/index?{q}", f"/prices/index?{q}", f"/prices/index.csv?{q}"
    )
    assert s1 == 200
    assert json.loads(api) == {
        "base": {"from": "2026-11-20", "to": "2026-11-20"},
        "days": [
            {"date": "2026-11-20", "total": 100.0, "categories": {"瓜菜": 100.0}},
            {"date": "2026-11-21", "total": None, "categories": {}},
        ],
    }
    assert s2 == 200 and "<svg" in html.decode() and "100.00" in html.decode()
    assert s3 == 200 and kind == "text/csv"
    assert "2026-11-20,2026-11-20,2026-11-20,total,100.0,," in csv_body.decode("utf-8-sig")


def test_index_default_base_is_the_first_traded_day(db: str) -> None:
    [(status, _, _, api)] = fetch(db, "/api/prices/index?from=2026-11-19&to=2026-11-21")
    assert status == 200
    assert json.loads(api)["base"] == {"from": "2026-11-20", "to": "2026-11-20"}


def test_bad_queries(db: str) -> None:
    results = fetch(
        db,
        "/prices?day=2026-13-01",
        "/api/prices?from=2026-11-22&to=2026-11-20",
        "/api/prices?from=2020-01-01&to=2026-11-20",
        "/api/prices/index?period=year",
        "/api/prices/index?from=2026-11-20&to=2026-11-21&base_from=2025-01-01&base_to=2025-01-02",
        "/prices/index?from=2026-11-20&to=2026-11-21&base_from=2025-01-01&base_to=2025-01-02",
    )
    codes = [json.loads(body)["error"] for _, _, _, body in results[:5]]
    assert [s for s, *_ in results[:5]] == [400] * 5
    assert codes == ["bad_day", "bad_range", "range_too_long", "bad_period", "no_index"]
    assert "基期" in json.loads(results[4][3])["message"]
    status, _, _, html = results[5]
    assert status == 200 and "无法计算指数" in html.decode()


def test_pages_need_no_login(db: str, tmp_path: Path) -> None:
    for status, *_ in fetch(db, "/prices", "/prices/index", "/api/prices"):
        assert status == 200


def test_an_administrator_publishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa
    from argon2 import PasswordHasher

    from jiqun.market.security import passwords
    from jiqun.market.service.app import service_of

    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    path = str(tmp_path / "market.db")
    trade(path)
    password = "correct horse"

    async def go() -> None:
        app = build_app(path, SECRET)
        server = TestServer(app)
        c: TestClient[Any, Any] = TestClient(server)
        await c.start_server()
        try:
            service = service_of(app)
            await service.add_user("ADM", "admin", password)
            await service.add_user("B01", "buyer", password)
            body = {"from": "2026-11-20", "to": "2026-11-21"}
            r = await c.post("/api/prices/publish", json=body)
            assert r.status == 401
            for user, status in (("B01", 403), ("ADM", 200)):
                r = await c.post("/api/login", json={"user": user, "password": password})
                csrf = (await r.json())["csrf"]
                r = await c.post("/api/prices/publish", json=body, headers={"X-CSRF-Token": csrf})
                assert r.status == status, await r.text()
            assert await r.json() == {
                "from": "2026-11-20",
                "to": "2026-11-21",
                "records": 3,
                "days": [
                    {"date": "2026-11-20", "revision": 1},
                    {"date": "2026-11-21", "revision": 1},
                ],
            }
            bad = {"from": "2026-11-22", "to": "2026-11-21"}
            r = await c.post("/api/prices/publish", json=bad, headers={"X-CSRF-Token": csrf})
            assert (r.status, (await r.json())["error"]) == (400, "bad_range")
            page = await (await c.get("/prices?day=2026-11-20")).text()
            assert 'class="unpublished"' not in page
            assert re.search(r"<td>1</td>\s*</tr>", page)  # revision 1
        finally:
            await c.close()

    asyncio.run(go())
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        actions = conn.execute(sa.text("SELECT actor, action FROM audit_log")).all()
    engine.dispose()
    assert ("ADM", "prices_published") in [tuple(a) for a in actions]


def test_weekly_and_monthly_index_api(db: str) -> None:
    q = "from=2026-11-20&to=2026-11-21&base_from=2026-11-20&base_to=2026-11-20"
    [(s1, _, _, week), (s2, _, _, month)] = fetch(
        db, f"/api/prices/index?{q}&period=week", f"/api/prices/index?{q}&period=month"
    )
    assert (s1, s2) == (200, 200)
    # 2026-11-20 (Friday) and 21 are in ISO week 47; 番茄 has no base, so the week holds
    # only the base day's 黄瓜 trading: 100.
    assert json.loads(week)["weeks"] == [
        {
            "week": "2026-W47",
            "from": "2026-11-16",
            "to": "2026-11-22",
            "total": 100.0,
            "categories": {"瓜菜": 100.0},
        }
    ]
    assert [m["month"] for m in json.loads(month)["months"]] == ["2026-11"]


def test_published_figures_never_change_silently(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from jiqun.market.ledger import SqlLedger
    from jiqun.market.prices.publish import publish

    from .test_daily import DAY0, DAY1, T1, sale_key

    path = str(tmp_path / "market.db")
    trade(path)
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        publish(engine, DAY0, DAY1, now_ms=T1 + 10_000)
        SqlLedger(engine).reverse(
            sale_key(f"sqlite:///{path}", "L003"), "fix-1", T1 + 30_000, "wrong lot"
        )
        [(_, _, _, page), (_, _, _, api)] = fetch(
            path, "/prices?day=2026-11-20", "/api/prices?from=2026-11-20&to=2026-11-21"
        )
        html = page.decode()
        assert "青州市" in html  # revision 1 as published …
        assert 'class="pending"' in html  # … and the correction flagged as pending
        data = json.loads(api)
        assert data["pending_corrections"] == ["2026-11-20"]
        assert {r["origin"] for r in data["records"] if r["date"] == "2026-11-20"} == {
            "寿光市",
            "青州市",
        }

        publish(engine, DAY0, DAY1, now_ms=T1 + 40_000)
        results = fetch(
            path,
            "/prices?day=2026-11-20",
            "/prices?day=2026-11-20&revision=1",
            "/prices?day=2026-11-20&revision=9",
            "/prices?day=2026-11-20&revision=x",
            "/api/prices?from=2026-11-20&to=2026-11-20",
        )
    finally:
        engine.dispose()
    latest, first, missing, bad, api = (r[3].decode() for r in results)
    assert "青州市" not in latest and 'class="pending"' not in latest
    assert "修订版 1" in latest and "修订版 2" in latest  # the publications, both listed
    assert "青州市" in first and "正在查看修订版 1" in first
    assert results[2][0] == 404 and json.loads(missing)["error"] == "unknown_revision"
    assert results[3][0] == 400 and json.loads(bad)["error"] == "bad_revision"
    data = json.loads(api)
    assert data["pending_corrections"] == []
    assert [(r["origin"], r["revision"]) for r in data["records"]] == [("寿光市", 2)]
