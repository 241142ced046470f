"""The testing centre in the live server: intake with or without a certificate, the
inspector's tests releasing or blocking lots (the engine then refuses them), the public trace
page with its QR code, and the MRL API."""

from __future__ import annotations

from typing import Any

import pytest
import segno
import sqlalchemy as sa
from argon2 import PasswordHasher

from jiqun.market.quality.pages import qr_svg
from jiqun.market.quality.tables import quality_flags, quality_lots, quality_tests
from jiqun.market.security import passwords
from tests.market.service.conftest import HALL, PASSWORD, Live, live, lot, run


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def untested(lot_id: str, **kw: Any) -> dict[str, Any]:
    body = lot(lot_id, **kw)
    del body["certificate_no"]
    return body


async def queue(env: Live) -> list[str]:
    return await env.service.runner.call(lambda m: [ls.lot.id for ls in m.halls[HALL].state.lots])


async def inspector(env: Live) -> Any:
    await env.service.add_user("QC", "inspector", PASSWORD)
    return await env.client("QC")


def test_certificate_releases_and_no_certificate_waits_for_a_test(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url, lots=[]) as env:
            auc = await env.client("AUC")
            r = await env.post(
                auc,
                f"/api/halls/{HALL}/lots",
                lot(
                    "L001",
                    certificate_no="HG-2026-0001",
                    certificate_issuer="稻田镇瓜菜专业合作社",
                    certificate_date="2026-11-26",
                ),
            )
            assert r.status == 201
            body = await r.json()
            assert body["quality"]["status"] == "released"
            assert body["quality"]["certificate"] == {
                "no": "HG-2026-0001",
                "issuer": "稻田镇瓜菜专业合作社",
                "date": "2026-11-26",
            }
            assert body["quality"]["sampling"]["reasons"][0]["code"] == "coverage"
            r = await env.post(auc, f"/api/halls/{HALL}/lots", untested("L002"))
            assert r.status == 202 and (await r.json())["quality"]["status"] == "testing"
            assert await queue(env) == ["L001"]  # the untested lot is not on the clock
            r = await env.post(auc, f"/api/halls/{HALL}/lots", untested("L002"))
            assert r.status == 409 and (await r.json())["error"] == "lot_exists"
            r = await env.post(
                auc, f"/api/halls/{HALL}/lots", lot("L003", certificate_date="26/11/2026")
            )
            assert r.status == 400 and (await r.json())["error"] == "bad_certificate"

            qc = await inspector(env)
            r = await env.post(qc, "/api/quality/lots/L002/rapid", {"inhibition": "49.9"})
            assert r.status == 200
            data = await r.json()
            assert data["verdict"]["status"] == "pass" and data["action"] == "add"
            assert await queue(env) == ["L001", "L002"]  # released: on the clock now

    run(go())


