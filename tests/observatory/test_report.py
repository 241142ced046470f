"""The whole survey report (O8) from the demo register, in every format, checked for content."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as Docx
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from jiqun.cli import main
from jiqun.observatory import charts, demo_register, documents, report
from jiqun.observatory.placements import load_ledger, town_table, write_demo_ledger
from jiqun.observatory.plan import load_plan, load_targets, progress
from jiqun.observatory.register import load_register
from jiqun.observatory.stats import compute
from jiqun.observatory.towns import diagnose

from .test_golden import CSV_TO_JSON
from .test_narrative import TEXTILE


@dataclass(frozen=True)
class Demo:
    register: Path
    ledger: Path
    out: dict[str, Path]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Demo:
    folder = tmp_path_factory.mktemp("report")
    register_path = folder / "zhucheng.csv"
    demo_register.write(demo_register.generate(), register_path)
    ledger = folder / "ledger.csv"
    write_demo_ledger(ledger)
    register = load_register(register_path)
    stats = compute(register)
    data = shared / "data"
    plan = progress(
        register,
        load_plan(data / "zhucheng_cluster_plan.csv"),
        load_targets(data / "zhucheng_plan_targets.csv"),
        2027,
    )
    extras = {
        "towns": diagnose(register),
        "plan": plan,
        "placements": town_table(load_ledger(ledger)),
    }
    # The charts are drawn once; each format writes the same document.
    survey, document = report.document(stats, "诸城市", register_path.name, **extras)  # type: ignore[arg-type]
    out = {suffix: folder / f"survey{suffix}" for suffix in (".html", ".pdf", ".docx")}
    out[".html"].write_text(report.html(survey, "zh", document), encoding="utf-8")
    documents.write_pdf(document, out[".pdf"])
    documents.write_docx(document, out[".docx"])
    return Demo(register_path, ledger, out)


SECTIONS = ["一、诸城市产业集群发展现状", "二、乡镇（街道）产业布局", "三、规划目标进展"]


def test_html_has_the_paragraph_charts_and_no_url(demo: Demo) -> None:
    page = demo.out[".html"].read_text(encoding="utf-8")
    assert f"<p>{TEXTILE}</p>" in page
    assert page.count("<svg") >= 3  # cluster revenue, town heat map, plan tiers
    assert "http" not in page and "<script" not in page and "<img" not in page
    for title in [*SECTIONS, "四、新增企业考核得分与税收分成"]:
        assert f"<h2>{title}</h2>" in page
    assert "昌城镇有汽车配件、食品加工、橡胶轮胎、纺织4个主导产业。" in page


def test_pdf_text_has_the_key_figures_and_titles(demo: Demo) -> None:
    reader = PdfReader(demo.out[".pdf"])
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    for figure in ("共有169家限额以上企业", "主营业务收入142亿元", "利税14.7亿元", "利润10.4亿元"):
        assert figure in text
    for title in [*SECTIONS, "四、新增企业考核得分与税收分成", "附表：2024年产业集群主要指标"]:
        assert title in text
    assert len(reader.pages) >= 4
    assert any(page.images for page in reader.pages)  # the charts


def test_docx_paragraphs_have_the_textile_paragraph(demo: Demo) -> None:
    document = Docx(str(demo.out[".docx"]))
    paragraphs = [p.text for p in document.paragraphs]
    assert TEXTILE in paragraphs
    assert [p for p in paragraphs if p in SECTIONS] == SECTIONS
    assert len(document.inline_shapes) >= 3
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"纺织服装业", "1420000", "全市合计"} <= cells


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_xlsx_has_one_sheet_per_section_with_the_seed_figures(
    demo: Demo, shared: Path, tmp_path: Path
) -> None:
    out = tmp_path / "survey.xlsx"
    data = shared / "data"
    code, _, err = run(
        "observatory",
        "report",
        str(demo.register),
        "--plan",
        str(data / "zhucheng_cluster_plan.csv"),
        "--targets",
        str(data / "zhucheng_plan_targets.csv"),
        "--target-year",
        "2027",
        "--placements",
        str(demo.ledger),
        "-o",
        str(out),
    )
    assert code == 0, err
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["2024年产业集群", "镇街主导产业", "规划进展", "新增企业考核"]
    rows = book.get_sheet_by_name("2024年产业集群").to_python()
    header = [str(h) for h in rows[0]]
    by_name = {str(r[0]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    labels = {
        "firms": "企业数（家）",
        "registered_capital": "注册资金（万元）",
        "provincial_brand_products": "省级名牌产品（件）",
        "provincial_famous_trademarks": "省著名商标（件）",
        "national_brand_products": "国家名牌产品（件）",
        "china_well_known_trademarks": "全国驰名商标（件）",
        "high_tech_firms": "高新技术企业（家）",
        "rd_centres": "技术开发中心（处）",
        "revenue": "主营业务收入（万元）",
        "profit_tax": "利税（万元）",
        "profit": "利润（万元）",
    }
    with (data / "zhucheng_clusters_2024.csv").open(encoding="utf-8") as f:
        seed = list(csv.DictReader(f))
    assert list(by_name)[: len(seed)] == [row["cluster"] for row in seed]
    for row in seed:
        got = by_name[row["cluster"]]
        for column, key in CSV_TO_JSON.items():
            assert got[labels[key]] == float(row[column]), (row["cluster"], column)
        assert got["骨干企业"] == row["key_enterprises"].replace("|", "、")
    towns = book.get_sheet_by_name("镇街主导产业").to_python()
    assert len(towns) == 14 and towns[0][0] == "乡镇（街道）"
    assert len(book.get_sheet_by_name("规划进展").to_python()) == 15  # 14 planned clusters


def test_cli_plan_options_go_together(demo: Demo, tmp_path: Path) -> None:
    code, _, err = run(
        "observatory", "report", str(demo.register), "--plan", "p.csv", "-o", str(tmp_path / "x.md")
    )
    assert code == 2 and "--target-year" in err


def test_missing_cjk_font_is_a_clear_one_line_error(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    code, _, err = run("observatory", "report", str(demo.register), "-o", str(tmp_path / "s.pdf"))
    assert code == 2 and not (tmp_path / "s.pdf").exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "fonts-noto-cjk" in lines[0] and "fonts-wqy-microhei" in lines[0]
    # Markdown needs no font; HTML goes without its charts and says so (jiqun demo needs it).
    assert run("observatory", "report", str(demo.register), "-o", str(tmp_path / "s.md"))[0] == 0
    assert run("observatory", "report", str(demo.register), "-o", str(tmp_path / "s.html"))[0] == 0
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert "本机未安装中文字体，图表从略" in page and "<svg" not in page
    assert "（一）纺织服装业。共有169家限额以上企业" in page


def test_pdf_lines_keep_numbers_whole_and_punctuation_off_the_line_start() -> None:
    lines = documents.break_lines("收入1.6亿元，利润13.2%。", len, 6)
    assert "".join(lines) == "收入1.6亿元，利润13.2%。"
    assert all(line[0] not in documents.NO_START for line in lines)
    assert any("1.6" in line for line in lines) and any("13.2%" in line for line in lines)
