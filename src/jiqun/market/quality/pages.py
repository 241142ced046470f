"""Web routes of the testing centre; :func:`jiqun.market.service.app.feature_routes` adds them.

- ``/inspector`` (role inspector): the lots taken in, why the plan drew them, forms to record a
  rapid-test reading or a lab result; the verdict releases or blocks the lot.
- ``/api/quality/lots`` (inspector, auctioneer), ``/api/quality/lots/{lot}/rapid`` and
  ``…/lab`` (inspector): the same as JSON.
- ``/trace/{code}`` (public): a lot's origin, supplier, certificate, tests and sale, with a QR
  code (``/trace/{code}/qr.svg``, by segno) linking to the page; ``/api/trace/{code}``: JSON.
- ``/api/quality/mrl?pesticide=…&food=…`` (public): a GB 2763 limit and where it came from.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import segno
import sqlalchemy as sa
from aiohttp import web

from jiqun.market.journal import DurableMarket
from jiqun.market.quality import intake, mrl, rules
from jiqun.market.quality.service import apply_action, resync
from jiqun.market.service.app import (
    Handler,
    Refused,
    json_body,
    lang_of,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.store import schema as t
from jiqun.market.texts import show_time
from jiqun.observatory.errors import UserError

WORDS: dict[str, tuple[str, str]] = {
    "inspector_console": ("质检员终端", "Inspector console"),
    "trace_title": ("质量追溯", "Quality trace"),
    "q_lot": ("批次", "Lot"),
    "q_variety": ("品名", "Variety"),
    "q_grade": ("等级", "Grade"),
    "q_origin": ("产地", "Origin"),
    "q_supplier": ("供货商", "Supplier"),
    "q_status": ("状态", "Status"),
    "q_testing": ("待检", "awaiting test"),
    "q_released": ("已放行", "released"),
    "q_blocked": ("已拦截", "blocked"),
    "q_certificate": ("承诺达标合格证", "Commitment certificate"),
    "q_cert_no": ("编号", "Number"),
    "q_cert_issuer": ("开具者", "Issuer"),
    "q_cert_date": ("日期", "Date"),
    "q_no_certificate": ("无合格证，入场检测", "no certificate: tested at intake"),
    "q_sampling": ("抽检计划", "Sampling plan"),
    "q_drawn": ("抽中", "drawn"),
    "q_not_drawn": ("未抽中", "not drawn"),
    "q_tests": ("检测记录", "Tests"),
    "q_no_tests": ("尚无检测记录", "no tests yet"),
    "q_rapid": ("速测（酶抑制率法）", "Rapid test (enzyme inhibition)"),
    "q_lab": ("实验室检测", "Lab test"),
    "q_inhibition": ("抑制率（%）", "Inhibition (%)"),
    "q_lab_results": (
        "检测结果（每行：农药 含量mg/kg）",
        "Results (one per line: pesticide mg/kg)",
    ),
    "q_record": ("记录", "Record"),
    "q_verdict": ("结论", "Verdict"),
    "q_pass": ("合格", "pass"),
    "q_fail": ("不合格", "fail"),
    "q_retest": ("需复检", "retest due"),
    "q_sale": ("销售", "Sale"),
    "q_sold_units": ("已售件数", "Units sold"),
    "q_withdrawn_units": ("流拍件数", "Units withdrawn"),
    "q_remaining": ("待售件数", "Units remaining"),
    "q_not_on_clock": ("未上拍", "not on a clock"),
    "q_time": ("时间", "Time"),
    "q_price": ("价格（元/公斤）", "Price (yuan/kg)"),
    "q_qty": ("件数", "Units"),
    "q_trace_code": ("追溯码", "Trace code"),
    "q_flagged": ("加密抽检的供货商", "Suppliers oversampled"),
    "q_handling": ("速测特殊处理", "Rapid-test handling"),
    "q_inspector": ("检测员", "Inspector"),
    "q_reason": ("原因", "Reason"),
    "q_unknown": ("没有这个追溯码", "no such trace code"),
    "q_language": ("English", "中文"),
}

MAX_RESULTS = 40


def _problem(e: UserError, lang: str) -> str:
    return e.lines("zh" if lang == "zh" else "en")[0]


# ---------------------------------------------------------------------------- recording


async def _record(
    request: web.Request, lot_id: str, kind: str, value: object
) -> tuple[dict[str, Any], int]:
    """Record a rapid reading or lab results; apply the verdict to the engine."""
    session = require(request, "inspector")
    service = service_of(request.app)
    at = service.runner.now()

    def write(m: DurableMarket) -> tuple[Any, intake.Action]:
        with m.engine.begin() as conn:
            if kind == "rapid":
                return intake.record_rapid(conn, lot_id, session.user, at, value)
            if not isinstance(value, dict):
                raise rules.RuleError(
                    "检测结果应为 农药: 含量", "results must map pesticide to mg/kg"
                )
            return intake.record_lab(conn, lot_id, session.user, at, value)

    try:
        verdict, action = await service.runner.call(write)
    except intake.IntakeProblem as e:
        status = 404 if e.code == "unknown_lot" else 409
        return {"error": e.code, "message": _problem(e, lang_of(request))}, status
    except UserError as e:  # bad readings, unknown pesticide …
        return {"error": "bad_result", "message": _problem(e, lang_of(request))}, 400
    await resync(service)
    await apply_action(service, action)
    await service.audit(
        session.user,
        f"quality_{kind}",
        {"lot": lot_id, "verdict": verdict.status, "action": action.kind},
    )
    return {"lot": lot_id, "verdict": verdict.to_json(), "action": action.kind}, 200


def _lab_lines(text: str) -> dict[str, str]:
    """``毒死蜱 0.05`` per line (a colon, comma or spaces between) into a dict."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"[\s:：,，=]+", line)
        if len(parts) != 2:
            raise rules.RuleError(
                f"无法识别的结果行“{line}”：应为“农药 含量”",
                f"cannot read the line '{line}': write 'pesticide mg/kg'",
            )
        out[parts[0]] = parts[1]
    return out


