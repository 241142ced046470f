"""The fixed-base vegetable price index (PRODUCT.md M9, issue 6; docs/guide/price-index.md).

For a base period B (the days base_from..base_to, inclusive) and a period P (a day, or with
``period`` a week or a month):

- unit value   u(v,g,P) = Σ amount_fen / Σ (volume_g / 1000) over the rows of variety v,
  grade g in P (fen per kg); a grade is *present* in P when its Σ volume_g in P is > 0;
- variety relative   R(v,P) = geometric mean, over the grades present both in P and in B, of
  u(v,g,P) / u(v,g,B); missing when there is no such grade;
- category index   I(c,P) = 100 · Σ V(v)·R(v,P) / Σ V(v) over the varieties v of c whose
  R(v,P) exists, with V(v) = Σ amount_fen of v over B, all its grades together; missing when
  no variety of c has R(v,P);
- total index   I(P) = Σ W(c)·I(c,P) / Σ W(c) over the categories present in P, with the fixed
  weight W(c) = Σ V(v) over all varieties of c that traded in B; missing (null) when no
  category is present.

A week or a month is read with the same definition, P being the ISO week (Monday to Sunday)
or the calendar month: its unit values are Σ amount / Σ kg over the whole period — the
weight-weighted unit value, as the daily one — not an average of daily indices.

Precision: the ratios u(v,g,P)/u(v,g,B) are exact fractions of integers (the 1000 g per kg
cancel), each rounded once to the nearest float; the geometric mean is exp(Σ ln r / n) with
the logarithms summed exactly (:func:`math.fsum`), and taken as the ratio itself when all
ratios are equal (one grade, or a uniform change). The weighted means over varieties and
categories are then exact rational arithmetic on those relatives, rounded once to a float
at the end, so that a single-day base reads exactly 100 on its own day, a uniform change by
k reads 100·k, and neither the order of the rows nor scaling all volumes and amounts by one
factor changes a single bit. (Decimal logarithms with 40 digits were measured 30× slower
for no figure a reader could see.)

Derived readings (for the CSV and the pages): 定基 (fixed base) is the index itself; 环比 =
100 · I(P) / I(previous period) — the previous calendar day, ISO week or month; 同比 =
100 · I(P) / I(same period a year earlier) — the same date, ISO week number or month of the
previous year. Either is missing when one of its two indices is.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

from jiqun.market.prices.records import PriceRow
from jiqun.market.texts import MarketProblem

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class Reading:
    """The index of one period: its label (2026-11-27, 2026-W48, 2026-11), its first and last
    day, the total (None: missing) and the categories present (absent ones are left out)."""

    label: str
    start: date
    end: date
    total: float | None
    categories: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexResult:
    base_from: date
    base_to: date
    period: Period
    readings: list[Reading]
    weights: dict[str, int]  # W(c), fen
    variety_weights: dict[str, int]  # V(v), fen

    def chain(self, reading: Reading, category: str | None = None) -> float | None:
        """环比: 100 · I(P) / I(previous period) (category None: the total)."""
        return self._relative(reading, previous_start(reading.start, self.period), category)

    def year_on_year(self, reading: Reading, category: str | None = None) -> float | None:
        """同比: 100 · I(P) / I(the same period a year earlier)."""
        return self._relative(reading, year_earlier_start(reading.start, self.period), category)

    def _relative(
        self, reading: Reading, other_start: date | None, category: str | None
    ) -> float | None:
        now = reading.total if category is None else reading.categories.get(category)
        if now is None or other_start is None:
            return None
        other = self._by_start().get(other_start)
        if other is None:
            return None
        then = other.total if category is None else other.categories.get(category)
        if then is None or then == 0:
            return None
        return 100 * now / then

    def _by_start(self) -> dict[date, Reading]:
        return {r.start: r for r in self.readings}


# ---------------------------------------------------------------------------- periods


def period_start(day: date, period: Period) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def period_end(start: date, period: Period) -> date:
    if period == "week":
        return start + timedelta(days=6)
    if period == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def period_label(start: date, period: Period) -> str:
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    return start.isoformat()


def previous_start(start: date, period: Period) -> date:
    if period == "week":
        return start - timedelta(days=7)
    if period == "month":
        return (start - timedelta(days=1)).replace(day=1)
    return start - timedelta(days=1)


def year_earlier_start(start: date, period: Period) -> date | None:
    """The same date / ISO week number / month a year earlier; None when there is no such
    period (29 February, ISO week 53 of a year with 52 weeks)."""
    try:
        if period == "week":
            year, week, _ = start.isocalendar()
            return date.fromisocalendar(year - 1, week, 1)
        return start.replace(year=start.year - 1)
    except ValueError:
        return None


# ---------------------------------------------------------------------------- the index


Sums = dict[tuple[str, str], tuple[int, int]]  # (variety, grade) → (Σ amount_fen, Σ volume_g)


def _sums(rows: Iterable[PriceRow]) -> Sums:
    amount: dict[tuple[str, str], int] = defaultdict(int)
    volume: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        amount[(r.variety, r.grade)] += r.amount_fen
        volume[(r.variety, r.grade)] += r.volume_g
    return {k: (amount[k], volume[k]) for k in amount if volume[k] > 0}


def _ratio(now: tuple[int, int], base: tuple[int, int]) -> Fraction:
    """u(P)/u(B) = (A_P / kg_P) / (A_B / kg_B), exactly (the 1000 g per kg cancel)."""
    return Fraction(now[0] * base[1], now[1] * base[0])


def geometric_mean(ratios: list[Fraction]) -> float:
    """exp(Σ ln r / n), the logs summed exactly; the ratio itself when they are all equal."""
    if all(r == ratios[0] for r in ratios):
        return float(ratios[0])
    return math.exp(math.fsum(math.log(r) for r in ratios) / len(ratios))


def variety_relatives(now: Sums, base: Sums) -> dict[str, float]:
    """R(v,P) for every variety with a grade present in both P and B."""
    ratios: dict[str, list[Fraction]] = defaultdict(list)
    for (variety, grade), sums in sorted(now.items()):
        if (variety, grade) in base:
            ratios[variety].append(_ratio(sums, base[(variety, grade)]))
    return {v: geometric_mean(rs) for v, rs in ratios.items()}


def reading(
    label: str,
    start: date,
    end: date,
    rows: Iterable[PriceRow],
    base: Sums,
    variety_weight: dict[str, int],
    category_of: dict[str, str],
    category_weight: dict[str, int],
) -> Reading:
    relatives = variety_relatives(_sums(rows), base)
    by_category: dict[str, list[str]] = defaultdict(list)
    for variety in relatives:
        by_category[category_of[variety]].append(variety)
    exact: dict[str, Fraction] = {}
    for category, varieties in sorted(by_category.items()):
        weighted = sum((variety_weight[v] * Fraction(relatives[v]) for v in varieties), Fraction())
        exact[category] = 100 * weighted / sum(variety_weight[v] for v in varieties)
    total: float | None = None
    if exact:
        weighted = sum((category_weight[c] * value for c, value in exact.items()), Fraction())
        total = float(weighted / sum(category_weight[c] for c in exact))
    categories = {c: float(value) for c, value in exact.items()}
    return Reading(label, start, end, total, categories)


def compute_index(
    rows: list[PriceRow], base_from: date, base_to: date, period: Period = "day"
) -> IndexResult:
    """The index of every period that has a date in ``rows`` (see the module's docstring)."""
    if base_from > base_to:
        raise MarketProblem(
            f"基期起始日 {base_from} 晚于结束日 {base_to}",
            f"the base period starts ({base_from}) after it ends ({base_to})",
        )
    if period not in PERIODS:
        raise MarketProblem(f"未知的周期“{period}”", f"unknown period '{period}'")
    base = _sums(r for r in rows if base_from <= r.date <= base_to)
    if not base:
        raise MarketProblem(
            f"基期 {base_from} 至 {base_to} 内没有成交记录：无法计算指数",
            f"no trading in the base period {base_from} to {base_to}: no index",
        )
    category_of = {r.variety: r.category for r in rows}
    variety_weight: dict[str, int] = defaultdict(int)
    for (variety, _grade), (amount, _volume) in base.items():
        variety_weight[variety] += amount
    category_weight: dict[str, int] = defaultdict(int)
    for variety, weight in variety_weight.items():
        category_weight[category_of[variety]] += weight
    periods: dict[date, list[PriceRow]] = defaultdict(list)
    for r in rows:
        periods[period_start(r.date, period)].append(r)
    readings = [
        reading(
            period_label(start, period),
            start,
            period_end(start, period),
            periods[start],
            base,
            variety_weight,
            category_of,
            category_weight,
        )
        for start in sorted(periods)
    ]
    return IndexResult(
        base_from, base_to, period, readings, dict(category_weight), dict(variety_weight)
    )
