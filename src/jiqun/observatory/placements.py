"""The placement ledger and the towns' annual table (PRODUCT.md O7).

The seed's policy: "凡新增企业所产生分值按照招商乡镇得分100%，承接乡镇得分50%计算" and "所产生税收
地方留成部分由招商乡镇与承接乡镇按照6：4的比例分享". Every new enterprise the city places has an
attracting town (招商乡镇) and a hosting town (承接乡镇); per town and year:

* ``points_attracting``: the points of the enterprises it attracted; ``points_hosting``: of
  those it hosts;
* ``score`` = Σ attract_share × points (attracted) + Σ host_share × points (hosted) — except
  that a town that both attracts and hosts the same enterprise earns max(attract_share,
  host_share) of its points once: 100 %, not 150 %;
* ``tax_share`` = Σ tax_split × local tax (attracted) + Σ (1 − tax_split) × local tax (hosted),
  all of it when the two towns are the same.

The shares default to the seed's 1.0, 0.5 and 0.6 and are configurable. Scores and tax are
official figures: they are computed in exact decimal arithmetic (:class:`decimal.Decimal`) on
the numbers as written in the ledger, never in binary floating point, so the towns' tax
shares add up to the ledger's local tax to the last digit.

A ledger is a CSV or workbook with the columns enterprise, year, attracting_town,
hosting_town, points, local_tax (万元), or their Chinese headers 企业名称, 年度, 招商乡镇,
承接乡镇, 分值, 地方留成税收（万元）. Bad rows are reported as in O1 (file, sheet, row, column,
value, reason) and stop the computation unless the user asks to skip them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, Inexact, localcontext
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from jiqun.i18n import Lang, current_lang
from jiqun.observatory.errors import RowProblem
from jiqun.observatory.plan import (
    Field,
    Mistake,
    TableRows,
    number,
    parse_decimal,
    parse_year,
    read_small_table,
    show,
    text_grid,
)

LEDGER_FIELDS: tuple[Field, ...] = (
    Field("enterprise", ("企业名称", "企业", "单位名称", "name")),
    Field("year", ("年度", "年份", "统计年度")),
    Field("attracting_town", ("招商乡镇", "招商镇街", "招商乡镇（街道）", "attracting")),
    Field("hosting_town", ("承接乡镇", "承接镇街", "承接乡镇（街道）", "hosting")),
    Field("points", ("分值", "考核分值", "得分")),
    Field(
        "local_tax",
        ("地方留成税收（万元）", "地方留成税收", "地方留成（万元）", "税收地方留成（万元）"),
    ),
)

ATTRACT_SHARE = Decimal("1.0")
HOST_SHARE = Decimal("0.5")
TAX_SPLIT = Decimal("0.6")


def parse_ratio(text: str) -> Decimal:
    """A share between 0 and 1, exact: "0.6", "60%" or "6:4" (the attracting town's part of
    a split). Raises ValueError for anything else, or a ratio that is not a finite decimal
    ("2:1")."""
    raw = text.strip().replace("：", ":").replace("％", "%")
    if ":" in raw:
        left, _, right = raw.partition(":")
        a, b = parse_decimal(left), parse_decimal(right)
        if a is None or b is None or a < 0 or b < 0 or a + b == 0:
            raise ValueError(text)
        with localcontext() as context:
            context.traps[Inexact] = True
            try:
                value = a / (a + b)
            except Inexact:
                raise ValueError(text) from None
    elif raw.endswith("%"):
        parsed = parse_decimal(raw[:-1])
        if parsed is None:
            raise ValueError(text)
        value = parsed / 100
    else:
        parsed = parse_decimal(raw)
        if parsed is None:
            raise ValueError(text)
        value = parsed
    if not 0 <= value <= 1:
        raise ValueError(text)
    return value.normalize() if value else Decimal(0)


@dataclass(frozen=True)
class Placement:
    """One row of the ledger."""

    enterprise: str
    year: int
    attracting_town: str
    hosting_town: str
    points: Decimal
    local_tax: Decimal
    row: int

    @property
    def same_town(self) -> bool:
        return self.attracting_town == self.hosting_town


@dataclass(frozen=True)
class Ledger:
    source: str
    placements: tuple[Placement, ...]
    rejects: pl.DataFrame | None = None

    @property
    def rejected(self) -> int:
        return 0 if self.rejects is None else self.rejects.height

    def years(self) -> list[int]:
        return sorted({p.year for p in self.placements})


def load_ledger(path: Path, *, sheet: str | None = None, skip_invalid: bool = False) -> Ledger:
    """Read and check a ledger; bad rows raise :class:`TableRows` or, with ``skip_invalid``,
    come back as ``rejects`` (the user's cells, row number and reasons)."""
    table = read_small_table(path, LEDGER_FIELDS, sheet=sheet)
    problems: list[RowProblem] = list(table.problems)
    placements: list[Placement] = []
    first: dict[tuple[int, str], int] = {}
    for row, cells, _ in table.rows:
        bad: list[tuple[str, str | None, str, dict[str, object]]] = []
        for name in (
            "enterprise",
            "year",
            "attracting_town",
            "hosting_town",
            "points",
            "local_tax",
        ):
            if cells[name] is None:
                bad.append((name, None, "required", {}))
        year = parse_year(cells["year"])
        if cells["year"] is not None and year is None:
            bad.append(("year", cells["year"], "bad_year", {}))
        amounts: dict[str, Decimal] = {}
        for name in ("points", "local_tax"):
            text = cells[name]
            if text is None:
                continue
            value = parse_decimal(text)
            if value is None:
                bad.append((name, text, "not_a_number", {}))
            elif value < 0:
                bad.append((name, text, "negative", {}))
            else:
                amounts[name] = value
        enterprise = cells["enterprise"]
        if enterprise is not None and year is not None:
            key = (year, enterprise)
            if key in first:
                bad.append(("enterprise", enterprise, "duplicate_placement", {"other": first[key]}))
            else:
                first[key] = row
        if bad:
            problems.append(table.problem(row, bad))
            continue
        assert enterprise is not None and year is not None
        attracting, hosting = cells["attracting_town"], cells["hosting_town"]
        assert attracting is not None and hosting is not None
        placements.append(
            Placement(
                enterprise,
                year,
                attracting,
                hosting,
                amounts["points"],
                amounts["local_tax"],
                row,
            )
        )
    problems.sort(key=lambda p: p.row)
    rejects = None
    if problems:
        if not skip_invalid:
            raise TableRows(problems, summary="ledger_invalid_summary")
        rejects = table.rejects(problems)
    return Ledger(str(path), tuple(placements), rejects)


@dataclass
class TownScore:
    """One town's line of the annual table."""

    town: str
    attracted: int = 0
    hosted: int = 0
    points_attracting: Decimal = Decimal(0)
    points_hosting: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    tax_share: Decimal = Decimal(0)


@dataclass(frozen=True)
class Split:
    """How one enterprise's points and tax are shared."""

    placement: Placement
    attracting_score: Decimal
    hosting_score: Decimal
    attracting_tax: Decimal
    hosting_tax: Decimal


@dataclass(frozen=True)
class TownTable:
    year: int
    attract_share: Decimal
    host_share: Decimal
    tax_split: Decimal
    towns: tuple[TownScore, ...]  # by score, descending
    splits: tuple[Split, ...]
    rejected: int = 0
    years: tuple[int, ...] = field(default=())

    @property
    def total_points(self) -> Decimal:
        return sum((s.placement.points for s in self.splits), Decimal(0))

    @property
    def total_tax(self) -> Decimal:
        return sum((s.placement.local_tax for s in self.splits), Decimal(0))

    def to_json(self) -> dict[str, Any]:
        """The shape of ``jiqun observatory placements --format json``."""
        return {
            "year": self.year,
            "unit": "万元",
            "attract_share": number(self.attract_share),
            "host_share": number(self.host_share),
            "tax_split": [number(self.tax_split), number(1 - self.tax_split)],
            "towns": [
                {
                    "town": s.town,
                    "attracted": s.attracted,
                    "hosted": s.hosted,
                    "points_attracting": number(s.points_attracting),
                    "points_hosting": number(s.points_hosting),
                    "score": number(s.score),
                    "tax_share": number(s.tax_share),
                }
                for s in self.towns
            ],
            "enterprises": [
                {
                    "enterprise": s.placement.enterprise,
                    "attracting_town": s.placement.attracting_town,
                    "hosting_town": s.placement.hosting_town,
                    "points": number(s.placement.points),
                    "local_tax": number(s.placement.local_tax),
                    "attracting_score": number(s.attracting_score),
                    "hosting_score": number(s.hosting_score),
                    "attracting_tax": number(s.attracting_tax),
                    "hosting_tax": number(s.hosting_tax),
                }
                for s in self.splits
            ],
            "total": {
                "enterprises": len(self.splits),
                "points": number(self.total_points),
                "score": number(sum((s.score for s in self.towns), Decimal(0))),
                "local_tax": number(self.total_tax),
            },
            "rejected": self.rejected,
        }

    def text(self, lang: Lang | None = None) -> str:
        """The ``--format table`` output: the towns' table, then each enterprise's split."""
        lang = lang or current_lang()
        zh = lang == "zh"
        attract, host = _percent(self.attract_share), _percent(self.host_share)
        split = f"{_plain(self.tax_split * 10)}:{_plain((1 - self.tax_split) * 10)}"
        if zh:
            title = (
                f"{self.year}年新增企业考核得分与税收分成（招商乡镇得分{attract}，承接乡镇得分{host}；"
                f"地方留成税收招商乡镇与承接乡镇按{split}分享；金额单位：万元）"
            )
            head = town_headers(True)
            total = "合计"
        else:
            title = (
                f"{self.year}: new enterprises' points and tax (attracting town {attract}, "
                f"hosting town {host} of the points; local tax split {split}; 10k yuan)"
            )
            head = town_headers(False)
            total = "total"
        rows = [
            [
                s.town,
                str(s.attracted),
                str(s.hosted),
                show(s.points_attracting),
                show(s.points_hosting),
                show(s.score),
                show(s.tax_share),
            ]
            for s in self.towns
        ]
        rows.append(
            [
                total,
                str(len(self.splits)),
                str(len(self.splits)),
                show(self.total_points),
                show(self.total_points),
                show(sum((s.score for s in self.towns), Decimal(0))),
                show(self.total_tax),
            ]
        )
        head2 = firm_headers(zh)
        rows2 = firm_rows(self.splits)
        return (
            title + "\n\n" + text_grid(head, rows) + "\n" + text_grid(head2, rows2, left=(0, 1, 2))
        )


def _plain(value: Decimal) -> str:
    return show(value)


def _percent(value: Decimal) -> str:
    return f"{_plain(value * 100)}%"


def town_table(
    ledger: Ledger,
    year: int | None = None,
    *,
    attract_share: Decimal = ATTRACT_SHARE,
    host_share: Decimal = HOST_SHARE,
    tax_split: Decimal = TAX_SPLIT,
) -> TownTable:
    """The towns' annual table of ``year`` (default: the ledger's latest year)."""
    years = ledger.years()
    if not years:
        raise Mistake("ledger_no_year", year=year if year is not None else "—", years="—")
    if year is None:
        year = years[-1]
    if year not in years:
        raise Mistake("ledger_no_year", year=year, years="、".join(map(str, years)))
    towns: dict[str, TownScore] = {}

    def town(name: str) -> TownScore:
        return towns.setdefault(name, TownScore(name))

    splits: list[Split] = []
    for p in (p for p in ledger.placements if p.year == year):
        a, h = town(p.attracting_town), town(p.hosting_town)
        a.attracted += 1
        a.points_attracting += p.points
        h.hosted += 1
        h.points_hosting += p.points
        if p.same_town:
            score, tax = max(attract_share, host_share) * p.points, p.local_tax
            a.score += score
            a.tax_share += tax
            splits.append(Split(p, score, Decimal(0), tax, Decimal(0)))
            continue
        a_score, h_score = attract_share * p.points, host_share * p.points
        a_tax = tax_split * p.local_tax
        h_tax = p.local_tax - a_tax  # the rest, so that the two shares add up exactly
        a.score += a_score
        h.score += h_score
        a.tax_share += a_tax
        h.tax_share += h_tax
        splits.append(Split(p, a_score, h_score, a_tax, h_tax))
    ordered = sorted(towns.values(), key=lambda s: (-s.score, -s.tax_share, s.town))
    return TownTable(
        year,
        attract_share,
        host_share,
        tax_split,
        tuple(ordered),
        tuple(splits),
        ledger.rejected,
        tuple(years),
    )


# --------------------------------------------------------------------------------------------
# A demo ledger
# --------------------------------------------------------------------------------------------

# New enterprises of 2024 placed by the city after the plan (enterprise, attracting town,
# hosting town — the planned cluster's centre —, points, local retained tax in 万元).
DEMO_PLACEMENTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("诸城市恒泰汽车零部件有限公司", "密州街道", "舜王街道", "30", "186.5"),
    ("山东鑫达新能源汽车配件有限公司", "昌城镇", "舜王街道", "25", "120"),
    ("诸城市华信纺织科技有限公司", "百尺河镇", "龙都街道", "20", "88.4"),
    ("诸城市瑞丰食品有限公司", "昌城镇", "昌城镇", "20", "95"),
    ("山东绿源生物科技有限公司", "林家村镇", "辛兴镇", "15", "63.25"),
    ("诸城市宏达精密铸造有限公司", "百尺河镇", "枳沟镇", "15", "47.8"),
    ("诸城市嘉诚涂料有限公司", "贾悦镇", "相州镇", "10", "33"),
    ("诸城市金源电机有限公司", "密州街道", "密州街道", "18", "72.6"),
    ("诸城市聚丰木业有限公司", "舜王街道", "石桥子镇", "12", "28.9"),
    ("诸城市桃源茶业有限公司", "林家村镇", "桃林镇", "8", "15.5"),
    ("诸城市博远箱包有限公司", "龙都街道", "林家村镇", "8", "12.3"),
    ("山东盛世装备制造有限公司", "密州街道", "皇华镇", "22", "101.75"),
)