def _json_number(value: object) -> object:
    """A JSON number as the decimal it was written as (62.5 → "62.5"): the rules take no
    floats, and a float's shortest repr is the literal the client sent."""
    return repr(value) if isinstance(value, float) else value


async def api_rapid(request: web.Request) -> web.StreamResponse:
    data = await json_body(request)
    value = _json_number(data.get("inhibition"))
    body, status = await _record(request, request.match_info["lot"], "rapid", value)
    return web.json_response(body, status=status)


async def api_lab(request: web.Request) -> web.StreamResponse:
    data = await json_body(request)
    results = data.get("results")
    if isinstance(results, dict):
        results = {k: _json_number(v) for k, v in results.items()}
    body, status = await _record(request, request.match_info["lot"], "lab", results)
    return web.json_response(body, status=status)


async def form_record(request: web.Request) -> web.StreamResponse:
    """The inspector page's forms (urlencoded, CSRF field checked by the middleware)."""
    session = session_of(request)
    if session is None:
        raise login_redirect(request)
    form = await request.post()
    lot_id, kind = str(form.get("lot", "")), request.match_info["kind"]
    if kind not in ("rapid", "lab"):
        raise web.HTTPNotFound()
    message = ""
    try:
        value: object = (
            str(form.get("inhibition", ""))
            if kind == "rapid"
            else _lab_lines(str(form.get("results", "")))
        )
    except UserError as e:
        body: dict[str, Any] = {"message": _problem(e, lang_of(request))}
    else:
        body, _ = await _record(request, lot_id, kind, value)
    if "message" in body:
        message = body["message"]
    return await _inspector(request, message=message, result=body if "verdict" in body else None)


# ---------------------------------------------------------------------------- reading


def _lots(m: DurableMarket) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with m.engine.connect() as conn:
        return intake.pending(conn), intake.flagged(conn)


async def api_lots(request: web.Request) -> web.StreamResponse:
    require(request, "inspector", "auctioneer")
    lots, flags = await service_of(request.app).runner.call(_lots)
    return web.json_response({"lots": lots, "flagged": flags})