@pytest.fixture
def pg_quality(pg_url: str) -> str:
    """The session's PostgreSQL database with the quality tables emptied too."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        for table in (quality_tests, quality_lots, quality_flags):
            conn.execute(table.delete())
    engine.dispose()
    return pg_url


@pytest.mark.parametrize("db", ["sqlite_url", "pg_quality"])
def test_failed_lot_is_blocked_flagged_and_refused_by_the_engine(
    db: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(db)

    async def go() -> None:
        async with live(url, lots=[]) as env:
            auc = await env.client("AUC")
            await env.post(auc, f"/api/halls/{HALL}/lots", untested("L010", variety="韭菜"))
            qc = await inspector(env)
            path = "/api/quality/lots/L010/rapid"
            r = await env.post(qc, path, {"inhibition": "63.2"})
            data = await r.json()
            assert data["verdict"]["status"] == "retest" and data["verdict"]["retests_needed"] == 2
            r = await env.post(qc, path, {"inhibition": 55.0})  # a JSON number
            assert (await r.json())["verdict"]["retests_needed"] == 1
            r = await env.post(qc, path, {"inhibition": "50"})
            data = await r.json()
            assert data["verdict"]["status"] == "fail" and data["action"] == "block"
            blocked = await env.service.runner.call(lambda m: dict(m.accounts.blocked))
            assert "L010" in blocked
            r = await env.post(qc, path, {"inhibition": "10"})
            assert r.status == 409 and (await r.json())["error"] == "lot_blocked"
            # the supplier is flagged; his next lot is oversampled
            r = await qc.get("/api/quality/lots")
            lots = await r.json()
            assert [f["supplier"] for f in lots["flagged"]] == ["S01"]
            tests = next(x for x in lots["lots"] if x["lot_id"] == "L010")["tests"]
            assert tests[-1]["readings"] == ["63.2", "55.0", "50"]
            assert "整株" in tests[0]["detail"]["handling"]["zh"]  # 韭菜: special handling
            # the engine refuses the blocked lot even with a certificate
            r = await env.post(auc, f"/api/halls/{HALL}/lots", lot("L010"))
            assert r.status == 409 and (await r.json())["error"] in ("lot_blocked", "lot_exists")
            assert await queue(env) == []

    run(go())


def test_spot_check_of_a_released_queued_lot_withdraws_it(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url, lots=[lot("L001"), lot("L002")]) as env:
            qc = await inspector(env)
            r = await env.post(
                qc, "/api/quality/lots/L002/lab", {"results": {"毒死蜱": "0.021", "多菌灵": "0.1"}}
            )
            data = await r.json()
            assert data["verdict"]["status"] == "fail"  # 黄瓜: 毒死蜱 0.02 (蔬菜), 多菌灵 0.5
            lines = {x["pesticide"]: x for x in data["verdict"]["lines"]}
            assert lines["毒死蜱"]["status"] == "exceeds" and lines["多菌灵"]["status"] == "within"
            state = await env.service.runner.call(
                lambda m: {
                    ls.lot.id: (ls.remaining, ls.withdrawn) for ls in m.halls[HALL].state.lots
                }
            )
            assert state["L002"] == (0, 50)
            r = await env.post(qc, "/api/quality/lots/L001/lab", {"results": {"XYZ": "1"}})
            assert r.status == 400 and (await r.json())["error"] == "bad_result"
            auc = await env.client("AUC")
            r = await env.post(auc, "/api/quality/lots/L001/rapid", {"inhibition": "1"})
            assert r.status == 403

    run(go())


def test_trace_page_qr_and_api(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url, lots=[lot("L001", certificate_issuer="三元朱村")]) as env:
            auc = await env.client("AUC")
            r = await env.post(auc, f"/api/halls/{HALL}/lots", lot("L005", origin="寿光市稻田镇"))
            code = (await r.json())["quality"]["trace_code"]
            public = await env.client()
            r = await public.get(f"/api/trace/{code}")
            data = await r.json()
            assert (
                data["lot"]["origin"] == "寿光市稻田镇" and "reserve_price_fen" not in data["lot"]
            )
            assert data["certificate"]["no"] == "HG-L005" and data["on_clock"]["remaining"] == 50
            r = await public.get(f"/trace/{code}")
            html = await r.text()
            assert r.status == 200 and "寿光市稻田镇" in html and "HG-L005" in html
            assert f"/trace/{code}/qr.svg" in html and "承诺达标合格证" in html
            r = await public.get(f"/trace/{code}?lang=en")
            assert "Commitment certificate" in await r.text()
            r = await public.get(f"/trace/{code}/qr.svg")
            svg = await r.text()
            assert r.status == 200 and r.content_type == "image/svg+xml" and svg.startswith("<svg")
            url = f"http://{r.url.host}:{r.url.port}/trace/{code}"  # what the QR code encodes
            assert 'xmlns="http://www.w3.org/2000/svg"' in svg  # an <img> shows it
            assert svg == qr_svg(segno.make(url, error="m"))
            assert svg != qr_svg(segno.make(url + "X", error="m"))
            r = await public.get("/trace/NOPE")
            assert r.status == 404
            r = await public.get("/api/trace/NOPE")
            assert r.status == 404

    run(go())


def test_inspector_page_and_forms(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url, lots=[]) as env:
            auc = await env.client("AUC")
            await env.post(auc, f"/api/halls/{HALL}/lots", untested("L020", variety="番茄"))
            qc = await inspector(env)
            r = await qc.get("/inspector")
            html = await r.text()
            assert r.status == 200 and "L020" in html and "质检员终端" in html
            assert "整株" in html  # 番茄 is marked for the special handling
            form = {"csrf": qc.csrf, "lot": "L020", "inhibition": "12.5"}
            r = await qc.post("/inspector/rapid", data=form)
            html = await r.text()
            assert r.status == 200 and "合格" in html
            assert await queue(env) == ["L020"]
            form = {"csrf": qc.csrf, "lot": "L020", "results": "不是 一行 结果"}
            r = await qc.post("/inspector/lab", data=form)
            assert "无法识别的结果行" in await r.text()
            r = await qc.post("/inspector/rapid", data={"lot": "L020", "inhibition": "1"})
            assert r.status == 403  # no CSRF token
            r = await (await env.client()).get("/inspector", allow_redirects=False)
            assert r.status == 302 and r.headers["Location"] == "/login?next=/inspector"

    run(go())


def test_mrl_api(sqlite_url: str) -> None:
    async def go() -> None:
        async with live(sqlite_url, lots=[]) as env:
            c = await env.client()
            r = await c.get("/api/quality/mrl", params={"pesticide": "氧乐果", "food": "西红柿"})
            data = await r.json()
            assert data["limit_mg_kg"] == 0.02 and data["matched"] == "蔬菜"
            r = await c.get("/api/quality/mrl", params={"pesticide": "毒死", "food": "番茄"})
            assert r.status == 404 and "毒死蜱" in (await r.json())["suggestions"]

    run(go())
