"""The plan, its revenue tiers and where each planned cluster stands (PRODUCT.md O6).

A plan (``shared/data/zhucheng_cluster_plan.csv``) lists clusters with their centre towns and
key enterprises; its targets (``zhucheng_plan_targets.csv``) are revenue tiers: the seed's
"三二三三三" asks within five years for 3 clusters over 100亿元, 2 over 50亿, 3 over 30亿,
3 over 20亿 and 3 over 10亿. Tiers are cumulative — 3 at ≥ 100亿, 5 at ≥ 50亿, 8 at ≥ 30亿,
11 at ≥ 20亿, 14 at ≥ 10亿 — and the plan is met when every cumulative requirement is.

For a year Y and a target year T, per planned cluster:

* ``revenue`` (万元, the register's unit) of year Y, ``previous`` of Y−1 and ``growth`` over it;
* ``assigned_tier``: the clusters ranked by revenue fill the tiers' slots top-down (the three
  largest take tier 1's three slots, the next two tier 2's …); a cluster beyond the last slot
  has none;
* ``projected``: revenue × (1 + growth)^(T − Y), and ``on_track_tier``, the highest tier whose
  threshold the projection reaches;
* ``gap`` to the assigned tier's threshold (0 when reached) and ``required_growth``, the
  compound annual growth that takes it there: (threshold / revenue)^(1 / (T − Y)) − 1
  (negative when the cluster is above its threshold already: the decline it could afford);
* ``centre_share``: the share of its revenue inside its centre towns (O5's plan alignment).

Thresholds are read in 亿元; 1亿元 = 10,000万元. Planned clusters are matched to the register by
name (its cluster column) or by definitions over industry codes (``--clusters FILE``, else the
14 Zhucheng clusters of ``data/zhucheng_plan_clusters.toml``).

The module also holds what the plan, targets and ledger files share: :func:`read_small_table`
reads a small CSV or workbook with its own columns (the register reader looks for register
columns) and reports bad rows as the register does (file, sheet, row, column, value, reason).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl
import python_calamine as calamine

from jiqun.cnnum import chinese_numeral, percent, wan_yuan
from jiqun.i18n import Lang, current_lang, t
from jiqun.observatory.clusters import ClusterDefinitions, parse_definitions
from jiqun.observatory.errors import CellProblem, FileProblem, InvalidRows, RowProblem, UserError
from jiqun.observatory.reading import (
    EXCEL_SUFFIXES,
    HEADER_SEARCH_ROWS,
    _cell_text,
    _decode,
    _sniff_delimiter,
)
from jiqun.observatory.register import Register
from jiqun.observatory.schema import header_key
from jiqun.observatory.stats import Number, tidy

WAN_PER_YI = 10_000
PLAN_CLUSTER = "_plan_cluster"
MatchedBy = Literal["definitions", "name"]


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


class Mistake(UserError):
    """A mistake that is not in one cell: a message key of :mod:`jiqun.i18n` and its fields."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        return [t(self.key, lang, **self.fields)]


class TableRows(InvalidRows):
    """Bad rows of a plan, targets or ledger file: each row, then the file's own summary."""

    def __init__(self, problems: list[RowProblem], summary: str = "file_invalid_summary") -> None:
        self.summary = summary
        super().__init__(problems)

    def lines(self, lang: Lang | None = None) -> list[str]:
        shown = [p.message(lang) for p in self.problems[: self.LIMIT]]
        if len(self.problems) > self.LIMIT:
            shown.append(t("more_problems", lang, count=len(self.problems) - self.LIMIT))
        shown.append(t(self.summary, lang, count=len(self.problems)))
        return shown


