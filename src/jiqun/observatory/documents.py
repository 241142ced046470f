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
from typing import Any

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
        if pdf.get_y() > pdf.page_break_trigger - 40:  # keep a heading with what follows
            pdf.add_page(orientation="portrait")
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
                w_in, h_in = fit_chart(block, pdf.epw / 25.4, pdf.eph * 0.9 / 25.4)
                width, height = w_in * 25.4, h_in * 25.4
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
                if pdf.get_y() > pdf.page_break_trigger - 25:  # a title and a few rows
                    pdf.add_page(orientation="portrait" if portrait else "landscape")
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


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG (its IHDR chunk). The chart's figure size is not
    the picture's: ``bbox_inches="tight"`` crops it."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def fit_chart(chart: Chart, width: float, height: float, scale: float = 0.8) -> tuple[float, float]:
    """The chart's size on the page (any unit): its natural size × ``scale`` in inches,
    shrunk to fit ``width`` × ``height`` given in inches, keeping the picture's proportions."""
    px_w, px_h = png_size(chart.png)
    w = min(width, chart.width_in * scale)
    h = w * px_h / px_w
    if h > height:
        h = height
        w = h * px_w / px_h
    return w, h


# DOCX: A4 as in Chinese offices, 宋体 for text and 黑体 for headings (the names Word knows
# on a Chinese system), East Asian language zh-CN so that Word breaks and spaces Chinese lines.
A4_CM = (21.0, 29.7)
MARGINS_CM = (2.2, 2.5)  # left and right, top and bottom
HEADING_STYLES = ("Title", "Heading 1", "Heading 2")
HEADING_SIZES = {"Title": 18, "Heading 1": 15, "Heading 2": 11.5}


def _east_asian_font(rpr: Any, name: str) -> None:
    """Set the East Asian font of a run properties element (``w:rFonts/@w:eastAsia``). A
    theme font (``w:eastAsiaTheme``, which python-docx's template puts on its headings) would
    win over it, so it is removed."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:eastAsiaTheme", "w:hint"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:eastAsia"), name)


def _docx_styles(document: Any, body_font: str, heading_font: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _east_asian_font(rpr, body_font)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    _east_asian_font(normal.element.get_or_add_rPr(), body_font)
    normal.font.size = Pt(10.5)
    for name in HEADING_STYLES:
        style = document.styles[name]
        _east_asian_font(style.element.get_or_add_rPr(), heading_font)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.size = Pt(HEADING_SIZES[name])
    title = document.styles["Title"].element
    borders = title.find(qn("w:pPr")).find(qn("w:pBdr"))
    if borders is not None:  # the template's blue rule under the title
        borders.getparent().remove(borders)


def _page(section: Any, landscape: bool) -> tuple[float, float]:
    """Lay out a DOCX section as A4 (portrait or landscape); its text width and height in
    inches."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    short, long_ = A4_CM
    width, height = (long_, short) if landscape else (short, long_)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(width), Cm(height)
    section.left_margin = section.right_margin = Cm(MARGINS_CM[0])
    section.top_margin = section.bottom_margin = Cm(MARGINS_CM[1])
    return (width - 2 * MARGINS_CM[0]) / 2.54, (height - 2 * MARGINS_CM[1]) / 2.54


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _docx_table(document: Any, block: Table, text_width_in: float) -> None:
    """A bordered table filling the text width in the block's proportions: the header row
    shaded, bold and repeated on every page, numbers right-aligned, the total row bold."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Inches, Pt

    grid = document.add_table(rows=1 + len(block.rows), cols=len(block.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = [Inches(w) for w in _pdf_widths(block, text_width_in)]
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    margins = OxmlElement("w:tblCellMar")  # a little air above and below the cell text
    for side, twips in (("top", 20), ("left", 60), ("bottom", 20), ("right", 60)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    grid._tbl.tblPr.append(margins)
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(header)
    size = Pt(7.5 if block.wide else 9)
    last = len(block.rows)
    # Row by row: Table.cell(i, j) walks the whole table each time (quadratic).
    lines = zip(grid.rows, [block.headers, *block.rows], strict=True)
    for i, (line, row) in enumerate(lines):
        for j, (cell, text) in enumerate(zip(line.cells, row, strict=True)):
            cell.width = widths[j]
            if i == 0:
                _shade(cell, "E6E6E6")
            elif block.total and i == last:
                _shade(cell, "F3F3F3")
            cell.vertical_alignment = (
                WD_CELL_VERTICAL_ALIGNMENT.CENTER if i == 0 else WD_CELL_VERTICAL_ALIGNMENT.TOP
            )
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.paragraph_format.first_line_indent = Pt(0)
            if i == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif j not in block.left:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(text)
            run.font.size = size
            run.font.bold = i == 0 or (block.total and i == last)


def write_docx(
    doc: Document, path: Path, font_name: str = "宋体", heading_font: str = "黑体"
) -> None:
    """The report as a Word document: A4, wide tables on landscape pages, charts fitted to
    the page, Chinese text in ``font_name`` and headings in ``heading_font`` (w:eastAsia)."""
    from docx import Document as Docx
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt, RGBColor

    cjk_font()  # the charts need it: fail before writing anything
    document = Docx()
    _docx_styles(document, font_name, heading_font)
    document.core_properties.title = doc.title
    document.core_properties.author = "jiqun"
    text_width, text_height = _page(document.sections[0], landscape=False)
    document.add_heading(doc.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    if doc.meta:
        meta = document.add_paragraph()
        meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = meta.add_run(doc.meta)
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    landscape = False

    def orient(wide: bool) -> None:
        nonlocal landscape, text_width, text_height
        if wide == landscape:
            return
        text_width, text_height = _page(document.add_section(WD_SECTION.NEW_PAGE), wide)
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
                width, _ = fit_chart(block, text_width, text_height * 0.85)
                document.add_picture(io.BytesIO(block.png), width=Inches(width))
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                orient(block.wide)
                document.add_heading(block.title, level=2).paragraph_format.keep_with_next = True
                _docx_table(document, block, text_width)
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