async def inspector_page(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is None:
        raise login_redirect(request)
    return await _inspector(request)


async def _inspector(
    request: web.Request, message: str = "", result: dict[str, Any] | None = None
) -> web.StreamResponse:
    session = require(request, "inspector")
    lots, flags = await service_of(request.app).runner.call(_lots)
    for lot in lots:
        handling = rules.special_handling(lot["variety"])
        lot["handling"] = None if handling is None else (handling.zh, handling.en)
    return page(
        request,
        "quality_inspector.html",
        words=WORDS,
        lots=lots,
        flagged=flags,
        message=message,
        result=result,
        csrf=session.csrf,
    )


def _trace(code: str) -> Any:
    def read(m: DurableMarket) -> dict[str, Any] | None:
        with m.engine.connect() as conn:
            record = intake.by_trace_code(conn, code)
            if record is None:
                return None
            record["sales"] = _sales(conn, record["lot_id"], record["received_at_ms"])
            name = conn.execute(
                sa.select(t.users.c.name).where(t.users.c.id == record["supplier"])
            ).scalar()
            record["supplier_name"] = name or ""
        record["on_clock"] = None
        engine = m.halls.get(record["hall"])
        if engine is not None:
            for ls in engine.state.lots:
                if ls.lot.id == record["lot_id"]:
                    record["on_clock"] = {
                        "sold": ls.sold,
                        "withdrawn": ls.withdrawn,
                        "remaining": ls.remaining,
                        "rounds": ls.rounds,
                    }
        return record

    return read


def _sales(conn: sa.Connection, lot_id: str, since_ms: int) -> list[dict[str, Any]]:
    """The lot's sales from the ledger (quantity, price, time; buyers are not shown)."""
    tx = t.transactions.c
    rows = conn.execute(
        sa.select(tx.at_ms, tx.meta)
        .where(tx.kind == "sale", tx.at_ms >= since_ms)
        .order_by(tx.at_ms)
        .limit(10_000)
    ).all()
    out = []
    for at_ms, meta in rows:
        if isinstance(meta, dict) and meta.get("lot") == lot_id:
            price = int(meta["price_fen"])
            out.append(
                {
                    "at_ms": at_ms,
                    "qty": meta["qty"],
                    "price_fen": price,
                    "price_yuan": str(Decimal(price) / 100),
                    "grade": meta.get("grade", ""),
                }
            )
    return out


def public_trace(record: dict[str, Any]) -> dict[str, Any]:
    """What anyone may see: no reserve price, no buyers."""
    lot = dict(record["lot"])
    lot.pop("reserve_price_fen", None)
    return {
        "trace_code": record["trace_code"],
        "lot": lot,
        "supplier_name": record["supplier_name"],
        "status": record["status"],
        "certificate": record["certificate"],
        "received_at_ms": record["received_at_ms"],
        "released_at_ms": record["released_at_ms"],
        "blocked_reason": record["blocked_reason"],
        "tests": [
            {k: test[k] for k in ("kind", "at_ms", "readings", "verdict")}
            for test in record["tests"]
        ],
        "on_clock": record["on_clock"],
        "sales": record["sales"],
    }


async def _trace_record(request: web.Request) -> dict[str, Any]:
    code = request.match_info["code"]
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", code):
        raise Refused(404, "unknown_trace_code")
    record = await service_of(request.app).runner.call(_trace(code))
    if record is None:
        raise Refused(404, "unknown_trace_code")
    return public_trace(record)


async def api_trace(request: web.Request) -> web.StreamResponse:
    return web.json_response(await _trace_record(request))


async def trace_page(request: web.Request) -> web.StreamResponse:
    try:
        record = await _trace_record(request)
    except Refused:
        response = page(request, "trace.html", words=WORDS, record=None, code="")
        response.set_status(404)
        return response
    return page(
        request,
        "trace.html",
        words=WORDS,
        record=record,
        code=record["trace_code"],
        show_time=show_time,
    )


def trace_url(request: web.Request, code: str) -> str:
    return f"{request.scheme}://{request.host}/trace/{code}"


async def trace_qr(request: web.Request) -> web.StreamResponse:
    record = await _trace_record(request)
    qr = segno.make(trace_url(request, record["trace_code"]), error="m")
    return web.Response(text=qr_svg(qr), content_type="image/svg+xml")


def qr_svg(qr: segno.QRCode) -> str:
    """A standalone SVG document (with its namespace, so that an ``<img>`` shows it)."""
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=2, xmldecl=False)
    return out.getvalue().decode()


async def api_mrl(request: web.Request) -> web.StreamResponse:
    pesticide, food = request.query.get("pesticide", ""), request.query.get("food", "")
    try:
        match = mrl.default_table().lookup(pesticide, food)
    except mrl.UnknownName as e:
        return web.json_response(
            {
                "error": f"unknown_{e.kind}",
                "message": _problem(e, lang_of(request)),
                "suggestions": e.suggestions,
            },
            status=404,
        )
    return web.json_response(match.to_json())


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/inspector", inspector_page),
    ("POST", "/inspector/{kind}", form_record),
    ("GET", "/api/quality/lots", api_lots),
    ("POST", "/api/quality/lots/{lot}/rapid", api_rapid),
    ("POST", "/api/quality/lots/{lot}/lab", api_lab),
    ("GET", "/api/quality/mrl", api_mrl),
    ("GET", "/api/trace/{code}", api_trace),
    ("GET", "/trace/{code}", trace_page),
    ("GET", "/trace/{code}/qr.svg", trace_qr),
]
