"""Cluster statistics of one year (PRODUCT.md O3): sums per cluster, shares, growth, key firms.

An engine reduces the register to :class:`Sums` — one grouped query over the year and the year
before, and the key enterprises of each cluster — and :func:`assemble` arranges them; the
embedded engine is :func:`compute` (polars), :mod:`jiqun.observatory.spark` is the other.

Amounts are summed exactly, in integer millionths of a 万元 (fen, :data:`UNITS`): a sum of
integers is the same in every engine and in any order, so the figures of two engines are
identical, not just close. Sums are shown in 万元 rounded to four decimals (one yuan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from jiqun.observatory.clusters import ClusterDefinitions, default_definitions
from jiqun.observatory.errors import FileProblem
from jiqun.observatory.register import Register

AMOUNTS = ("registered_capital", "revenue", "profit_tax", "profit")
COUNTS = (
    "provincial_brand_products",
    "provincial_famous_trademarks",
    "national_brand_products",
    "china_well_known_trademarks",
)
SHARED = ("revenue", "profit_tax", "profit")
KEY_FALLBACK = 5
CLUSTER = "_cluster"
UNITS = 1_000_000  # fen per 万元: amounts are summed as integers of 1 / UNITS 万元

Number = int | float


def in_units(column: str) -> pl.Expr:
    """An amount in integer fen, rounded half up (⌊x·10⁶ + ½⌋): exact for any amount written
    with at most six decimals, and the same integer in every engine (the same float steps)."""
    return (pl.col(column) * UNITS + 0.5).floor().cast(pl.Int64)


def from_units(total: int | None) -> Number:
    """A sum of :func:`in_units` amounts back in 万元, as :func:`tidy` shows it."""
    return 0 if total is None else tidy(total / UNITS)


def tidy(value: float | int | None) -> Number:
    """A sum as the register would write it: rounded to 4 decimals, an int when whole."""
    if value is None:
        return 0
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded


def tidy_many(values: npt.NDArray[np.float64]) -> list[Number]:
    """:func:`tidy` of every value of a float array, the same Python numbers, vectorised.

    ``round(v, 4)`` is the double nearest to the decimal k / 10⁴, k the exact value of
    v·10⁴ rounded to the nearest integer. numpy's ``rint(v * 1e4)`` is that k unless the
    product is within its rounding error of a half (or too large to hold k exactly); and
    k / 1e4, one correctly rounded IEEE division of two exact doubles, is then that nearest
    double. The few values near a half (and NaN, ±inf) go through :func:`tidy` itself.
    """
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        p = v * 1e4
        k = np.rint(p)
        near_half = np.abs(np.abs(p - np.trunc(p)) - 0.5) <= np.abs(p) * 1e-15 + 1e-9
        unsafe = near_half | ~(np.abs(p) < 2.0**52)
        whole = (k % 1e4) == 0
    floats = (k / 1e4).tolist()
    out: list[Number] = floats
    for j in np.flatnonzero(whole & ~unsafe).tolist():
        out[j] = int(floats[j])
    for j in np.flatnonzero(unsafe).tolist():
        out[j] = tidy(float(v[j]))
    return out


@dataclass(frozen=True)
class Figures:
    """Sums over a set of firms in one year."""

    firms: int = 0
    above_quota_firms: int = 0
    registered_capital: Number = 0
    revenue: Number = 0
    profit_tax: Number = 0
    profit: Number = 0
    provincial_brand_products: int = 0
    provincial_famous_trademarks: int = 0
    national_brand_products: int = 0
    china_well_known_trademarks: int = 0
    high_tech_firms: int = 0
    rd_centres: int = 0

    @staticmethod
    def from_row(row: dict[str, Any]) -> Figures:
        """From one row of sums: counts, and amounts in :data:`UNITS` (see :func:`in_units`)."""
        return Figures(
            firms=int(row["firms"]),
            above_quota_firms=int(row["above_quota_firms"] or 0),
            high_tech_firms=int(row["high_tech_firms"] or 0),
            rd_centres=int(row["rd_centres"] or 0),
            registered_capital=from_units(row["registered_capital"]),
            revenue=from_units(row["revenue"]),
            profit_tax=from_units(row["profit_tax"]),
            profit=from_units(row["profit"]),
            provincial_brand_products=int(row["provincial_brand_products"] or 0),
            provincial_famous_trademarks=int(row["provincial_famous_trademarks"] or 0),
            national_brand_products=int(row["national_brand_products"] or 0),
            china_well_known_trademarks=int(row["china_well_known_trademarks"] or 0),
        )


@dataclass(frozen=True)
class ClusterStats:
    name: str
    figures: Figures
    previous: Figures | None
    key_enterprises: tuple[str, ...]
    share: dict[str, float | None]
    growth: dict[str, float | None]


@dataclass(frozen=True)
class SurveyStats:
    year: int
    city: Figures
    city_previous: Figures | None
    clusters: tuple[ClusterStats, ...]
    city_growth: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``jiqun observatory stats --format json`` (issue "Observatory I")."""
        city = self.city
        return {
            "year": self.year,
            "unit": "万元",
            "city": {
                "firms": city.firms,
                "registered_capital": city.registered_capital,
                "revenue": city.revenue,
                "profit_tax": city.profit_tax,
                "profit": city.profit,
            },
            "clusters": [
                {
                    "name": c.name,
                    "firms": c.figures.firms,
                    "registered_capital": c.figures.registered_capital,
                    **{k: getattr(c.figures, k) for k in COUNTS},
                    "high_tech_firms": c.figures.high_tech_firms,
                    "rd_centres": c.figures.rd_centres,
                    **{k: getattr(c.figures, k) for k in SHARED},
                    "key_enterprises": list(c.key_enterprises),
                    "share": c.share,
                    "growth": c.growth,
                }
                for c in self.clusters
            ],
        }