# --------------------------------------------------------------------------------------------
# Small tables with their own columns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A column of a small table: canonical name, the headers that name it, required or not."""

    name: str
    aliases: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class SmallTable:
    """A small table as text: ``headers`` maps each found field to the user's header; every
    row is (the row number the user sees, its cells by field, all its cells as written)."""

    path: Path
    sheet: str | None
    headers: dict[str, str]
    all_headers: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str | None], tuple[str | None, ...]], ...]
    problems: tuple[RowProblem, ...]  # rows with cells right of the header (nothing is lost)

    def problem(
        self, row: int, cells: Iterable[tuple[str, str | None, str, dict[str, object]]]
    ) -> RowProblem:
        """A :class:`RowProblem` of ``row`` from (field, value, reason, fields) tuples."""
        return RowProblem(
            str(self.path),
            self.sheet,
            row,
            tuple(
                CellProblem(self.headers.get(f, f), v or "", reason, tuple(extra.items()))
                for f, v, reason, extra in cells
            ),
        )

    def rejects(self, problems: Sequence[RowProblem]) -> pl.DataFrame:
        """The rejected rows as the user wrote them, with 行号 and 问题 (as O1's rejects)."""
        bad = {p.row: "；".join(c.message() for c in p.cells) for p in problems}
        names = [h or f"列{i + 1}" for i, h in enumerate(self.all_headers)]
        out: dict[str, list[Any]] = {"行号": [], **{n: [] for n in names}, "问题": []}
        for row, _, raw in self.rows:
            if row in bad:
                out["行号"].append(row)
                for n, value in zip(names, raw, strict=False):
                    out[n].append(value)
                out["问题"].append(bad[row])
        ragged = [p for p in problems if p.row not in {r for r, _, _ in self.rows}]
        for p in ragged:
            out["行号"].append(p.row)
            for n in names:
                out[n].append(None)
            out["问题"].append(bad[p.row])
        return pl.DataFrame(out, schema={k: pl.Int64 if k == "行号" else pl.String for k in out})


