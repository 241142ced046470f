"""The observatory section of ``jiqun serve`` (O8): the demo, an upload, errors, downloads.

The server runs once for the module (aiohttp's TestServer over a SQLite market); one visit
does every request and keeps the responses, and each test checks one part of them. The
figures are checked against the seed's table (shared/data/zhucheng_clusters_2024.csv), never
against what the code computes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from docx import Document as Docx
from lxml import html as lhtml
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from jiqun.market.core.model import ClockSettings, MarketSettings
from jiqun.market.security import passwords
from jiqun.market.service.app import build_app, service_of
from jiqun.observatory import web_store

from .conftest import HEADER, good_rows, write_csv
from .test_golden import CSV_TO_JSON
from .test_narrative import TEXTILE

PASSWORD = "correct horse"
HALLS = {
    "A": (
        ClockSettings(tick_ms=100, step_fen=2, pause_ms=300, restart_steps=10, same_stop_ms=150),
        MarketSettings(seller_commission_bps=300, buyer_fee_bps=50),
    )
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


async def _reply(response: Any) -> Reply:
    return Reply(
        response.status, response.content_type, await response.read(), dict(response.headers)
    )


async def _login(client: TestClient[Any, Any], user: str) -> str:
    r = await client.post("/api/login", json={"user": user, "password": PASSWORD})
    assert r.status == 200, await r.text()
    return str((await r.json())["csrf"])


def _form(files: dict[str, tuple[str, bytes]], **fields: str) -> FormData:
    form = FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, data) in files.items():
        form.add_field(name, data, filename=filename, content_type="application/octet-stream")
    return form


def _bad_register(folder: Path) -> bytes:
    rows = good_rows()
    rows[2][6] = "两万"  # revenue of the data's third row (line 4 of the file)
    return write_csv(folder / "bad.csv", rows).read_bytes()


async def _visit(db: Path, folder: Path) -> dict[str, Reply]:
    app = build_app(str(db), "k" * 40, halls=HALLS)
    server = TestServer(app)
    await server.start_server()
    out: dict[str, Reply] = {}
    clients: list[TestClient[Any, Any]] = []

    async def client() -> TestClient[Any, Any]:
        c: TestClient[Any, Any] = TestClient(server)
        await c.start_server()
        clients.append(c)
        return c

    try:
        service = service_of(app)
        for user, role in [("obs", "admin"), ("obs2", "inspector"), ("B01", "buyer")]:
            await service.add_user(user, role, PASSWORD)
        anonymous = await client()
        out["home"] = await _reply(await anonymous.get("/observatory"))
        out["home_en"] = await _reply(await anonymous.get("/observatory?lang=en"))
        register = await anonymous.get("/observatory/demo-register.xlsx")
        out["demo_register"] = await _reply(register)
        demo_xlsx = out["demo_register"].body
        upload = _form({"register": ("zhucheng.xlsx", demo_xlsx)})
        out["anonymous_upload"] = await _reply(
            await anonymous.post("/observatory/upload", data=upload)
        )

        buyer = await client()
        csrf = await _login(buyer, "B01")
        out["buyer_upload"] = await _reply(
            await buyer.post(
                "/observatory/upload",
                data=_form({"register": ("zhucheng.xlsx", demo_xlsx)}),
                headers={"X-CSRF-Token": csrf},
            )
        )

        staff = await client()
        csrf = await _login(staff, "obs")
        out["staff_home"] = await _reply(await staff.get("/observatory"))
        small = write_csv(folder / "good.csv", good_rows()).read_bytes()
        out["no_csrf"] = await _reply(
            await staff.post("/observatory/upload", data=_form({"register": ("g.csv", small)}))
        )
        # Without JavaScript a browser sends the token as a form field: the middleware then
        # reads the form under the app's 64 KiB limit, too little for this register.
        out["big_form_field_csrf"] = await _reply(
            await staff.post(
                "/observatory/upload",
                data=_form({"register": ("zhucheng.xlsx", demo_xlsx)}, csrf=csrf),
            )
        )
        r = await staff.post(
            "/observatory/upload",
            data=_form({"register": ("诸城名录.xlsx", demo_xlsx)}, csrf=csrf, city="诸城市"),
            headers={"X-CSRF-Token": csrf},
            allow_redirects=False,
        )
        out["upload"] = await _reply(r)
        location = r.headers["Location"]
        out["result"] = await _reply(await staff.get(location))
        for fmt in ("html", "pdf", "docx", "xlsx"):
            path = location.split("?")[0] + f"/report.{fmt}"
            out[fmt] = await _reply(await staff.get(path))
        other = await client()
        await _login(other, "obs2")
        out["other_user"] = await _reply(await other.get(location))
        out["other_user_pdf"] = await _reply(
            await other.get(location.split("?")[0] + "/report.pdf")
        )

        bad = _bad_register(folder)
        for lang in ("zh", "en"):
            out[f"bad_{lang}"] = await _reply(
                await staff.post(
                    f"/observatory/upload?lang={lang}",
                    data=_form({"register": ("bad.csv", bad)}),
                    headers={"X-CSRF-Token": csrf},
                )
            )
        r = await staff.post(
            "/observatory/upload",
            data=_form({"register": ("bad.csv", bad)}, skip_invalid="1"),
            headers={"X-CSRF-Token": csrf},
        )
        out["skipped"] = await _reply(r)
        out["rejects"] = await _reply(await staff.get(r.url.path + "/rejects.csv"))
        # The same small register sent as a browser without JavaScript sends it: the token
        # is a form field (the middleware reads and checks it).
        good = small
        r = await staff.post(
            "/observatory/upload",
            data=_form({"register": ("good.csv", good)}, csrf=csrf),
            allow_redirects=False,
        )
        out["form_field_csrf"] = await _reply(r)
        # A browser sends a file input left empty as a part with an empty file name.
        out["no_register"] = await _reply(
            await staff.post(
                "/observatory/upload",
                data=_form({"register": ("", b"")}, city="x"),
                headers={"X-CSRF-Token": csrf},
            )
        )
        out["urlencoded"] = await _reply(
            await staff.post(
                "/observatory/upload", data={"city": "x"}, headers={"X-CSRF-Token": csrf}
            )
        )
        out["plan_alone"] = await _reply(
            await staff.post(
                "/observatory/upload",
                data=_form({"register": ("good.csv", good), "plan": ("plan.csv", b"x")}),
                headers={"X-CSRF-Token": csrf},
            )
        )
        out["not_a_register"] = await _reply(
            await staff.post(
                "/observatory/upload",
                data=_form({"register": ("notes.docx", b"PK\x03\x04 not really")}),
                headers={"X-CSRF-Token": csrf},
            )
        )
        out["demo"] = await _reply(await anonymous.get("/observatory/r/demo"))
        out["demo_en"] = await _reply(await anonymous.get("/observatory/r/demo?lang=en"))
        out["demo_xlsx"] = await _reply(await anonymous.get("/observatory/r/demo/report.xlsx"))
        out["unknown"] = await _reply(await anonymous.get("/observatory/r/nosuchkey"))
        return out
    finally:
        for c in clients:
            await c.close()
        await server.close()


@pytest.fixture(scope="module")
def visit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Reply]]:
    folder = tmp_path_factory.mktemp("web")
    saved = passwords._HASHER
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    try:
        yield asyncio.run(_visit(folder / "market.db", folder))
    finally:
        passwords._HASHER = saved


def _seed(shared: Path) -> list[dict[str, str]]:
    with (shared / "data" / "zhucheng_clusters_2024.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _table(page: str, title: str) -> list[list[str]]:
    """The rows (header first) of the table under the heading ``title``."""
    tree = lhtml.fromstring(page)
    heading = tree.xpath(f'//h3[normalize-space(.)="{title}"]')
    assert heading, title
    table = heading[0].getnext().find(".//table")
    return [[c.text_content().strip() for c in row] for row in table.iter("tr")]


COLUMNS = {  # seed CSV column → the page table's header
    "firms_above_quota": "企业数（家）",
    "registered_capital_wan": "注册资金（万元）",
    "provincial_brand_products": "省级名牌产品（件）",
    "provincial_famous_trademarks": "省著名商标（件）",
    "national_brand_products": "国家名牌产品（件）",
    "china_well_known_trademarks": "全国驰名商标（件）",
    "high_tech_firms": "高新技术企业（家）",
    "rd_centres": "技术开发中心（处）",
    "revenue_wan": "主营业务收入（万元）",
    "profit_tax_wan": "利税（万元）",
    "profit_wan": "利润（万元）",
}


def test_uploaded_demo_register_shows_the_seed_figures(
    visit: dict[str, Reply], shared: Path
) -> None:
    assert len(visit["demo_register"].body) > 64 * 1024  # more than the app's body limit
    assert visit["upload"].status == 303
    page = visit["result"]
    assert page.status == 200 and page.content_type == "text/html"
    assert set(COLUMNS) <= set(CSV_TO_JSON)
    rows = _table(page.text, "附表：2024年产业集群主要指标")
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    seed = _seed(shared)
    assert [r[0] for r in rows[1:-1]] == [s["cluster"] for s in seed]
    assert rows[-1][0] == "全市合计"
    for s in seed:
        row = body[s["cluster"]]
        for column, title in COLUMNS.items():
            assert row[header.index(title)] == s[column], (s["cluster"], column)
        assert row[header.index("骨干企业")] == s["key_enterprises"].replace("|", "、")
    assert f"<p>{TEXTILE}</p>" in page.text
    assert "<h1>诸城市产业集群发展现状（2024年）</h1>" in page.text
    assert "数据来源：诸城名录.xlsx" in page.text
    assert "<h2>二、乡镇（街道）产业布局</h2>" in page.text
    assert "昌城镇有汽车配件、食品加工、橡胶轮胎、纺织4个主导产业。" in page.text
    assert page.text.count("<svg") >= 2  # the clusters' revenue, the towns' heat map
    for fmt in ("html", "pdf", "docx", "xlsx"):
        assert f'report.{fmt}?lang=zh"' in page.text


def test_downloads_have_their_types_and_open(visit: dict[str, Reply]) -> None:
    report = visit["html"]
    assert report.content_type == "text/html" and report.status == 200
    assert "attachment" in report.headers["Content-Disposition"]
    assert f"<p>{TEXTILE}</p>" in report.text and "<svg" in report.text

    pdf = visit["pdf"]
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.body))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "主营业务收入142亿元" in text and "共有169家限额以上企业" in text

    docx = visit["docx"]
    assert docx.content_type == DOCX and zipfile.is_zipfile(io.BytesIO(docx.body))
    document = Docx(io.BytesIO(docx.body))
    assert TEXTILE in [p.text for p in document.paragraphs]
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"纺织服装业", "1420000", "全市合计"} <= cells

    xlsx = visit["xlsx"]
    assert xlsx.content_type == XLSX and zipfile.is_zipfile(io.BytesIO(xlsx.body))
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.body))
    rows = book.get_sheet_by_name("2024年产业集群").to_python()
    textile = next(r for r in rows if r[0] == "纺织服装业")
    assert textile[rows[0].index("主营业务收入（万元）")] == 1420000


def test_bad_upload_shows_file_row_column_value_and_reason(visit: dict[str, Reply]) -> None:
    for lang in ("zh", "en"):
        reply = visit[f"bad_{lang}"]
        assert reply.status == 400 and reply.content_type == "text/html"
        items = lhtml.fromstring(reply.text).xpath('//section[@class="errors"]//li')
        lines = [li.text_content() for li in items]
        assert lines, reply.text
        first = lines[0]
        assert first.startswith("bad.csv"), first  # the user's file name, not the temp folder
        assert "4" in first and "两万" in first and HEADER[6] in first
        assert "Traceback" not in reply.text and "jiqun-upload" not in reply.text
        assert "--skip-invalid" not in reply.text  # the page has its own way to skip them
    assert "可勾选“跳过错误行”后重新上传" in visit["bad_zh"].text
    assert "第4行" in visit["bad_zh"].text
    assert "row 4" in visit["bad_en"].text
    assert visit["bad_en"].text.count('<html lang="en"') == 1


def test_other_mistakes_are_clear_lines(visit: dict[str, Reply]) -> None:
    def errors(key: str) -> list[str]:
        tree = lhtml.fromstring(visit[key].text)
        return [li.text_content() for li in tree.xpath('//section[@class="errors"]//li')]

    assert visit["no_register"].status == 400
    assert errors("no_register") == ["请选择企业名录文件"]
    assert visit["urlencoded"].status == 400
    assert errors("urlencoded") == ["请通过上传表单提交文件"]
    assert errors("plan_alone") == ["集群规划、目标档次和目标年份须一起提供"]
    assert visit["not_a_register"].status == 400
    (line,) = errors("not_a_register")
    assert line.startswith("notes.docx") and ".docx" in line


def test_who_may_upload_and_see(visit: dict[str, Reply]) -> None:
    assert visit["anonymous_upload"].status == 401  # the app's rule: log in to post
    assert visit["no_csrf"].status == 403 and b"csrf" in visit["no_csrf"].body
    buyer = visit["buyer_upload"]
    assert buyer.status == 403 and "您的账户不能上传名录" in buyer.text
    assert 'name="register"' not in visit["home"].text  # no form without a log-in
    assert "/login?next=/observatory" in visit["home"].text
    staff = visit["staff_home"].text
    form = lhtml.fromstring(staff).xpath('//form[@id="upload"]')[0]
    token = form.get("data-csrf")
    assert token and form.xpath('.//input[@name="csrf"]')[0].get("value") == token
    assert form.get("enctype") == "multipart/form-data"
    # Another staff user cannot see the upload; the report is not given either.
    assert visit["other_user"].status == 404 and "已过期" in visit["other_user"].text
    assert visit["other_user_pdf"].status == 404
    assert visit["unknown"].status == 404
    assert visit["form_field_csrf"].status == 303  # small form, token as a field
    assert visit["big_form_field_csrf"].status == 413


def test_public_demo_has_every_section(visit: dict[str, Reply], shared: Path) -> None:
    demo = visit["demo"]
    assert demo.status == 200
    for title in (
        "一、诸城市产业集群发展现状",
        "二、乡镇（街道）产业布局",
        "三、规划目标进展",
        "四、新增企业考核得分与税收分成",
    ):
        assert f"<h2>{title}</h2>" in demo.text
    assert demo.text.count("<svg") >= 3  # clusters, heat map, the plan's tiers
    rows = _table(demo.text, "附表：2024年产业集群主要指标")
    textile = rows[[r[0] for r in rows].index("纺织服装业")]
    assert textile[rows[0].index("主营业务收入（万元）")] == _seed(shared)[0]["revenue_wan"]
    tiers = _table(demo.text, "目标档次")
    assert [r[2] for r in tiers[1:]] == ["3", "2", "3", "3", "3"]  # "三二三三三"
    assert visit["demo_xlsx"].content_type == XLSX


def test_english_demo_page(visit: dict[str, Reply]) -> None:
    page = visit["demo_en"].text
    assert "<h2>1. The state of the clusters</h2>" in page
    assert "<h2>3. Progress towards the plan</h2>" in page
    assert "In 2024 its firms achieved revenue of 14.2 billion yuan" in page  # 142亿 in the seed
    assert "/observatory/r/demo/report.pdf?lang=en" in page
    assert "Download the report" in page


def test_english_home_page(visit: dict[str, Reply]) -> None:
    page = visit["home_en"].text
    assert "Cluster observatory" in page and "See the demo (Zhucheng)" in page
    assert "/observatory/r/demo?lang=en" in page
    assert not re.search(
        r"[\u4e00-\u9fff]", lhtml.fromstring(page).xpath("//main")[0].text_content()
    )


def test_store_expires_and_keeps_a_bounded_number() -> None:
    class Clock:
        now = 1000.0

    clock = Clock()
    original = web_store.time.monotonic
    web_store.time.monotonic = lambda: clock.now  # type: ignore[assignment]
    try:
        store = web_store.Store(ttl_s=60, keep=2)
        first = store.put("u", object())  # type: ignore[arg-type]
        assert store.get(first, "u") is not None
        assert store.get(first, "v") is None
        clock.now += 61
        assert store.get(first, "u") is None
        keys = [store.put("u", object()) for _ in range(3)]  # type: ignore[arg-type]
        assert len(store) == 2 and store.get(keys[0], "u") is None
        assert store.get(keys[2], "u") is not None
    finally:
        web_store.time.monotonic = original  # type: ignore[assignment]


def test_upload_limit_is_enforced_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIQUN_OBSERVATORY_UPLOAD_MB", "0.05")  # 52 KB
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )

    async def go() -> tuple[int, str]:
        app = build_app(str(tmp_path / "m.db"), "k" * 40, halls=HALLS)
        async with TestClient(TestServer(app)) as c:
            await service_of(app).add_user("obs", "admin", PASSWORD)
            csrf = await _login(c, "obs")
            big = b"year,name\n" + b"2024,x\n" * 20_000  # 140 KB
            r = await c.post(
                "/observatory/upload",
                data=_form({"register": ("big.csv", big)}),
                headers={"X-CSRF-Token": csrf},
            )
            return r.status, await r.text()

    status, text = asyncio.run(go())
    assert status == 413 and "上传的文件太大（上限0.05MB）" in text


def test_downloaded_docx_looks_right(visit: dict[str, Reply]) -> None:
    """A4 pages, East Asian fonts that Word will use (no theme font overriding them), bordered
    tables filling the text width with a repeated header row and right-aligned numbers, and
    charts no wider than the text."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document = Docx(io.BytesIO(visit["docx"].body))
    widths = []
    for section in document.sections:
        size = sorted((section.page_width, section.page_height))
        assert abs(size[0] - Cm(21)) < Cm(0.01) and abs(size[1] - Cm(29.7)) < Cm(0.01)
        widths.append(section.page_width - section.left_margin - section.right_margin)
    for name, font in (("Normal", "宋体"), ("Heading 1", "黑体"), ("Title", "黑体")):
        fonts = document.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == font
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(".//" + qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert len(document.tables) >= 3  # clusters, towns, industries
    for table in document.tables:
        assert table.style.name == "Table Grid"
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        total = sum(c.width for c in table.rows[0].cells)
        assert any(abs(total - w) < Cm(0.1) for w in widths)
    clusters = next(t for t in document.tables if t.rows[0].cells[0].text == "产业集群")
    revenue = [c.text for c in clusters.rows[0].cells].index("主营业务收入（万元）")
    for row in clusters.rows[1:]:
        assert row.cells[revenue].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
        assert row.cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    assert len(document.inline_shapes) >= 2
    for shape in document.inline_shapes:
        assert shape.width <= max(widths)


def test_skipped_rows_are_counted_and_downloadable(visit: dict[str, Reply]) -> None:
    page = visit["skipped"]
    assert page.status == 200 and "已跳过1个错误行" in page.text
    rejects = visit["rejects"]
    assert rejects.status == 200 and rejects.content_type == "text/csv"
    text = rejects.body.decode("utf-8-sig")
    assert "两万" in text and "恒达纺织" in text and "新郎服饰" not in text


def test_heavy_work_runs_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading and writing the PDF run on the observatory's worker thread, so the event loop
    (and the clock's live traffic) is never blocked by them."""
    from jiqun.observatory import web, web_work

    threads: list[tuple[str, str]] = []
    real_analyse, real_pdf = web.analyse, web_work.documents.write_pdf

    def analyse(inputs: web_work.Inputs) -> web_work.Analysis:
        threads.append(("analyse", threading.current_thread().name))
        return real_analyse(inputs)

    def write_pdf(doc: Any, path: Path) -> None:
        threads.append(("pdf", threading.current_thread().name))
        real_pdf(doc, path)

    monkeypatch.setattr(web, "analyse", analyse)
    monkeypatch.setattr(web_work.documents, "write_pdf", write_pdf)
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    small = write_csv(tmp_path / "good.csv", good_rows()).read_bytes()

    async def go() -> int:
        app = build_app(str(tmp_path / "m.db"), "k" * 40, halls=HALLS)
        async with TestClient(TestServer(app)) as c:
            await service_of(app).add_user("obs", "admin", PASSWORD)
            csrf = await _login(c, "obs")
            r = await c.post(
                "/observatory/upload",
                data=_form({"register": ("good.csv", small)}),
                headers={"X-CSRF-Token": csrf},
            )
            assert r.status == 200, await r.text()
            pdf = await c.get(r.url.path + "/report.pdf")
            return pdf.status

    assert asyncio.run(go()) == 200
    assert [what for what, _ in threads] == ["analyse", "pdf"]
    assert all(name.startswith("observatory") for _, name in threads), threads


def test_error_lines_name_the_users_file_and_the_forms_fields(tmp_path: Path) -> None:
    from jiqun.observatory.errors import FileProblem
    from jiqun.observatory.web_work import error_lines

    problem = FileProblem(tmp_path / "register" / "名录.xlsx", "several_sheets", sheets="甲、乙")
    assert error_lines(problem, "zh", tmp_path) == [
        "名录.xlsx：工作簿有多个含数据的工作表（甲、乙）：请用“工作表”一栏指定要导入的工作表"
    ]
    assert error_lines(problem, "en", tmp_path) == [
        "名录.xlsx: the workbook has several sheets with data (甲、乙): choose one with the "
        "Worksheet field"
    ]
