"""The survey report (PRODUCT.md O3, O8) as Markdown, HTML, PDF, DOCX or XLSX.

The report's first section, "产业集群发展现状", is the city overview, one paragraph per cluster
(:mod:`narrative`) and the cluster table (:mod:`tables`). The sections after it, each when its
input is given, are the town diagnosis (:mod:`towns`, with a town × industry heat map of LQs),
the plan's progress (:mod:`plan`, with each cluster's revenue against its tier threshold) and
the placement table (:mod:`placements`). HTML is self-contained (charts are inline SVG, no
external assets), so it opens offline; PDF, DOCX and XLSX are written by :mod:`documents`.
Charts and PDFs need a font with Chinese glyphs (:func:`charts.cjk_font`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from jiqun.cnnum import percent
from jiqun.i18n import Lang
from jiqun.observatory import charts as charts_module
from jiqun.observatory import documents, narrative, tables
from jiqun.observatory.charts import Chart
from jiqun.observatory.documents import Document, Section, Table
from jiqun.observatory.placements import TownTable
from jiqun.observatory.plan import PlanProgress
from jiqun.observatory.stats import SurveyStats
from jiqun.observatory.towns import TownDiagnosis

FORMATS = (".md", ".html", ".pdf", ".docx", ".xlsx")


@dataclass(frozen=True)
class Survey:
    """Everything the report says, in one language."""

    title: str
    meta: str
    section: str
    overview: str
    paragraphs: list[str]
    table_title: str
    headers: list[str]
    rows: list[list[str]]


def _cell(field: str, value: tables.Cell) -> str:
    if value is None:
        return "—"
    if field in ("revenue_share", "revenue_growth"):
        return percent(float(value))
    return str(value)


def survey(
    stats: SurveyStats, city: str | None = None, source: str = "", lang: Lang = "zh"
) -> Survey:
    place = city or ("全市" if lang == "zh" else "the city")
    fields = [k for k, _, _ in tables.FIELDS]
    rows = [
        [_cell(k, v) for k, v in zip(fields, row, strict=True)] for row in tables.rows(stats, lang)
    ]
    if lang == "zh":
        return Survey(
            title=f"{city or ''}产业集群发展现状（{stats.year}年）",
            meta=f"数据来源：{source}；金额单位：万元（正文按亿元、万元书写）"
            if source
            else "金额单位：万元",
            section=f"一、{city or ''}产业集群发展现状",
            overview=narrative.overview(stats, place, "zh"),
            paragraphs=narrative.paragraphs(stats, "zh"),
            table_title=f"附表：{stats.year}年产业集群主要指标",
            headers=tables.headers("zh"),
            rows=rows,
        )
    return Survey(
        title=f"Industrial clusters of {place}: the state in {stats.year}",
        meta=f"Source: {source}; amounts in 10,000 yuan in the table" if source else "",
        section="1. The state of the clusters",
        overview=narrative.overview(stats, city or "全市", "en"),
        paragraphs=narrative.paragraphs(stats, "en"),
        table_title=f"Table: main figures of the clusters, {stats.year}",
        headers=tables.headers("en"),
        rows=rows,
    )


def document(
    stats: SurveyStats,
    city: str | None = None,
    source: str = "",
    lang: Lang = "zh",
    *,
    towns: TownDiagnosis | None = None,
    plan: PlanProgress | None = None,
    placements: TownTable | None = None,
    charts: bool = True,
) -> tuple[Survey, Document]:
    """The whole survey: the cluster section, then each section whose input is given."""
    s = survey(stats, city, source, lang)
    zh = lang == "zh"
    first: list[documents.Block] = [s.overview, *s.paragraphs]
    widths = (3.2, 1.2, 2, 1.3, 1.3, 1.3, 1.3, 1.3, 1.3, 2, 1.8, 1.8, 1.6, 1.6, 6)
    first.append(
        Table(s.table_title, s.headers, s.rows, frozenset({0, 14}), total=True, widths=widths)
    )
    if charts:
        first.append(documents.clusters_chart(stats, lang))
    sections = [Section(s.section, first)]
    sheets = [documents.cluster_sheet(stats, lang)]
    if towns is not None:
        title = "乡镇（街道）产业布局" if zh else "The towns' industries"
        n = len(sections) + 1
        sections.append(
            documents.towns_section(towns, documents.heading(n, title, lang), lang, charts)
        )
        sheets.append(documents.towns_sheet(towns, lang))
    if plan is not None:
        title = "规划目标进展" if zh else "Progress towards the plan"
        n = len(sections) + 1
        sections.append(
            documents.plan_section(plan, documents.heading(n, title, lang), lang, charts)
        )
        sheets.append(documents.plan_sheet(plan, lang))
    if placements is not None:
        title = "新增企业考核得分与税收分成" if zh else "New enterprises: scores and tax shares"
        n = len(sections) + 1
        sections.append(
            documents.placements_section(placements, documents.heading(n, title, lang), lang)
        )
        sheets.append(documents.placements_sheet(placements, lang))
    return s, Document(s.title, s.meta, sections, sheets)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown(s: Survey, more: list[Section] | None = None) -> str:
    """The cluster section, then ``more`` sections (charts are left out: see HTML or PDF)."""
    row = _md_row
    parts = [f"# {s.title}", ""]
    if s.meta:
        parts += [s.meta, ""]
    parts += [f"## {s.section}", "", s.overview, ""]
    for paragraph in s.paragraphs:
        parts += [paragraph, ""]
    parts += [f"### {s.table_title}", "", row(s.headers), row(["---"] * len(s.headers))]
    parts += [row(r) for r in s.rows]
    for section in more or []:
        parts += ["", f"## {section.title}"]
        for block in section.blocks:
            if isinstance(block, str):
                parts += ["", block]
            elif isinstance(block, Table):
                parts += ["", f"### {block.title}", "", row(block.headers)]
                parts += [row(["---"] * len(block.headers)), *(row(r) for r in block.rows)]
    return "\n".join(parts) + "\n"


def html(s: Survey, lang: Lang = "zh", more: Document | None = None) -> str:
    """The cluster section, then (from ``more``) its charts and the sections after it."""
    env = Environment(
        loader=PackageLoader("jiqun.observatory", "templates"), autoescape=select_autoescape()
    )
    charts: list[Chart] = []
    sections: list[Section] = []
    if more is not None:
        charts = [b for b in more.sections[0].blocks if isinstance(b, Chart)]
        sections = more.sections[1:]
    return env.get_template("survey.html").render(
        lang=lang, charts=charts, sections=sections, **vars(s)
    )


def write(
    stats: SurveyStats,
    path: Path,
    city: str | None = None,
    source: str = "",
    lang: Lang = "zh",
    *,
    towns: TownDiagnosis | None = None,
    plan: PlanProgress | None = None,
    placements: TownTable | None = None,
) -> None:
    """Write the report to ``path``; its suffix (.md, .html, .pdf, .docx or .xlsx) chooses the
    format. PDF and DOCX need a CJK font (:class:`charts.NoCjkFont`); HTML without one is
    written without its charts and says so (the browser still shows every text and table), so
    that ``jiqun demo`` works on a machine with no Chinese font installed."""
    suffix = path.suffix.lower()
    html_without_font = suffix == ".html" and charts_module.find_cjk_font() is None
    s, doc = document(
        stats,
        city,
        source,
        lang,
        towns=towns,
        plan=plan,
        placements=placements,
        charts=suffix in (".html", ".pdf", ".docx") and not html_without_font,
    )
    if html_without_font:
        notice = (
            "（本机未安装中文字体，图表从略：请安装 fonts-noto-cjk 或 fonts-wqy-microhei）"
            if lang == "zh"
            else " (no Chinese font on this machine, charts left out: install fonts-noto-cjk "
            "or fonts-wqy-microhei)"
        )
        s = dataclasses.replace(s, meta=s.meta + notice)
    if suffix == ".pdf":
        documents.write_pdf(doc, path)
    elif suffix == ".docx":
        documents.write_docx(doc, path)
    elif suffix == ".xlsx":
        documents.write_xlsx(doc, path)
    else:
        text = html(s, lang, doc) if suffix == ".html" else markdown(s, doc.sections[1:])
        path.write_text(text, encoding="utf-8")