def _ratio(part: Number, whole: Number) -> float | None:
    return None if whole == 0 else part / whole


def growth(current: Number, previous: Number | None) -> float | None:
    """(current − previous) / |previous|; None when there is no previous year or it is zero.

    The absolute value keeps the sign meaningful when a profit was negative (减亏 reads as
    growth), the convention of Chinese statistical yearbooks.
    """
    if previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def with_clusters(register: Register, definitions: ClusterDefinitions | None) -> pl.DataFrame:
    """The register with ``_cluster``: from definitions if given, else the register's column,
    else the default (Zhucheng) definitions over industry codes."""
    frame = register.frame
    if definitions is None and "cluster" in register.present:
        return frame.with_columns(pl.col("cluster").alias(CLUSTER))
    defs = definitions or default_definitions()
    if "industry_code" not in register.present:
        raise FileProblem(register.source, "no_cluster_source")
    # Assigned once per distinct code (hundreds), then looked up for each of the firms.
    codes = frame.select(pl.col("industry_code").unique().drop_nulls())
    table = codes.with_columns(defs.assign(pl.col("industry_code")).alias(CLUSTER))
    return frame.with_columns(
        pl.col("industry_code")
        .replace_strict(
            table["industry_code"], table[CLUSTER], default=None, return_dtype=pl.String
        )
        .alias(CLUSTER)
    )


def cluster_order(register: Register, definitions: ClusterDefinitions | None) -> list[str] | None:
    """Clusters in definitions' order, or None for revenue order (a register's own column)."""
    if definitions is None and "cluster" in register.present:
        return None
    return (definitions or default_definitions()).names


def _aggregations() -> list[pl.Expr]:
    return [
        pl.len().alias("firms"),
        pl.col("above_quota").fill_null(True).sum().alias("above_quota_firms"),
        pl.col("high_tech").fill_null(False).sum().alias("high_tech_firms"),
        pl.col("rd_centres").sum(),
        *[in_units(k).sum().alias(k) for k in AMOUNTS],
        *[pl.col(k).sum() for k in COUNTS],
    ]


@dataclass(frozen=True)
class Sums:
    """What an engine reduces a register to (one year and the year before): the city's and
    each cluster's :class:`Figures` by year, and each cluster's key enterprises in order."""

    city: dict[int, Figures]
    clusters: dict[tuple[int, str], Figures]
    key_enterprises: dict[str, tuple[str, ...]]


def chosen_year(register: Register, year: int | None) -> int:
    """``year``, checked against the register's years; by default the latest."""
    years = register.years()
    if year is None:
        return years[-1]
    if year not in years:
        raise FileProblem(register.source, "no_year", year=year, years="、".join(map(str, years)))
    return year