DEMO_HEADER = ("企业名称", "年度", "招商乡镇", "承接乡镇", "分值", "地方留成税收（万元）")


def write_demo_ledger(path: Path, year: int = 2024) -> None:
    """Write the demo ledger as .csv (UTF-8 with BOM) or .xlsx, with Chinese headers."""
    rows: Sequence[Sequence[str]] = [
        (name, str(year), attracting, hosting, points, tax)
        for name, attracting, hosting, points, tax in DEMO_PLACEMENTS
    ]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(DEMO_HEADER)
            writer.writerows(rows)
        return
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"unsupported ledger format: {path.suffix or path.name}")
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("新增企业台账")
    sheet.write_row(0, 0, DEMO_HEADER, workbook.add_format({"bold": True}))
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if j in (1, 4, 5):
                sheet.write_number(i, j, float(value))
            else:
                sheet.write_string(i, j, value)
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 5, 14)
    workbook.close()


__all__ = [
    "ATTRACT_SHARE",
    "HOST_SHARE",
    "LEDGER_FIELDS",
    "TAX_SPLIT",
    "Ledger",
    "Placement",
    "TownTable",
    "load_ledger",
    "parse_ratio",
    "town_table",
    "write_demo_ledger",
]


def town_headers(zh: bool) -> list[str]:
    """The columns of the towns' table (the command's, the report's and the workbook's)."""
    return list(_TOWN_HEADERS[0 if zh else 1])


