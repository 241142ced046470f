"""The cluster table of a survey: one row per cluster plus the city, as labelled columns.

Every output of ``jiqun observatory stats`` other than JSON (table, CSV, XLSX) and the report's
appendix table are this one table written out differently.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import xlsxwriter

from jiqun.i18n import Lang
from jiqun.observatory.stats import COUNTS, Number, SurveyStats

# (field, Chinese label, English label)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "产业集群", "cluster"),
    ("firms", "企业数（家）", "firms"),
    ("registered_capital", "注册资金（万元）", "registered capital (10k yuan)"),
    ("provincial_brand_products", "省级名牌产品（件）", "provincial brand products"),
    ("provincial_famous_trademarks", "省著名商标（件）", "provincial famous trademarks"),
    ("national_brand_products", "国家名牌产品（件）", "national brand products"),
    ("china_well_known_trademarks", "全国驰名商标（件）", "China well-known trademarks"),
    ("high_tech_firms", "高新技术企业（家）", "high-tech firms"),
    ("rd_centres", "技术开发中心（处）", "R&D centres"),
    ("revenue", "主营业务收入（万元）", "revenue (10k yuan)"),
    ("profit_tax", "利税（万元）", "profit and tax (10k yuan)"),
    ("profit", "利润（万元）", "profit (10k yuan)"),
    ("revenue_share", "收入占全市比重", "share of revenue"),
    ("revenue_growth", "收入增长率", "revenue growth"),
    ("key_enterprises", "骨干企业", "key enterprises"),
)

Cell = str | Number | None


def headers(lang: Lang = "zh") -> list[str]:
    return [zh if lang == "zh" else en for _, zh, en in FIELDS]


def rows(stats: SurveyStats, lang: Lang = "zh") -> list[list[Cell]]:
    """One row per cluster, then the city's row (全市合计)."""
    out: list[list[Cell]] = []
    for c in stats.clusters:
        f = c.figures
        values: dict[str, Cell] = {
            "name": c.name,
            "firms": f.firms,
            "registered_capital": f.registered_capital,
            **{k: getattr(f, k) for k in COUNTS},
            "high_tech_firms": f.high_tech_firms,
            "rd_centres": f.rd_centres,
            "revenue": f.revenue,
            "profit_tax": f.profit_tax,
            "profit": f.profit,
            "revenue_share": c.share["revenue"],
            "revenue_growth": c.growth["revenue"],
            "key_enterprises": "、".join(c.key_enterprises),
        }
        out.append([values[k] for k, _, _ in FIELDS])
    city = stats.city
    total: dict[str, Cell] = {
        "name": "全市合计" if lang == "zh" else "city total",
        "firms": city.firms,
        "registered_capital": city.registered_capital,
        **{k: getattr(city, k) for k in COUNTS},
        "high_tech_firms": city.high_tech_firms,
        "rd_centres": city.rd_centres,
        "revenue": city.revenue,
        "profit_tax": city.profit_tax,
        "profit": city.profit,
        "revenue_share": 1.0 if city.revenue else None,
        "revenue_growth": stats.city_growth.get("revenue"),
        "key_enterprises": "",
    }
    out.append([total[k] for k, _, _ in FIELDS])
    return out


def _display(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(stats: SurveyStats, lang: Lang = "zh") -> str:
    """An aligned plain-text table (CJK characters count two columns)."""
    body = [[_display(v) for v in row] for row in rows(stats, lang)]
    head = headers(lang)
    grid = [head, *body]
    widths = [max(_width(r[j]) for r in grid) for j in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c + " " * (w - _width(c)) if j in (0, len(cells) - 1) else " " * (w - _width(c)) + c
            for j, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(r) for r in body)]) + "\n"


def csv_text(stats: SurveyStats, lang: Lang = "zh") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers(lang))
    writer.writerows([["" if v is None else v for v in row] for row in rows(stats, lang)])
    return buffer.getvalue()


def write_xlsx(stats: SurveyStats, path: Path, lang: Lang = "zh") -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet(
        f"{stats.year}年产业集群" if lang == "zh" else f"clusters {stats.year}"
    )
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    percent = workbook.add_format({"num_format": "0.0%"})
    sheet.write_row(0, 0, headers(lang), bold)
    fractions = {
        j for j, (k, _, _) in enumerate(FIELDS) if k in ("revenue_share", "revenue_growth")
    }
    for i, row in enumerate(rows(stats, lang), start=1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if j in fractions:
                sheet.write_number(i, j, float(value), percent)
            else:
                sheet.write(i, j, value)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, len(FIELDS) - 2, 12)
    sheet.set_column(len(FIELDS) - 1, len(FIELDS) - 1, 60)
    sheet.freeze_panes(1, 1)
    workbook.close()