def compute(
    register: Register, year: int | None = None, definitions: ClusterDefinitions | None = None
) -> SurveyStats:
    """The survey's figures for ``year`` (default: the register's latest year), embedded."""
    year = chosen_year(register, year)
    # Lazily: the sums read only the columns they need (no copy of the whole register), and
    # the key enterprises only the year's clustered firms.
    frame = with_clusters(register, definitions).lazy()
    row = [c for c in _ROW if c in register.frame.columns]
    two_years = frame.filter(pl.col("year").is_in([year, year - 1]))
    city, grouped, candidates = pl.collect_all(
        [
            two_years.group_by("year").agg(_aggregations()),
            two_years.filter(pl.col(CLUSTER).is_not_null())
            .group_by("year", CLUSTER)
            .agg(_aggregations()),
            frame.filter((pl.col("year") == year) & pl.col(CLUSTER).is_not_null()).select(
                CLUSTER, "key_enterprise", "revenue", "name", *row
            ),
        ]
    )
    city_rows = {r["year"]: Figures.from_row(r) for r in city.to_dicts()}
    by_cluster: dict[tuple[int, str], Figures] = {
        (r["year"], r[CLUSTER]): Figures.from_row(r) for r in grouped.to_dicts()
    }
    keys = _key_enterprises(candidates)
    return assemble(register, year, definitions, Sums(city_rows, by_cluster, keys))


_ROW = ["_row"]  # the register's row numbers, if it has them: key enterprises' last tie-break


def assemble(
    register: Register, year: int, definitions: ClusterDefinitions | None, sums: Sums
) -> SurveyStats:
    """The survey's figures from an engine's :class:`Sums`: order, shares and growth."""
    has_previous = year - 1 in register.years()
    by_cluster, keys = sums.clusters, sums.key_enterprises
    city = sums.city[year]
    city_previous = sums.city.get(year - 1) if has_previous else None
    order = cluster_order(register, definitions)
    if order is None:
        present = [(name, f) for (y, name), f in by_cluster.items() if y == year]
        order = [name for name, f in sorted(present, key=lambda p: (-p[1].revenue, p[0]))]

    clusters = []
    for name in order:
        current = by_cluster.get((year, name), Figures())
        previous = by_cluster.get((year - 1, name), Figures()) if has_previous else None
        clusters.append(
            ClusterStats(
                name=name,
                figures=current,
                previous=previous,
                key_enterprises=keys.get(name, ()),
                share={k: _ratio(getattr(current, k), getattr(city, k)) for k in SHARED},
                growth={
                    k: growth(
                        getattr(current, k), None if previous is None else getattr(previous, k)
                    )
                    for k in SHARED
                },
            )
        )
    city_growth = {
        k: growth(getattr(city, k), None if city_previous is None else getattr(city_previous, k))
        for k in SHARED
    }
    return SurveyStats(year, city, city_previous, tuple(clusters), city_growth)


def _key_enterprises(frame: pl.DataFrame) -> dict[str, tuple[str, ...]]:
    """Flagged key enterprises by revenue, descending; if none is flagged, the five largest.
    Ties in revenue go by name, then by the register's row order."""
    clustered = frame.filter(pl.col(CLUSTER).is_not_null()).with_columns(
        pl.col("key_enterprise").fill_null(False).any().over(CLUSTER).alias("_any_flag")
    )
    # Before sorting by name: only the flagged firms, or those whose revenue is among the
    # five largest of their cluster (ties included), can be chosen.
    fifth = pl.col("revenue").top_k(KEY_FALLBACK).min().over(CLUSTER)  # top_k: no full sort
    among_largest = pl.col("revenue") >= fifth
    ranked = clustered.filter(
        pl.col("key_enterprise").fill_null(False)
        | (~pl.col("_any_flag") & (among_largest | pl.col("revenue").is_null()))
    )
    order = [CLUSTER, "revenue", "name", *(["_row"] if "_row" in frame.columns else [])]
    ranked = ranked.sort(
        order, descending=[False, True, *[False] * (len(order) - 2)], nulls_last=True
    )
    chosen = ranked.with_columns(pl.int_range(pl.len()).over(CLUSTER).alias("_rank")).filter(
        pl.col("_any_flag") | (pl.col("_rank") < KEY_FALLBACK)
    )
    out: dict[str, list[str]] = {}
    for cluster, name in chosen.select(CLUSTER, "name").iter_rows():
        out.setdefault(cluster, []).append(name)
    return {cluster: tuple(names) for cluster, names in out.items()}
