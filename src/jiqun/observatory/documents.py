"""The whole survey report (PRODUCT.md O8) as a list of sections, and its PDF, DOCX and XLSX.

A section is an ordered list of blocks — paragraphs, tables and charts — so that every format
writes the same content: :mod:`report` writes Markdown and HTML, this module PDF (fpdf2, with
the CJK font found by :mod:`charts` embedded), DOCX (python-docx) and XLSX (xlsxwriter, one
sheet per section with the figures as numbers).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from jiqun.i18n import Lang
from jiqun.observatory import tables
from jiqun.observatory.charts import Chart, cjk_font, heatmap, share_bars, tier_bars
from jiqun.observatory.placements import TownTable, firm_headers, firm_rows, town_headers
from jiqun.observatory.plan import (
    WAN_PER_YI,
    PlanProgress,
    progress_headers,
    progress_rows,
    show,
)
from jiqun.observatory.stats import SurveyStats
from jiqun.observatory.towns import TownDiagnosis

XCell = str | int | float | None
HEATMAP_INDUSTRIES = 20


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    left: frozenset[int] = frozenset({0})  # left-aligned columns; the others are numbers
    total: bool = False  # the last row is a total
    widths: tuple[float, ...] | None = None  # relative widths in PDF and DOCX

    @property
    def wide(self) -> bool:
        return len(self.headers) > 8


Block = str | Table | Chart


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block]


@dataclass(frozen=True)
class Sheet:
    """One worksheet: figures stay numbers; ``fractions`` are columns shown as percentages."""

    name: str
    headers: list[str]
    rows: list[list[XCell]]
    fractions: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Document:
    title: str
    meta: str
    sections: list[Section]
    sheets: list[Sheet] = field(default_factory=list)


NUMERALS = "一二三四五六七八九十"


def heading(number: int, title: str, lang: Lang) -> str:
    return f"{NUMERALS[number - 1]}、{title}" if lang == "zh" else f"{number}. {title}"


def _yi(value: float) -> float:
    return round(value / WAN_PER_YI, 1)


# ------------------------------------------------------------------ sections


def clusters_chart(stats: SurveyStats, lang: Lang) -> Chart:
    zh = lang == "zh"
    return share_bars(
        f"{stats.year}年各产业集群主营业务收入" if zh else f"Revenue of the clusters, {stats.year}",
        [c.name for c in stats.clusters],
        [_yi(float(c.figures.revenue)) for c in stats.clusters],
        "亿元" if zh else "100 million yuan",
    )


def towns_section(diag: TownDiagnosis, title: str, lang: Lang, charts: bool) -> Section:
    zh = lang == "zh"
    blocks: list[Block] = list(diag.sentences(lang))
    if charts:
        industries = [i.industry for i in diag.industries[:HEATMAP_INDUSTRIES]]
        lq = {(t.town, i.industry): i.lq for t in diag.towns for i in t.industries}
        blocks.append(
            heatmap(
                f"{diag.year}年乡镇（街道）×行业区位商"
                if zh
                else f"Location quotients, {diag.year}",
                [t.town for t in diag.towns],
                [diag.name(i, lang) for i in industries],
                [[lq.get((t.town, i)) for i in industries] for t in diag.towns],
                "区位商" if zh else "LQ",
            )
        )
    sep = "、" if zh else ", "
    yes = "是" if zh else "yes"
    blocks.append(
        Table(
            "乡镇（街道）主导产业" if zh else "Leading industries of the towns",
            ["乡镇（街道）", "合计", "有效行业数", "主导产业", "一镇多业"]
            if zh
            else ["town", "total", "effective number", "leading industries", "3+ leading"],
            [
                [
                    t.town,
                    show(t.total),
                    show(t.effective_number),
                    sep.join(diag.name(i, lang) for i in t.leading) or "—",
                    yes if t.many_leading else "",
                ]
                for t in diag.towns
            ],
            left=frozenset({0, 3, 4}),
            widths=(3, 2.4, 2, 6, 1.6),
        )
    )
    blocks.append(
        Table(
            "行业分布与集中度" if zh else "Spread and concentration of the industries",
            ["行业", "合计", "分布镇街数", "HHI", "区位基尼", "EG", "MS"]
            if zh
            else ["industry", "total", "towns", "HHI", "Gini", "EG", "MS"],
            [
                [
                    diag.name(i.industry, lang),
                    show(i.total),
                    str(i.towns_present),
                    show(i.hhi),
                    show(i.gini),
                    show(i.eg),
                    show(i.ms),
                ]
                for i in diag.industries
            ],
            widths=(3, 2.4, 1.6, 1.6, 1.6, 1.6, 1.6),
        )
    )
    return Section(title, blocks)


def plan_section(progress: PlanProgress, title: str, lang: Lang, charts: bool) -> Section:
    zh = lang == "zh"
    blocks: list[Block] = list(progress.sentences(lang))
    yes, no = ("是", "否") if zh else ("yes", "no")
    blocks.append(
        Table(
            "目标档次" if zh else "Tiers",
            ["档次", "门槛（亿元）", "本档集群数", "累计需达到", "现已达到", "是否达到"]
            if zh
            else ["tier", "threshold (100M yuan)", "clusters", "cumulative", "reached", "met"],
            [
                [
                    str(s.tier.tier),
                    show(s.tier.threshold_yi),
                    str(s.tier.clusters_required),
                    str(s.cumulative_required),
                    str(s.reached),
                    yes if s.met else no,
                ]
                for s in progress.tiers
            ],
            left=frozenset(),
        )
    )
    if charts:
        blocks.append(
            tier_bars(
                f"{progress.year}年各规划集群营业收入与应达档次门槛"
                if zh
                else f"Revenue of the planned clusters and their tier thresholds, {progress.year}",
                [c.cluster for c in progress.clusters],
                [_yi(float(c.revenue)) for c in progress.clusters],
                [
                    None if c.threshold is None else _yi(float(c.threshold))
                    for c in progress.clusters
                ],
                f"{progress.year}年营业收入" if zh else f"revenue {progress.year}",
                f"{progress.target_year}年应达档次门槛"
                if zh
                else f"tier threshold for {progress.target_year}",
                "亿元" if zh else "100 million yuan",
            )
        )
    blocks.append(
        Table(
            "规划集群进展" if zh else "Progress of the planned clusters",
            progress_headers(zh),
            progress_rows(progress.clusters),
            left=frozenset({1, 2}),
            widths=(1, 4, 3.4, 2.6, 1.6, 1.2, 1.4, 1.6, 2.4, 1.8, 1.8, 1.8),
        )
    )
    return Section(title, blocks)


def placements_section(table: TownTable, title: str, lang: Lang) -> Section:
    zh = lang == "zh"
    caption = table.text(lang).split("\n", 1)[0]
    total_score = sum((s.score for s in table.towns), Decimal(0))
    towns = Table(
        "乡镇（街道）考核得分与税收分成" if zh else "Towns' scores and tax shares",
        town_headers(zh),
        [
            [
                s.town,
                str(s.attracted),
                str(s.hosted),
                show(s.points_attracting),
                show(s.points_hosting),
                show(s.score),
                show(s.tax_share),
            ]
            for s in table.towns
        ]
        + [
            [
                "合计" if zh else "total",
                str(len(table.splits)),
                str(len(table.splits)),
                show(table.total_points),
                show(table.total_points),
                show(total_score),
                show(table.total_tax),
            ]
        ],
        total=True,
    )
    firms = Table(
        "新增企业明细" if zh else "New enterprises",
        firm_headers(zh),
        firm_rows(table.splits),
        left=frozenset({0, 1, 2}),
        widths=(5, 2.4, 2.4, 1.4, 2.2, 1.8, 1.8, 1.8, 1.8),
    )
    return Section(title, [caption, towns, firms])


# ------------------------------------------------------------------ sheets


def _number(value: object) -> XCell:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


def cluster_sheet(stats: SurveyStats, lang: Lang) -> Sheet:
    fractions = frozenset(
        j for j, (k, _, _) in enumerate(tables.FIELDS) if k in ("revenue_share", "revenue_growth")
    )
    return Sheet(
        f"{stats.year}年产业集群" if lang == "zh" else f"clusters {stats.year}",
        tables.headers(lang),
        [[_number(v) for v in row] for row in tables.rows(stats, lang)],
        fractions,
    )


def towns_sheet(diag: TownDiagnosis, lang: Lang) -> Sheet:
    zh = lang == "zh"
    return Sheet(
        "镇街主导产业" if zh else "towns",
        ["乡镇（街道）", "合计", "有效行业数", "主导产业个数", "主导产业", "一镇多业"]
        if zh
        else ["town", "total", "effective number", "leading", "leading industries", "3+ leading"],
        [
            [
                t.town,
                _number(t.total),
                t.effective_number,
                len(t.leading),
                ("、" if zh else ", ").join(diag.name(i, lang) for i in t.leading),
                ("是" if t.many_leading else "否") if zh else ("yes" if t.many_leading else "no"),
            ]
            for t in diag.towns
        ],
    )


def plan_sheet(progress: PlanProgress, lang: Lang) -> Sheet:
    zh = lang == "zh"
    return Sheet(
        "规划进展" if zh else "plan",
        [
            "序号",
            "产业集群",
            "中心镇街",
            "营业收入（万元）",
            "增长率",
            "排名",
            "应达档次",
            "门槛（万元）",
            "差距（万元）",
            "需年均增长",
            "按现增速可达档次",
            "中心镇街占比",
        ]
        if zh
        else [
            "no",
            "cluster",
            "centre towns",
            "revenue (10k yuan)",
            "growth",
            "rank",
            "tier",
            "threshold (10k yuan)",
            "gap (10k yuan)",
            "required growth",
            "on track for",
            "share in centres",
        ],
        [
            [
                c.no,
                c.cluster,
                "、".join(c.centre_towns),
                _number(c.revenue),
                c.growth,
                c.rank,
                c.assigned_tier,
                _number(c.threshold),
                _number(c.gap),
                c.required_growth,
                c.on_track_tier,
                c.centre_share,
            ]
            for c in progress.clusters
        ],
        frozenset({4, 9, 11}),
    )


def placements_sheet(table: TownTable, lang: Lang) -> Sheet:
    zh = lang == "zh"
    return Sheet(
        "新增企业考核" if zh else "placements",
        town_headers(zh),
        [
            [
                s.town,
                s.attracted,
                s.hosted,
                _number(s.points_attracting),
                _number(s.points_hosting),
                _number(s.score),
                _number(s.tax_share),
            ]
            for s in table.towns
        ],
    )


# ------------------------------------------------------------------ writers


def write_xlsx(doc: Document, path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    pct = workbook.add_format({"num_format": "0.0%"})
    for sheet in doc.sheets:
        ws = workbook.add_worksheet(sheet.name[:31])
        ws.write_row(0, 0, sheet.headers, bold)
        for i, row in enumerate(sheet.rows, start=1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(i, j, value)
                else:
                    ws.write_number(i, j, value, pct if j in sheet.fractions else None)
        ws.set_column(0, len(sheet.headers) - 1, 13)
        ws.freeze_panes(1, 1)
    workbook.close()


def _pdf_widths(table: Table, total: float) -> list[float]:
    weights = list(table.widths or [1.0] * len(table.headers))
    whole = sum(weights)
    return [total * w / whole for w in weights]


# Chinese line breaking: these never start a line (they hang at the end of the previous one),
# these never end one, and a number ("1.6", "13.2%") is never split.
NO_START = set("，。、；：？！）】」』”’》%…,.;:?!)")
NO_END = set("（【「『“‘《(")
_UNIT = re.compile(r"[0-9A-Za-z.%+\-]+|.", re.DOTALL)


def break_lines(text: str, width_of: Callable[[str], float], width: float) -> list[str]:
    """Greedy lines no wider than ``width`` (a hanging punctuation mark may exceed it)."""
    units: list[str] = []
    for unit in _UNIT.findall(text):
        if units and (unit in NO_START or units[-1][-1] in NO_END):
            units[-1] += unit
        else:
            units.append(unit)
    lines: list[str] = []
    line = ""
    for unit in units:
        stem = unit.rstrip("".join(NO_START)) or unit
        if line and width_of(line + stem) > width:
            lines.append(line)
            line = ""
            unit = unit.lstrip(" ")  # an English line starts with its word
        line += unit
    if line:
        lines.append(line)
    return lines


def write_pdf(doc: Document, path: Path) -> None:
    from fpdf import FPDF
    from fpdf.enums import Align, WrapMode, XPos, YPos
    from fpdf.fonts import FontFace

    font = cjk_font()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(18, 16, 18)
    for emphasis in ("", "B"):
        pdf.add_font("cjk", emphasis, font.path, collection_font_number=font.index)
    pdf.set_title(doc.title)
    pdf.set_creator("jiqun")
    pdf.add_page()
    pdf.set_font("cjk", size=17)
    pdf.multi_cell(
        0, 10, doc.title, align=Align.C, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    if doc.meta:
        pdf.set_font("cjk", size=9)
        pdf.set_text_color(100)
        pdf.multi_cell(
            0,
            6,
            doc.meta,
            align=Align.C,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0)
    pdf.ln(3)
    portrait = True
    for number, section in enumerate(doc.sections):
        if number and portrait:
            pdf.ln(4)
        if not portrait:
            pdf.add_page(orientation="portrait")
            portrait = True
        pdf.set_font("cjk", size=14)
        pdf.multi_cell(
            0, 9, section.title, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(1)
        for block in section.blocks:
            if isinstance(block, str):
                if not portrait:
                    pdf.add_page(orientation="portrait")
                    portrait = True
                pdf.set_font("cjk", size=10.5)
                for line in break_lines("　　" + block, pdf.get_string_width, pdf.epw):
                    pdf.cell(pdf.epw, 6.4, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1.5)
            elif isinstance(block, Chart):
                width = min(pdf.epw, block.width_in * 25.4 * 0.8)
                height = width * block.height_in / block.width_in
                if height > pdf.eph * 0.9:
                    height = pdf.eph * 0.9
                    width = height * block.width_in / block.height_in
                if pdf.get_y() + height > pdf.page_break_trigger:
                    pdf.add_page(orientation="portrait" if portrait else "landscape")
                pdf.image(io.BytesIO(block.png), x=(pdf.w - width) / 2, w=width, h=height)
                pdf.ln(3)
            else:
                if block.wide and portrait:
                    pdf.add_page(orientation="landscape")
                    portrait = False
                elif not block.wide and not portrait:
                    pdf.add_page(orientation="portrait")
                    portrait = True
                pdf.set_font("cjk", size=10.5)
                pdf.multi_cell(
                    0, 7, block.title, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
                size = 7 if block.wide else 8.5
                pdf.set_font("cjk", size=size)
                aligns = tuple(
                    Align.L if j in block.left else Align.R for j in range(len(block.headers))
                )
                with pdf.table(
                    col_widths=_pdf_widths(block, pdf.epw),
                    width=pdf.epw,
                    text_align=aligns,
                    wrapmode=WrapMode.CHAR,
                    line_height=size * 0.5,
                    padding=0.8,
                    headings_style=FontFace(emphasis=None, fill_color=(230, 230, 230)),
                ) as grid:
                    grid.row(block.headers)
                    for i, row in enumerate(block.rows):
                        last = block.total and i == len(block.rows) - 1
                        face = FontFace(fill_color=(243, 243, 243)) if last else None
                        grid.row(row, style=face)
                pdf.ln(3)
    pdf.output(str(path))


def _docx_font(run_properties: object, name: str) -> None:
    from docx.oxml.ns import qn

    fonts = run_properties.get_or_add_rFonts()  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), name)


def write_docx(doc: Document, path: Path, font_name: str = "宋体") -> None:
    from docx import Document as Docx
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Inches, Pt

    cjk_font()  # the charts need it: fail before writing anything
    document = Docx()
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2"):
        style = document.styles[style_name]
        _docx_font(style.element.get_or_add_rPr(), font_name)
    document.styles["Normal"].font.size = Pt(10.5)
    first = document.sections[0]
    first.left_margin = first.right_margin = Cm(2.2)
    document.add_heading(doc.title, level=0)
    if doc.meta:
        document.add_paragraph(doc.meta)
    landscape = False

    def orient(wide: bool) -> None:
        nonlocal landscape
        if wide == landscape:
            return
        section = document.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE if wide else WD_ORIENT.PORTRAIT
        width, height = section.page_width, section.page_height
        if width is not None and height is not None and (width < height) == wide:
            section.page_width, section.page_height = height, width
        landscape = wide

    for section in doc.sections:
        orient(False)
        document.add_heading(section.title, level=1)
        for block in section.blocks:
            if isinstance(block, str):
                orient(False)
                paragraph = document.add_paragraph(block)
                paragraph.paragraph_format.first_line_indent = Pt(21)
            elif isinstance(block, Chart):
                width = min(6.3 if not landscape else 9.0, block.width_in * 0.8)
                document.add_picture(io.BytesIO(block.png), width=Inches(width))
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                orient(block.wide)
                document.add_heading(block.title, level=2)
                grid = document.add_table(rows=1 + len(block.rows), cols=len(block.headers))
                grid.style = "Table Grid"
                grid.alignment = WD_TABLE_ALIGNMENT.CENTER
                size = Pt(7.5 if block.wide else 9)
                # Row by row: Table.cell(i, j) walks the whole table each time (quadratic).
                lines = zip(grid.rows, [block.headers, *block.rows], strict=True)
                for i, (line, row) in enumerate(lines):
                    for j, (cell, text) in enumerate(zip(line.cells, row, strict=True)):
                        cell.text = text
                        paragraph = cell.paragraphs[0]
                        if i and j not in block.left:
                            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                        for run in paragraph.runs:
                            run.font.size = size
                            run.font.bold = i == 0 or (block.total and i == len(block.rows))
                document.add_paragraph()
    document.save(str(path))


__all__ = [
    "Block",
    "Document",
    "Section",
    "Sheet",
    "Table",
    "cluster_sheet",
    "clusters_chart",
    "placements_section",
    "placements_sheet",
    "plan_section",
    "plan_sheet",
    "towns_section",
    "towns_sheet",
    "write_docx",
    "write_pdf",
    "write_xlsx",
]
