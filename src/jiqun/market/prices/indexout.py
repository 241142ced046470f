"""The index as JSON and CSV (``jiqun market index``, the pages and the API).

JSON for daily readings is exactly::

    {"base": {"from": "2026-01-01", "to": "2026-01-07"},
     "days": [{"date": "2026-01-01", "total": 101.2, "categories": {"叶菜": 98.7}}]}

every date of the records in order (the base period's days too), a category missing on a
day left out of ``categories``, ``total`` null when no category is present. Weekly and
monthly readings are ``"weeks"`` / ``"months"`` lists of ``{"week"|"month": label, "from",
"to", "total", "categories"}``. Figures are the index as a float, not rounded.

The CSV has one row per period and category, the total first (category ``total``): columns
``period, from, to, category, fixed_base`` (定基), ``chain`` (环比), ``year_on_year`` (同比);
a missing figure is an empty cell.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from jiqun.market.prices.index import IndexResult

CSV_COLUMNS = ("period", "from", "to", "category", "fixed_base", "chain", "year_on_year")
TOTAL = "total"

_LIST_KEY = {"day": ("days", "date"), "week": ("weeks", "week"), "month": ("months", "month")}


def number(value: float | None) -> float | None:
    return None if value is None else float(value)


def index_json(result: IndexResult) -> dict[str, Any]:
    list_key, label_key = _LIST_KEY[result.period]
    items: list[dict[str, Any]] = []
    for r in result.readings:
        item: dict[str, Any] = {label_key: r.label}
        if result.period != "day":
            item["from"], item["to"] = r.start.isoformat(), r.end.isoformat()
        item["total"] = number(r.total)
        item["categories"] = {c: float(v) for c, v in r.categories.items()}
        items.append(item)
    return {
        "base": {"from": result.base_from.isoformat(), "to": result.base_to.isoformat()},
        list_key: items,
    }


def index_rows(result: IndexResult) -> list[tuple[str, str, str, str, Any, Any, Any]]:
    """(period, from, to, category, 定基, 环比, 同比) per period and category, total first;
    every category with a weight gets a row in every period (empty figures when missing)."""
    out: list[tuple[str, str, str, str, Any, Any, Any]] = []
    categories = sorted(result.weights)
    for r in result.readings:
        span = (r.label, r.start.isoformat(), r.end.isoformat())
        out.append(
            (
                *span,
                TOTAL,
                number(r.total),
                number(result.chain(r)),
                number(result.year_on_year(r)),
            )
        )
        for c in categories:
            out.append(
                (
                    *span,
                    c,
                    number(r.categories.get(c)),
                    number(result.chain(r, c)),
                    number(result.year_on_year(r, c)),
                )
            )
    return out


def index_csv(result: IndexResult) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in index_rows(result):
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()