def _lookup(fields: Sequence[Field]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in fields:
        for alias in (f.name, *f.aliases):
            key = header_key(alias)
            out[key] = f.name
            out.setdefault(re.sub(r"\((万元|亿元)\)$", "", key), f.name)
    return out


def _blank(cells: Sequence[str | None]) -> bool:
    return not any(c and c.strip() for c in cells)


def read_small_table(
    path: Path, fields: Sequence[Field], *, sheet: str | None = None
) -> SmallTable:
    """Read a CSV (UTF-8, BOM, GBK/GB18030) or workbook whose header names ``fields``.

    The header is the row, among the first 20, naming the most fields; every required field
    must be there. Blank rows are spacing; a row with values right of the header is a problem
    (kept in ``problems``), never silently cut.
    """
    if not path.exists():
        raise FileProblem(path, "file_missing")
    if path.stat().st_size == 0:
        raise FileProblem(path, "file_empty")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        records, sheet_name = _csv_records(path), None
    elif suffix in EXCEL_SUFFIXES:
        records, sheet_name = _excel_records(path, sheet)
    else:
        raise FileProblem(path, "small_file_format", suffix=suffix or path.name)
    lookup = _lookup(fields)

    def named(cells: Sequence[str | None]) -> set[str]:
        return {lookup[k] for k in (header_key(c) for c in cells if c) if k in lookup}

    best, best_score = -1, 0
    for i, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        score = len(named(cells))
        if score > best_score:
            best, best_score = i, score
    required = [f for f in fields if f.required]
    if best < 0:
        if all(_blank(cells) for _, cells in records):
            raise FileProblem(path, "file_empty")
        names = "、".join(f.aliases[0] for f in required)
        raise FileProblem(path, "no_header", rows=HEADER_SEARCH_ROWS, required=names)
    header = [(c or "").strip() for c in records[best][1]]
    while header and not header[-1]:
        header.pop()
    headers: dict[str, str] = {}
    index: dict[str, int] = {}
    by_name = {f.name: f for f in fields}
    for j, text in enumerate(header):
        name = lookup.get(header_key(text)) if text else None
        if name is None:
            continue
        if name in headers:
            raise FileProblem(
                path,
                "duplicate_column",
                first=headers[name],
                second=text,
                canonical=by_name[name].aliases[0],
            )
        headers[name], index[name] = text, j
    missing = [f.aliases[0] for f in required if f.name not in headers]
    if missing:
        raise FileProblem(path, "missing_columns", columns="、".join(missing))
    width = len(header)
    rows: list[tuple[int, dict[str, str | None], tuple[str | None, ...]]] = []
    problems: list[RowProblem] = []
    for number, cells in records[best + 1 :]:
        if _blank(cells):
            continue
        extra = [c for c in cells[width:] if c and c.strip()]
        if extra:
            problems.append(
                RowProblem(
                    str(path),
                    sheet_name,
                    number,
                    (
                        CellProblem(
                            "",
                            extra[0][:60],
                            "ragged_row",
                            (("found", len(cells)), ("expected", width)),
                        ),
                    ),
                )
            )
            continue
        raw = tuple((cells[j] if j < len(cells) else None) for j in range(width))
        values = {name: _clean(raw[j]) for name, j in index.items()}
        rows.append((number, values, raw))
    if not rows and not problems:
        raise FileProblem(path, "no_rows")
    return SmallTable(path, sheet_name, headers, tuple(header), tuple(rows), tuple(problems))


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _csv_records(path: Path) -> list[tuple[int, list[str | None]]]:
    _, data = _decode(path, path.read_bytes())
    text = data.decode("utf-8")
    lines = text.splitlines()[: HEADER_SEARCH_ROWS + 2]
    delimiter = _sniff_delimiter(max(lines, key=len) if lines else "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(i + 1, [c if c != "" else None for c in record]) for i, record in enumerate(reader)]


def _excel_records(path: Path, sheet: str | None) -> tuple[list[tuple[int, list[str | None]]], str]:
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        names: list[str] = list(workbook.sheet_names)
        if sheet is not None and sheet not in names:
            raise FileProblem(path, "no_sheet", sheet=sheet, sheets="、".join(names))
        loaded = [(n, workbook.get_sheet_by_name(n)) for n in names if sheet in (None, n)]
    except FileProblem:
        raise
    except Exception as e:  # calamine's own error types, for a corrupt or damaged file
        raise FileProblem(path, "file_unreadable", detail=str(e)) from None
    with_data = [(n, s) for n, s in loaded if s.height > 0]
    if not with_data:
        raise FileProblem(path, "file_empty")
    if len(with_data) > 1:
        raise FileProblem(path, "several_sheets", sheets="、".join(n for n, _ in with_data))
    name, content = with_data[0]
    cells: list[list[Any]] = content.to_python(skip_empty_area=False)
    return [(i + 1, [_cell_text(v) for v in row]) for i, row in enumerate(cells)], name


# --------------------------------------------------------------------------------------------
# Cell parsing
# --------------------------------------------------------------------------------------------


def parse_decimal(text: str | None) -> Decimal | None:
    """A number as written in Chinese office files (full-width digits, thousands separators)
    as an exact decimal; None when it is not a finite number."""
    if text is None:
        return None
    plain = unicodedata.normalize("NFKC", text)
    plain = re.sub(r"[,\s'，]", "", plain).replace("−", "-")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_int(text: str | None) -> int | None:
    value = parse_decimal(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def parse_year(text: str | None) -> int | None:
    value = parse_int(text.strip().removesuffix("年") if text else None)
    return value if value is not None and 1900 <= value <= 2200 else None


def number(value: Decimal) -> int | float:
    """A decimal for JSON: an int when whole, else the float printed with the same digits."""
    return int(value) if value == value.to_integral_value() else float(value)


# --------------------------------------------------------------------------------------------
# Plan and targets files
# --------------------------------------------------------------------------------------------

PLAN_FIELDS: tuple[Field, ...] = (
    Field("no", ("序号", "编号", "number"), required=False),
    Field("cluster", ("产业集群", "集群", "集群名称", "规划集群", "name")),
    Field(
        "centre_towns",
        ("中心镇街", "中心乡镇", "中心乡镇（街道）", "中心", "center_towns", "centre_town"),
    ),
    Field("key_enterprises", ("骨干企业",), required=False),
    Field("note", ("备注", "说明", "notes"), required=False),
)

TARGET_FIELDS: tuple[Field, ...] = (
    Field("tier", ("档次", "层级", "梯队", "级别")),
    Field(
        "revenue_threshold_yi",
        (
            "营业收入门槛（亿元）",
            "收入门槛（亿元）",
            "门槛（亿元）",
            "营业收入（亿元）",
            "threshold_yi",
        ),
    ),
    Field("clusters_required", ("集群数", "集群个数", "需达到集群数", "个数", "clusters")),
)

_LIST_SEPARATORS = re.compile(r"[|｜、，,;；/\s]+")


def split_list(text: str | None) -> tuple[str, ...]:
    """ "龙都街道|皇华镇" (or 、，; separated) → ("龙都街道", "皇华镇")."""
    if not text:
        return ()
    return tuple(p for p in _LIST_SEPARATORS.split(text) if p)


@dataclass(frozen=True)
class PlannedCluster:
    no: int | None
    name: str
    centre_towns: tuple[str, ...]
    key_enterprises: tuple[str, ...]
    note: str | None
    row: int


@dataclass(frozen=True)
class Plan:
    source: str
    sheet: str | None
    clusters: tuple[PlannedCluster, ...]
    centre_header: str

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clusters]


def load_plan(path: Path, *, sheet: str | None = None) -> Plan:
    """Read a plan file shaped like ``zhucheng_cluster_plan.csv``; bad rows are an error."""
    table = read_small_table(path, PLAN_FIELDS, sheet=sheet)
    problems = list(table.problems)
    clusters: list[PlannedCluster] = []
    first_row: dict[str, int] = {}
    for row, cells, _ in table.rows:
        bad: list[tuple[str, str | None, str, dict[str, object]]] = []
        name = cells["cluster"]
        if name is None:
            bad.append(("cluster", None, "required", {}))
        elif name in first_row:
            bad.append(("cluster", name, "duplicate_plan_cluster", {"other": first_row[name]}))
        towns = split_list(cells["centre_towns"])
        if not towns:
            bad.append(("centre_towns", cells["centre_towns"], "required", {}))
        no = cells.get("no")
        number_ = parse_int(no) if no is not None else None
        if no is not None and (number_ is None or number_ < 1):
            bad.append(("no", no, "not_a_positive_integer", {}))
        if bad:
            problems.append(table.problem(row, bad))
            continue
        assert name is not None
        first_row[name] = row
        clusters.append(
            PlannedCluster(
                number_,
                name,
                towns,
                split_list(cells.get("key_enterprises")),
                cells.get("note"),
                row,
            )
        )
    if problems:
        raise TableRows(sorted(problems, key=lambda p: p.row))
    return Plan(str(path), table.sheet, tuple(clusters), table.headers["centre_towns"])


@dataclass(frozen=True)
class Tier:
    tier: int
    threshold_yi: Decimal
    clusters_required: int

    @property
    def threshold(self) -> Number:
        """The threshold in 万元, the register's unit."""
        return number(self.threshold_yi * WAN_PER_YI)


@dataclass(frozen=True)
class Targets:
    source: str
    tiers: tuple[Tier, ...]  # by tier number; thresholds fall as the number rises

    @property
    def slots(self) -> list[int]:
        """The tier of each slot, top-down: [1, 1, 1, 2, 2, 3, …] for 三二三三三."""
        return [tier.tier for tier in self.tiers for _ in range(tier.clusters_required)]

    def code(self) -> str:
        """The plan's name from its counts: "三二三三三"."""
        return "".join(
            chinese_numeral(t.clusters_required) if t.clusters_required else "零"
            for t in self.tiers
        )


def load_targets(path: Path, *, sheet: str | None = None) -> Targets:
    """Read tiers shaped like ``zhucheng_plan_targets.csv``; bad rows are an error."""
    table = read_small_table(path, TARGET_FIELDS, sheet=sheet)
    problems = list(table.problems)
    tiers: list[tuple[int, Tier]] = []
    first_row: dict[int, int] = {}
    for row, cells, _ in table.rows:
        bad: list[tuple[str, str | None, str, dict[str, object]]] = []
        tier = parse_int(cells["tier"])
        if cells["tier"] is None:
            bad.append(("tier", None, "required", {}))
        elif tier is None or tier < 1:
            bad.append(("tier", cells["tier"], "not_a_positive_integer", {}))
        elif tier in first_row:
            bad.append(("tier", cells["tier"], "duplicate_tier", {"other": first_row[tier]}))
        threshold = parse_decimal(cells["revenue_threshold_yi"])
        if cells["revenue_threshold_yi"] is None:
            bad.append(("revenue_threshold_yi", None, "required", {}))
        elif threshold is None:
            bad.append(("revenue_threshold_yi", cells["revenue_threshold_yi"], "not_a_number", {}))
        elif threshold <= 0:
            bad.append(("revenue_threshold_yi", cells["revenue_threshold_yi"], "not_positive", {}))
        required = parse_int(cells["clusters_required"])
        if cells["clusters_required"] is None:
            bad.append(("clusters_required", None, "required", {}))
        elif required is None:
            bad.append(("clusters_required", cells["clusters_required"], "not_an_integer", {}))
        elif required < 0:
            bad.append(("clusters_required", cells["clusters_required"], "negative", {}))
        if bad:
            problems.append(table.problem(row, bad))
            continue
        assert tier is not None and threshold is not None and required is not None
        first_row[tier] = row
        tiers.append((row, Tier(tier, threshold, required)))
    ordered = sorted(tiers, key=lambda rt: rt[1].tier)
    for (_, upper), (row, lower) in itertools.pairwise(ordered):
        if lower.threshold_yi >= upper.threshold_yi:
            problems.append(
                table.problem(
                    row,
                    [
                        (
                            "revenue_threshold_yi",
                            str(lower.threshold_yi),
                            "threshold_order",
                            {"tier": upper.tier, "threshold": upper.threshold_yi},
                        )
                    ],
                )
            )
    if problems:
        raise TableRows(sorted(problems, key=lambda p: p.row))
    if not ordered:
        raise FileProblem(path, "no_rows")
    return Targets(str(path), tuple(tier for _, tier in ordered))


# --------------------------------------------------------------------------------------------
# Planned clusters in the register
# --------------------------------------------------------------------------------------------


def default_plan_definitions() -> ClusterDefinitions:
    """The 14 planned Zhucheng clusters over GB/T 4754-2017 codes (see the file's notes)."""
    text = (
        resources.files("jiqun.observatory")
        .joinpath("data/zhucheng_plan_clusters.toml")
        .read_text("utf-8")
    )
    return parse_definitions(text, "zhucheng_plan_clusters.toml")


@dataclass(frozen=True)
class PlanMatch:
    """How the register's firms were matched to the planned clusters."""

    matched_by: MatchedBy
    source: str  # the definitions file, or the register for names
    unmatched: tuple[str, ...]  # planned clusters the register's cluster column never names


def assign_plan_clusters(
    register: Register, plan: Plan, definitions: ClusterDefinitions | None = None
) -> tuple[pl.DataFrame, PlanMatch]:
    """The register with ``_plan_cluster``: the planned cluster of each firm, else null.

    ``definitions`` (codes) if given; else the register's cluster column by name; else the
    shipped definitions of the 14 Zhucheng clusters. Definitions must define every planned
    cluster.
    """
    names = plan.names
    if definitions is None and "cluster" in register.present:
        column = pl.col("cluster")
        frame = register.frame.with_columns(
            pl.when(column.is_in(names)).then(column).alias(PLAN_CLUSTER)
        )
        present = set(register.frame["cluster"].drop_nulls().unique().to_list())
        unmatched = tuple(n for n in names if n not in present)
        return frame, PlanMatch("name", register.source, unmatched)
    defaulted = definitions is None
    defs = definitions or default_plan_definitions()
    missing = [n for n in names if n not in defs.names]
    if missing:
        if defaulted:
            raise Mistake("plan_clusters_default", clusters="、".join(missing))
        raise FileProblem(defs.source, "plan_clusters_missing", clusters="、".join(missing))
    if "industry_code" not in register.present:
        raise FileProblem(register.source, "no_cluster_source")
    assigned = defs.assign(pl.col("industry_code"))
    frame = register.frame.with_columns(
        pl.when(assigned.is_in(names)).then(assigned).alias(PLAN_CLUSTER)
    )
    return frame, PlanMatch("definitions", defs.source, ())


def resolve_centres(plan: Plan, towns: Collection[str]) -> Plan:
    """The plan with its centre towns named as the register names them: exactly, or the one
    town whose name starts with the plan's ("密州" → "密州街道"). Unknown towns are errors."""
    known = sorted(towns)
    problems: list[RowProblem] = []
    clusters: list[PlannedCluster] = []
    listing = "、".join(known)
    for cluster in plan.clusters:
        resolved: list[str] = []
        cells: list[CellProblem] = []
        for town in cluster.centre_towns:
            if town in towns:
                resolved.append(town)
                continue
            candidates = [k for k in known if k.startswith(town)]
            if len(candidates) == 1:
                resolved.append(candidates[0])
            else:
                reason = "ambiguous_town" if candidates else "unknown_town"
                found = "、".join(candidates) if candidates else listing
                cells.append(CellProblem(plan.centre_header, town, reason, (("towns", found),)))
        if cells:
            problems.append(RowProblem(plan.source, plan.sheet, cluster.row, tuple(cells)))
        clusters.append(
            PlannedCluster(
                cluster.no,
                cluster.name,
                tuple(dict.fromkeys(resolved)),
                cluster.key_enterprises,
                cluster.note,
                cluster.row,
            )
        )
    if problems:
        raise TableRows(problems)
    return Plan(plan.source, plan.sheet, tuple(clusters), plan.centre_header)


@dataclass(frozen=True)
class OutsideFirm:
    name: str
    town: str
    industry_code: str | None
    value: Number


@dataclass(frozen=True)
class CentreShare:
    """A planned cluster's activity inside its centre towns, and the firms outside them."""

    cluster: str
    centre_towns: tuple[str, ...]
    total: Number
    inside: Number
    share_inside: float | None
    firms: int
    firms_inside: int
    firms_outside: tuple[OutsideFirm, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "centre_towns": list(self.centre_towns),
            "total": self.total,
            "inside": self.inside,
            "share_inside": self.share_inside,
            "firms": self.firms,
            "firms_inside": self.firms_inside,
            "firms_outside": [
                {"name": f.name, "town": f.town, "industry_code": f.industry_code, "value": f.value}
                for f in self.firms_outside
            ],
        }


def centre_shares(
    frame: pl.DataFrame, plan: Plan, year: int, value: pl.Expr
) -> tuple[CentreShare, ...]:
    """Per planned cluster of ``frame`` (with ``_plan_cluster``) in ``year``: ``value``
    (revenue, employees or 1 per firm) in all towns and inside its centre towns."""
    firms = (
        frame.lazy()
        .filter((pl.col("year") == year) & pl.col(PLAN_CLUSTER).is_not_null())
        .select(
            PLAN_CLUSTER,
            "name",
            "town",
            "industry_code",
            value.cast(pl.Float64).fill_null(0.0).alias("_value"),
        )
        .sort(["_value", "name"], descending=[True, False])
        .collect()
    )
    by_cluster = {key[0]: part for key, part in firms.group_by(PLAN_CLUSTER)}
    out: list[CentreShare] = []
    for cluster in plan.clusters:
        part = by_cluster.get(cluster.name)
        if part is None:
            out.append(CentreShare(cluster.name, cluster.centre_towns, 0, 0, None, 0, 0, ()))
            continue
        inside = part.filter(pl.col("town").is_in(list(cluster.centre_towns)))
        outside = part.filter(~pl.col("town").is_in(list(cluster.centre_towns)))
        total = float(part["_value"].sum())
        inside_total = float(inside["_value"].sum())
        out.append(
            CentreShare(
                cluster.name,
                cluster.centre_towns,
                tidy(total),
                tidy(inside_total),
                inside_total / total if total else None,
                part.height,
                inside.height,
                tuple(
                    OutsideFirm(name, town, code, tidy(v))
                    for name, town, code, v in outside.select(
                        "name", "town", "industry_code", "_value"
                    ).iter_rows()
                ),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Progress towards the targets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierStatus:
    tier: Tier
    cumulative_required: int
    reached: int

    @property
    def met(self) -> bool:
        return self.reached >= self.cumulative_required


@dataclass(frozen=True)
class ClusterProgress:
    no: int | None
    cluster: str
    centre_towns: tuple[str, ...]
    revenue: Number
    previous: Number | None
    growth: float | None
    rank: int
    assigned_tier: int | None
    threshold: Number | None
    gap: Number | None
    required_growth: float | None
    projected: Number | None
    on_track_tier: int | None
    centre_share: float | None


@dataclass(frozen=True)
class PlanProgress:
    year: int
    target_year: int
    targets: Targets
    tiers: tuple[TierStatus, ...]
    clusters: tuple[ClusterProgress, ...]
    match: PlanMatch

    @property
    def met(self) -> bool:
        return all(t.met for t in self.tiers)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``jiqun observatory plan --format json``."""
        return {
            "year": self.year,
            "target_year": self.target_year,
            "unit": "万元",
            "plan": self.targets.code(),
            "met": self.met,
            "matched_by": self.match.matched_by,
            "definitions": self.match.source if self.match.matched_by == "definitions" else None,
            "unmatched": list(self.match.unmatched),
            "tiers": [
                {
                    "tier": s.tier.tier,
                    "threshold_yi": number(s.tier.threshold_yi),
                    "threshold": s.tier.threshold,
                    "clusters_required": s.tier.clusters_required,
                    "cumulative_required": s.cumulative_required,
                    "reached": s.reached,
                    "met": s.met,
                }
                for s in self.tiers
            ],
            "clusters": [
                {
                    "no": c.no,
                    "cluster": c.cluster,
                    "centre_towns": list(c.centre_towns),
                    "revenue": c.revenue,
                    "previous": c.previous,
                    "growth": c.growth,
                    "rank": c.rank,
                    "assigned_tier": c.assigned_tier,
                    "threshold": c.threshold,
                    "gap": c.gap,
                    "required_growth": c.required_growth,
                    "projected": c.projected,
                    "on_track_tier": c.on_track_tier,
                    "centre_share": c.centre_share,
                }
                for c in self.clusters
            ],
        }

    def sentences(self, lang: Lang | None = None) -> list[str]:
        """The targets and where the clusters stand, in the seed's words."""
        lang = lang or current_lang()
        tiers = self.tiers
        yi = [_plain(s.tier.threshold_yi) for s in tiers]
        if lang == "en":
            over = [wan_yuan(s.tier.threshold, "en") for s in tiers]
            goal = ", ".join(
                f"{s.tier.clusters_required} over {o}" for s, o in zip(tiers, over, strict=True)
            )
            status = "; ".join(
                f"{s.reached} over {o} (cumulative requirement {s.cumulative_required})"
                for s, o in zip(tiers, over, strict=True)
            )
            missed = sum(1 for s in tiers if not s.met)
            verdict = (
                "every tier is reached."
                if self.met
                else f"{missed} of {len(tiers)} tiers are not reached yet."
            )
            return [
                f'Plan "{self.targets.code()}": by {self.target_year}, clusters with revenue '
                f"of {goal}.",
                f"In {self.year}: {status}; {verdict}",
            ]
        goal = "、".join(
            f"{s.tier.clusters_required}个营业收入过{y}亿元" for s, y in zip(tiers, yi, strict=True)
        )
        parts = [
            f"营业收入过{y}亿元的集群{s.reached}个（累计需{s.cumulative_required}个）"
            if i == 0
            else f"过{y}亿元的{s.reached}个（累计需{s.cumulative_required}个）"
            for i, (s, y) in enumerate(zip(tiers, yi, strict=True))
        ]
        missed = sum(1 for s in tiers if not s.met)
        verdict = "各档目标均已达到。" if self.met else f"尚有{missed}档未达到。"
        return [
            f"“{self.targets.code()}”计划：到{self.target_year}年培育{goal}的产业集群。",
            f"{self.year}年，{'，'.join(parts)}；{verdict}",
        ]

    def text(self, lang: Lang | None = None) -> str:
        """The ``--format table`` output: sentences, the tiers and the clusters."""
        lang = lang or current_lang()
        zh = lang == "zh"
        tier_head = (
            ["档次", "门槛（亿元）", "本档集群数", "累计需达到", "现已达到", "是否达到"]
            if zh
            else ["tier", "threshold (100M yuan)", "clusters", "cumulative", "reached", "met"]
        )
        yes, no = ("是", "否") if zh else ("yes", "no")
        tier_rows = [
            [
                str(s.tier.tier),
                _plain(s.tier.threshold_yi),
                str(s.tier.clusters_required),
                str(s.cumulative_required),
                str(s.reached),
                yes if s.met else no,
            ]
            for s in self.tiers
        ]
        head = progress_headers(zh)
        rows = progress_rows(self.clusters)
        lines = [*self.sentences(lang), ""]
        if self.match.unmatched:
            lines += [t("plan_unmatched", lang, clusters="、".join(self.match.unmatched)), ""]
        return (
            "\n".join(lines)
            + "\n"
            + text_grid(tier_head, tier_rows)
            + "\n"
            + text_grid(head, rows, left=(1, 2))
        )


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def progress(
    register: Register,
    plan: Plan,
    targets: Targets,
    target_year: int,
    year: int | None = None,
    definitions: ClusterDefinitions | None = None,
) -> PlanProgress:
    """Where each planned cluster stands in ``year`` (default: the latest) against the tiers
    to reach by ``target_year``."""
    years = register.years()
    if year is None:
        year = years[-1]
    if year not in years:
        raise FileProblem(register.source, "no_year", year=year, years="、".join(map(str, years)))
    if target_year <= year:
        raise Mistake("target_year", target=target_year, year=year)
    horizon = target_year - year
    frame, match = assign_plan_clusters(register, plan, definitions)
    towns = set(register.frame["town"].drop_nulls().unique().to_list())
    plan = resolve_centres(plan, towns)
    sums = (
        frame.filter(pl.col(PLAN_CLUSTER).is_not_null() & pl.col("year").is_in([year, year - 1]))
        .group_by(PLAN_CLUSTER, "year")
        .agg(pl.col("revenue").fill_null(0.0).sum())
    )
    revenue = {(c, y): tidy(r) for c, y, r in sums.iter_rows()}
    has_previous = year - 1 in years
    shares = {
        s.cluster: s.share_inside for s in centre_shares(frame, plan, year, pl.col("revenue"))
    }

    order = sorted(
        range(len(plan.clusters)),
        key=lambda i: (-revenue.get((plan.clusters[i].name, year), 0), i),
    )
    slots = targets.slots
    by_tier = {tier.tier: tier for tier in targets.tiers}
    results: dict[int, ClusterProgress] = {}
    for rank, i in enumerate(order, start=1):
        cluster = plan.clusters[i]
        current = revenue.get((cluster.name, year), 0)
        previous = revenue.get((cluster.name, year - 1), 0) if has_previous else None
        growth = (current - previous) / previous if previous else None
        assigned = slots[rank - 1] if rank <= len(slots) else None
        threshold = by_tier[assigned].threshold if assigned is not None else None
        gap = None if threshold is None else tidy(max(threshold - current, 0))
        required = (
            (threshold / current) ** (1 / horizon) - 1
            if threshold is not None and current > 0
            else None
        )
        projected = tidy(current * (1 + growth) ** horizon) if growth is not None else None
        on_track = (
            next((tier.tier for tier in targets.tiers if projected >= tier.threshold), None)
            if projected is not None
            else None
        )
        results[i] = ClusterProgress(
            cluster.no,
            cluster.name,
            cluster.centre_towns,
            current,
            previous,
            growth,
            rank,
            assigned,
            threshold,
            gap,
            required,
            projected,
            on_track,
            shares.get(cluster.name),
        )
    values = [revenue.get((c.name, year), 0) for c in plan.clusters]
    statuses: list[TierStatus] = []
    cumulative = 0
    for tier in targets.tiers:
        cumulative += tier.clusters_required
        reached = sum(1 for v in values if v >= tier.threshold)
        statuses.append(TierStatus(tier, cumulative, reached))
    return PlanProgress(
        year,
        target_year,
        targets,
        tuple(statuses),
        tuple(results[i] for i in range(len(plan.clusters))),
        match,
    )


# --------------------------------------------------------------------------------------------
# Plain-text tables (shared by towns, plan and placements)
# --------------------------------------------------------------------------------------------


def show(value: object) -> str:
    """A cell: "—" for none, floats to at most four decimals."""
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, Decimal):
        return _plain(value)
    return str(value)


def show_percent(value: float | None) -> str:
    return "—" if value is None else percent(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_grid(
    headers: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[int] = (0,)
) -> str:
    """An aligned table (CJK characters count two columns); columns in ``left`` are
    left-aligned, the others right-aligned."""
    grid = [list(headers), *[list(r) for r in rows]]
    widths = [max(_width(r[j]) for r in grid) for j in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c + " " * (w - _width(c)) if j in left else " " * (w - _width(c)) + c
            for j, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(grid[0]), rule, *(line(r) for r in grid[1:])]) + "\n"


def progress_rows(clusters: Iterable[ClusterProgress]) -> list[list[str]]:
    """The rows of the planned clusters' progress table (the command's and the report's)."""
    return [
        [
            "" if c.no is None else str(c.no),
            c.cluster,
            "、".join(c.centre_towns),
            show(c.revenue),
            show_percent(c.growth),
            str(c.rank),
            show(c.assigned_tier),
            show(None if c.threshold is None else c.threshold / WAN_PER_YI),
            show(c.gap),
            show_percent(c.required_growth),
            show(c.on_track_tier),
            show_percent(c.centre_share),
        ]
        for c in clusters
    ]


def progress_headers(zh: bool) -> list[str]:
    """The columns of the planned clusters' progress table (the command's and the report's)."""
    return list(_PROGRESS_HEADERS[0 if zh else 1])


_PROGRESS_HEADERS = (
    (
        "序号",
        "产业集群",
        "中心镇街",
        "营业收入（万元）",
        "增长率",
        "排名",
        "应达档次",
        "门槛（亿元）",
        "差距（万元）",
        "需年均增长",
        "按现增速可达档次",
        "中心镇街占比",
    ),
    (
        "no",
        "cluster",
        "centre towns",
        "revenue (10k yuan)",
        "growth",
        "rank",
        "tier",
        "threshold (100M)",
        "gap (10k yuan)",
        "required growth",
        "on track for",
        "share in centres",
    ),
)
