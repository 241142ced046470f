"""The survey report: the section "产业集群发展现状" as Markdown or HTML (PRODUCT.md O3, O8).

The report is the city overview, one paragraph per cluster (:mod:`narrative`) and the cluster
table (:mod:`tables`). HTML is self-contained (no external assets), so it opens offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from jiqun.cnnum import percent
from jiqun.i18n import Lang
from jiqun.observatory import narrative, tables
from jiqun.observatory.stats import SurveyStats

FORMATS = (".md", ".html")


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


def markdown(s: Survey) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    parts = [f"# {s.title}", ""]
    if s.meta:
        parts += [s.meta, ""]
    parts += [f"## {s.section}", "", s.overview, ""]
    for paragraph in s.paragraphs:
        parts += [paragraph, ""]
    parts += [f"### {s.table_title}", "", row(s.headers), row(["---"] * len(s.headers))]
    parts += [row(r) for r in s.rows]
    return "\n".join(parts) + "\n"


def html(s: Survey, lang: Lang = "zh") -> str:
    env = Environment(
        loader=PackageLoader("jiqun.observatory", "templates"), autoescape=select_autoescape()
    )
    return env.get_template("survey.html").render(lang=lang, **vars(s))


def write(
    stats: SurveyStats, path: Path, city: str | None = None, source: str = "", lang: Lang = "zh"
) -> None:
    """Write the report to ``path``; its suffix (.md or .html) chooses the format."""
    s = survey(stats, city, source, lang)
    text = html(s, lang) if path.suffix.lower() == ".html" else markdown(s)
    path.write_text(text, encoding="utf-8")
