"""Web routes of this feature; :func:`jiqun.market.service.app.feature_routes` adds them.

The price information centre is public (no login), as the market's prices are (PRODUCT.md M9):

- ``GET /prices?day=`` — a day's prices (default: today, China Standard Time);
- ``GET /prices/history/{variety}?from=&to=`` — a variety's daily mean prices per grade with a
  chart drawn on the server (inline SVG: no script, no CDN);
- ``GET /prices/index?base_from=&base_to=&from=&to=&period=`` — the price index with its
  categories, 定基 / 环比 / 同比 (docs/guide/price-index.md);
- downloads ``GET /prices.csv?from=&to=`` and ``GET /prices/index.csv?…``;
- the JSON API ``GET /api/prices?from=&to=`` and ``GET /api/prices/index?…``;
- ``POST /api/prices/publish`` (administrators): publish days as revisions, as
  ``jiqun market prices`` does.

A day is shown as its latest published revision (``jiqun market prices`` or ``POST
/api/prices/publish`` publish), so that a published figure never changes silently: a later
correction in the ledger is flagged as pending until it is published as the next revision;
every earlier revision stays readable (``/prices?day=…&revision=N``). A day never published is
shown live from the ledger (revision 0). The computation runs off the event loop, on a
read-only connection of its own, and is cached until the journal, the ledger or the
publications change.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import Engine

from jiqun.market.core.money import yuan
from jiqun.market.prices.charts import line_chart
from jiqun.market.prices.daily import (
    DailyRecord,
    day_of,
    mean_price,
    variety_categories,
)
from jiqun.market.prices.dailyout import records_csv, records_json
from jiqun.market.prices.index import (
    PERIODS,
    IndexResult,
    Period,
    compute_index,
    period_end,
    period_start,
)
from jiqun.market.prices.indexout import index_csv, index_json
from jiqun.market.prices.publish import publish, revision_history, shown_records, stored
from jiqun.market.prices.records import PriceRow
from jiqun.market.prices.tables import price_revisions
from jiqun.market.service.app import (
    Handler,
    Refused,
    json_body,
    lang_of,
    page,
    require,
    service_of,
)
from jiqun.market.store import schema as t
from jiqun.market.store.db import read_only
from jiqun.market.texts import show_time
from jiqun.observatory.errors import UserError

MAX_DAYS = 3 * 366  # a request reads at most this many days
HISTORY_DAYS = 30
UNCATEGORISED = "未分类"

WORDS: dict[str, tuple[str, str]] = {
    "prices_title": ("价格信息中心", "Price information centre"),
    "prices_today": ("当日价格", "Prices of the day"),
    "prices_history": ("价格走势", "Price history"),
    "prices_index": ("蔬菜价格指数", "Vegetable price index"),
    "prices_day": ("日期", "Day"),
    "prices_show": ("查看", "Show"),
    "prices_prev": ("前一天", "previous day"),
    "prices_next": ("后一天", "next day"),
    "prices_variety": ("品种", "Variety"),
    "prices_category": ("类别", "Category"),
    "prices_min": ("最低价", "Min"),
    "prices_max": ("最高价", "Max"),
    "prices_mean": ("均价", "Mean"),
    "prices_volume": ("成交量（公斤）", "Volume (kg)"),
    "prices_amount": ("成交额（元）", "Amount (yuan)"),
    "prices_trades": ("笔数", "Trades"),
    "prices_withdrawn": ("流拍批次", "Withdrawn lots"),
    "prices_revision": ("修订版", "Revision"),
    "prices_unpublished": ("未发布", "unpublished"),
    "prices_no_trading": ("当日无成交", "no trading that day"),
    "prices_csv": ("下载 CSV", "Download CSV"),
    "prices_json": ("JSON 接口", "JSON API"),
    "prices_from": ("起", "From"),
    "prices_to": ("止", "To"),
    "prices_base_from": ("基期起", "Base from"),
    "prices_base_to": ("基期止", "Base to"),
    "prices_period": ("周期", "Period"),
    "prices_period_day": ("日", "day"),
    "prices_period_week": ("周", "week"),
    "prices_period_month": ("月", "month"),
    "prices_total": ("总指数", "Total"),
    "prices_fixed": ("定基", "Fixed base"),
    "prices_chain": ("环比", "Chain"),
    "prices_yoy": ("同比", "Year on year"),
    "prices_base_note": (
        "基期 = 100。单位价值按成交量加权，等级间取几何平均，品种和类别按基期成交额固定加权。",
        "Base period = 100. Weight-weighted unit values, geometric across grades, fixed "
        "base-period value weights for varieties and categories.",
    ),
    "prices_unit_note": (
        "价格单位：元/公斤；均价为成交量加权平均（成交额 ÷ 公斤数）。",
        "Prices in yuan per kg; the mean is weight-weighted (amount ÷ kg).",
    ),
    "prices_revision_note": (
        "更正以新的修订版发布，旧版保留。",
        "Corrections are published as new revisions; earlier ones are kept.",
    ),
    "prices_no_index": ("无法计算指数", "no index"),
    "prices_revisions": ("发布记录", "Publications"),
    "prices_published_at": ("发布于", "published"),
    "prices_records": ("条记录", "records"),
    "prices_shown_revision": ("正在查看修订版", "Showing revision"),
    "prices_latest": ("查看最新", "show the latest"),
    "prices_pending": (
        "账本中有尚未发布的更正：此处仍显示已发布的修订版。",
        "The ledger has a correction not yet published: the published revision is shown.",
    ),
    "prices_live": (
        "未发布的记录为账本的实时计算，发布后以修订版为准。",
        "Unpublished records are computed live from the ledger; once published, the "
        "revision stands.",
    ),
    "prices_unit": ("元/公斤", "yuan/kg"),
}


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Shown:
    """The records the pages show (see :func:`shown_records`), the varieties' categories and
    the published days with a correction waiting to be published."""

    records: list[DailyRecord]
    categories: dict[str, str]
    pending: frozenset[date]


def _read(engine: Engine, start: date, end: date) -> Shown:
    with engine.connect() as conn:
        read_only(conn)
        with conn.begin():
            records, pending = shown_records(conn, start, end)
            return Shown(records, variety_categories(conn), frozenset(pending))


def _revisions(engine: Engine, day: date, revision: int | None) -> tuple[Any, ...]:
    """(history, records of ``revision``, categories) of a day's publications."""
    with engine.connect() as conn:
        read_only(conn)
        with conn.begin():
            history = revision_history(conn, day)
            records = stored(conn, day, revision) if revision is not None else []
            return history, records, variety_categories(conn)