_TOWN_HEADERS = (
    (
        "乡镇（街道）",
        "招商企业数",
        "承接企业数",
        "招商分值",
        "承接分值",
        "考核得分",
        "税收分成（万元）",
    ),
    ("town", "attracted", "hosted", "points attracting", "points hosting", "score", "tax share"),
)


def firm_rows(splits: Iterable[Split]) -> list[list[str]]:
    """The rows of the enterprises' split table (the command's and the report's)."""
    return [
        [
            s.placement.enterprise,
            s.placement.attracting_town,
            s.placement.hosting_town,
            show(s.placement.points),
            show(s.placement.local_tax),
            show(s.attracting_score),
            show(s.hosting_score),
            show(s.attracting_tax),
            show(s.hosting_tax),
        ]
        for s in splits
    ]


def firm_headers(zh: bool) -> list[str]:
    """The columns of the enterprises' split table (the command's and the report's)."""
    return list(_FIRM_HEADERS[0 if zh else 1])


_FIRM_HEADERS = (
    (
        "企业名称",
        "招商乡镇",
        "承接乡镇",
        "分值",
        "地方留成税收（万元）",
        "招商乡镇得分",
        "承接乡镇得分",
        "招商乡镇税收",
        "承接乡镇税收",
    ),
    (
        "enterprise",
        "attracting",
        "hosting",
        "points",
        "local tax",
        "attracting score",
        "hosting score",
        "attracting tax",
        "hosting tax",
    ),
)
