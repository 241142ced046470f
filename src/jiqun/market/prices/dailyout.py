"""Daily price records as CSV and JSON (``jiqun market prices``, the pages and the API).

The CSV's first columns are those ``jiqun market index`` reads (date, variety, category, grade,
volume_g, amount_fen), so that the published records feed the index directly; prices are fen
per kg, the mean a decimal with two places.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from jiqun.market.prices.daily import DailyRecord

CSV_COLUMNS = (
    "date",
    "variety",
    "category",
    "grade",
    "volume_g",
    "amount_fen",
    "origin",
    "package",
    "trades",
    "min_fen_per_kg",
    "max_fen_per_kg",
    "mean_fen_per_kg",
    "withdrawn_lots",
    "revision",
)


def record_json(r: DailyRecord, category: str = "") -> dict[str, Any]:
    return {
        "date": r.day.isoformat(),
        "variety": r.variety,
        "category": category,
        "grade": r.grade,
        "origin": r.origin,
        "package": r.package,
        "trades": r.trades,
        "volume_g": r.volume_g,
        "amount_fen": r.amount_fen,
        "min_fen_per_kg": r.min_fen_per_kg,
        "max_fen_per_kg": r.max_fen_per_kg,
        "mean_fen_per_kg": str(r.mean_fen_per_kg),
        "withdrawn_lots": r.withdrawn_lots,
        "revision": r.revision,
    }


def records_json(
    records: list[DailyRecord], categories: Mapping[str, str] | None = None
) -> dict[str, Any]:
    categories = categories or {}
    return {"records": [record_json(r, categories.get(r.variety, "")) for r in records]}


def records_csv(records: list[DailyRecord], categories: Mapping[str, str] | None = None) -> str:
    categories = categories or {}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        d = record_json(r, categories.get(r.variety, ""))
        writer.writerow([d[c] for c in CSV_COLUMNS])
    return buffer.getvalue()