def _version(engine: Engine) -> tuple[int, int, int]:
    """What the records depend on: the last journal input, ledger transaction, publication."""
    with engine.connect() as conn:
        read_only(conn)
        with conn.begin():
            row = conn.execute(
                sa.select(
                    sa.select(sa.func.max(t.journal.c.seq)).scalar_subquery(),
                    sa.select(sa.func.max(t.transactions.c.id)).scalar_subquery(),
                    sa.select(sa.func.max(price_revisions.c.id)).scalar_subquery(),
                )
            ).one()
    return (int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


_CACHE: OrderedDict[tuple[Any, ...], Shown] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _cached(engine: Engine, start: date, end: date) -> Shown:
    key = (str(engine.url), id(engine), start, end, _version(engine))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    found = _read(engine, start, end)  # outside the lock: requests compute side by side
    with _CACHE_LOCK:
        _CACHE[key] = found
        while len(_CACHE) > 32:
            _CACHE.popitem(last=False)
    return found


async def records_of(request: web.Request, start: date, end: date) -> Shown:
    engine = service_of(request.app).market.engine
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _cached, engine, start, end)


def today_of(request: web.Request) -> date:
    """The market's today (China Standard Time) by the server's clock."""
    return day_of(service_of(request.app).runner.now())


def _day(request: web.Request, name: str, default: date) -> date:
    text = request.query.get(name, "").strip()
    if not text:
        return default
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise Refused(400, f"bad_{name}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(400, f"bad_{name}") from None


def _range(request: web.Request, default_days: int = 1) -> tuple[date, date]:
    today = today_of(request)
    end = _day(request, "to", today)
    start = _day(request, "from", end - timedelta(days=default_days - 1))
    if end < start:
        raise Refused(400, "bad_range")
    if (end - start).days >= MAX_DAYS:
        raise Refused(400, "range_too_long")
    return start, end


# ---------------------------------------------------------------------------- shown


def yuan_per_kg(fen_per_kg: int | Decimal) -> str:
    """Fen per kg as yuan per kg with two decimals (half up)."""
    if isinstance(fen_per_kg, int):
        return yuan(fen_per_kg)
    return str((fen_per_kg / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def kg(grams: int) -> str:
    whole, rest = divmod(grams, 1000)
    return f"{whole}.{rest:03d}".rstrip("0").rstrip(".")


def _row(r: DailyRecord, category: str) -> dict[str, Any]:
    return {
        "variety": r.variety,
        "category": category,
        "grade": r.grade,
        "origin": r.origin,
        "package": r.package,
        "min": yuan_per_kg(r.min_fen_per_kg) if r.trades else "",
        "max": yuan_per_kg(r.max_fen_per_kg) if r.trades else "",
        "mean": yuan_per_kg(r.mean_fen_per_kg) if r.trades else "",
        "volume": kg(r.volume_g),
        "amount": yuan(r.amount_fen),
        "trades": r.trades,
        "withdrawn": r.withdrawn_lots,
        "revision": r.revision,
        "history": "/prices/history/" + quote(r.variety, safe=""),
    }


# ---------------------------------------------------------------------------- pages


async def prices_page(request: web.Request) -> web.StreamResponse:
    """A day's prices: its latest published revision, or the live records when it has none;
    ``?revision=N`` shows an earlier publication as it was."""
    day = _day(request, "day", today_of(request))
    wanted = request.query.get("revision", "").strip()
    if wanted and not wanted.isdigit():
        raise Refused(400, "bad_revision")
    shown = await records_of(request, day, day)
    engine = service_of(request.app).market.engine
    loop = asyncio.get_running_loop()
    history, old, categories = await loop.run_in_executor(
        None, _revisions, engine, day, int(wanted) if wanted else None
    )
    if wanted and not any(rev == int(wanted) for rev, _, _ in history):
        raise web.HTTPNotFound(text=json.dumps({"error": "unknown_revision"}))
    records = old if wanted else shown.records
    lang = lang_of(request)
    return page(
        request,
        "prices.html",
        words=WORDS,
        day=day.isoformat(),
        prev=(day - timedelta(days=1)).isoformat(),
        next=(day + timedelta(days=1)).isoformat(),
        rows=[_row(r, categories.get(r.variety, "")) for r in records],
        revision=int(wanted) if wanted else None,
        history=[
            {"revision": rev, "at": show_time(at), "records": n, "url": _day_url(day, rev, lang)}
            for rev, at, n in history
        ],
        pending=day in shown.pending,
        csv_url="/prices.csv?" + urlencode({"from": day, "to": day}),
        json_url="/api/prices?" + urlencode({"from": day, "to": day}),
        other_lang="/prices?"
        + urlencode(
            {
                "day": day,
                **({"revision": wanted} if wanted else {}),
                "lang": "en" if lang == "zh" else "zh",
            }
        ),
    )


def _day_url(day: date, revision: int | None, lang: str) -> str:
    query: dict[str, Any] = {"day": day.isoformat()}
    if revision is not None:
        query["revision"] = revision
    return "/prices?" + urlencode({**query, "lang": lang})


def grade_series(records: list[DailyRecord]) -> dict[str, dict[date, tuple[int, int, int, int]]]:
    """grade → day → (Σ amount_fen, Σ volume_g, min, max) over origins and packages."""
    out: dict[str, dict[date, tuple[int, int, int, int]]] = defaultdict(dict)
    for r in records:
        if not r.trades:
            continue
        amount, volume, low, high = out[r.grade].get(r.day, (0, 0, r.min_fen_per_kg, 0))
        out[r.grade][r.day] = (
            amount + r.amount_fen,
            volume + r.volume_g,
            min(low, r.min_fen_per_kg),
            max(high, r.max_fen_per_kg),
        )
    return dict(sorted(out.items()))


async def history_page(request: web.Request) -> web.StreamResponse:
    variety = request.match_info["variety"]
    start, end = _range(request, HISTORY_DAYS)
    shown = await records_of(request, start, end)
    records, categories = shown.records, shown.categories
    mine = [r for r in records if r.variety == variety]
    lang = lang_of(request)
    words = WORDS
    zh = lang != "en"
    series = grade_series(mine)
    chart_series = {
        grade: [(d, amount * 1000 / volume / 100) for d, (amount, volume, _, _) in days.items()]
        for grade, days in series.items()
    }
    chart = line_chart(
        chart_series,
        title=f"{variety} · {words['prices_mean'][0 if zh else 1]}",
        unit=words["prices_unit"][0 if zh else 1],
        span=(start, end),
    )
    table = [
        {
            "day": d.isoformat(),
            "grade": grade,
            "min": yuan(low),
            "max": yuan(high),
            "mean": yuan_per_kg(mean_price(amount, volume)),
            "volume": kg(volume),
            "amount": yuan(amount),
        }
        for grade, days in series.items()
        for d, (amount, volume, low, high) in sorted(days.items())
    ]
    table.sort(key=lambda row: (row["day"], row["grade"]), reverse=True)
    query = {"from": start.isoformat(), "to": end.isoformat()}
    return page(
        request,
        "prices_history.html",
        words=WORDS,
        variety=variety,
        category=categories.get(variety, ""),
        start=start.isoformat(),
        end=end.isoformat(),
        chart=chart,
        table=table,
        csv_url="/prices.csv?" + urlencode(query),
        json_url="/api/prices?" + urlencode(query),
        other_lang=f"/prices/history/{quote(variety, safe='')}?"
        + urlencode({**query, "lang": "en" if zh else "zh"}),
    )


async def _index(request: web.Request) -> tuple[IndexResult, dict[str, str]]:
    """The index for the request's range and base (default: the first traded day of the
    range as a one-day base)."""
    start, end = _range(request, HISTORY_DAYS)
    period = request.query.get("period", "day")
    if period not in PERIODS:
        raise Refused(400, "bad_period")
    base_from_text = request.query.get("base_from", "").strip()
    base_from = _day(request, "base_from", start)
    base_to = _day(request, "base_to", base_from)
    chosen: Period = "week" if period == "week" else "month" if period == "month" else "day"
    # Whole weeks or months: a reading at the edge of the range covers its whole period.
    first = min(period_start(start, chosen), base_from)
    last = max(period_end(period_start(end, chosen), chosen), base_to)
    if (last - first).days >= MAX_DAYS:
        raise Refused(400, "range_too_long")
    shown = await records_of(request, first, last)
    records, categories = shown.records, shown.categories
    if not base_from_text:
        traded = sorted({r.day for r in records if r.trades and start <= r.day <= end})
        if traded:
            base_from = base_to = traded[0]
    rows = [
        PriceRow(
            r.day,
            r.variety,
            categories.get(r.variety) or UNCATEGORISED,
            r.grade,
            r.volume_g,
            r.amount_fen,
        )
        for r in records
    ]
    result = compute_index(rows, base_from, base_to, chosen)
    in_range = [r for r in result.readings if r.end >= start and r.start <= end]
    return (
        IndexResult(
            result.base_from,
            result.base_to,
            result.period,
            in_range,
            result.weights,
            result.variety_weights,
        ),
        {"from": start.isoformat(), "to": end.isoformat()},
    )


def _fmt(value: float | None) -> str:
    """An index figure with two decimals, half up (as published)."""
    if value is None:
        return ""
    return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def index_page(request: web.Request) -> web.StreamResponse:
    lang = lang_of(request)
    zh = lang != "en"
    query = {k: v for k, v in request.query.items() if k != "lang"}
    context: dict[str, Any] = {
        "problem": None,
        "query": query,
        "period": query.get("period", "day"),
        "other_lang": "/prices/index?" + urlencode({**query, "lang": "en" if zh else "zh"}),
        "csv_url": "/prices/index.csv?" + urlencode(query),
        "json_url": "/api/prices/index?" + urlencode(query),
    }
    try:
        result, span = await _index(request)
    except UserError as e:
        context["problem"] = "\n".join(e.lines("zh" if zh else "en"))
        return page(request, "index.html", words=WORDS, **context)
    categories = sorted(result.weights)
    total_name = WORDS["prices_total"][0 if zh else 1]
    series: dict[str, list[tuple[date, float | None]]] = {
        total_name: [(r.start, r.total) for r in result.readings]
    }
    for c in categories:
        series[c] = [(r.start, r.categories.get(c)) for r in result.readings]
    title = WORDS["prices_index"][0 if zh else 1]
    rows = []
    for r in reversed(result.readings):
        cells = [(_fmt(r.total), _fmt(result.chain(r)), _fmt(result.year_on_year(r)))]
        cells += [
            (
                _fmt(r.categories.get(c)),
                _fmt(result.chain(r, c)),
                _fmt(result.year_on_year(r, c)),
            )
            for c in categories
        ]
        rows.append({"label": r.label, "cells": cells})
    context.update(
        base_from=result.base_from.isoformat(),
        base_to=result.base_to.isoformat(),
        start=span["from"],
        end=span["to"],
        categories=categories,
        weights={c: yuan(w) for c, w in result.weights.items()},
        rows=rows,
        chart=line_chart(
            series,
            title=title,
            unit="",
            reference=100.0,
            span=(result.readings[0].start, result.readings[-1].start) if result.readings else None,
        ),
    )
    return page(request, "index.html", words=WORDS, **context)


# ---------------------------------------------------------------------------- downloads, API


def _download(text: str, name: str) -> web.Response:
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),  # a BOM: spreadsheets then read it as UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def prices_csv(request: web.Request) -> web.StreamResponse:
    start, end = _range(request)
    shown = await records_of(request, start, end)
    return _download(records_csv(shown.records, shown.categories), f"prices-{start}-{end}.csv")


async def api_prices(request: web.Request) -> web.StreamResponse:
    start, end = _range(request)
    shown = await records_of(request, start, end)
    body = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        **records_json(shown.records, shown.categories),
        "pending_corrections": sorted(d.isoformat() for d in shown.pending),
    }
    return web.json_response(body, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _no_index(request: web.Request, e: UserError) -> web.Response:
    message = "\n".join(e.lines("en" if lang_of(request) == "en" else "zh"))
    return web.json_response({"error": "no_index", "message": message}, status=400, dumps=_dumps)


async def index_csv_download(request: web.Request) -> web.StreamResponse:
    try:
        result, span = await _index(request)
    except UserError as e:
        return _no_index(request, e)
    return _download(index_csv(result), f"index-{span['from']}-{span['to']}.csv")


async def api_index(request: web.Request) -> web.StreamResponse:
    try:
        result, _ = await _index(request)
    except UserError as e:
        return _no_index(request, e)
    return web.json_response(index_json(result), dumps=_dumps)


async def api_publish(request: web.Request) -> web.StreamResponse:
    """An administrator publishes the days ``from``..``to`` (JSON body): each day whose
    records differ from its latest revision gets a new one; the answer lists each day's
    revision. Audited."""
    session = require(request, "admin")
    data = await json_body(request)
    days = []
    for name in ("from", "to"):
        value = data.get(name)
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise Refused(400, f"bad_{name}")
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            raise Refused(400, f"bad_{name}") from None
    start, end = days
    if end < start:
        raise Refused(400, "bad_range")
    if (end - start).days >= MAX_DAYS:
        raise Refused(400, "range_too_long")
    service = service_of(request.app)
    engine = service.market.engine
    now = service.runner.now()
    loop = asyncio.get_running_loop()
    records = await loop.run_in_executor(None, lambda: publish(engine, start, end, now_ms=now))
    revisions = sorted({(r.day.isoformat(), r.revision) for r in records})
    body = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "records": len(records),
        "days": [{"date": d, "revision": rev} for d, rev in revisions],
    }
    await service.audit(session.user, "prices_published", body)
    return web.json_response(body, dumps=_dumps)


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/api/prices/publish", api_publish),
    ("GET", "/prices", prices_page),
    ("GET", "/prices.csv", prices_csv),
    ("GET", "/prices/history/{variety}", history_page),
    ("GET", "/prices/index", index_page),
    ("GET", "/prices/index.csv", index_csv_download),
    ("GET", "/api/prices", api_prices),
    ("GET", "/api/prices/index", api_index),
]
