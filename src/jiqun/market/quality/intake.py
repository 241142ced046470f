"""Lot intake and the testing centre's records (PRODUCT.md M8), on the market's database.

A lot taken in either carries its supplier's commitment certificate (承诺达标合格证: number,
issuer, date) and is *released* at once, or goes to *testing* and waits, off the clock. The
sampling plan (:mod:`.sampling`) decides at intake whether the lot is sampled (certificated
lots too: spot checks) and the reasons are stored with it.

Tests are recorded one reading at a time. A rapid test's readings form a series (the first
test, then its retests) judged by :func:`.rules.judge_rapid`; a lab test by
:func:`.rules.judge_lab`. A passing verdict releases a lot waiting in testing; a failing one
blocks the lot and flags its supplier. What the engine must do about it (``AddLot`` for a
released lot, ``BlockLot`` for a blocked one) is returned as an :class:`Action`, for the caller
to submit: this module writes only its own tables.

Functions take a SQLAlchemy connection inside the caller's transaction; the live server calls
them on the market's single writer thread.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from jiqun.market.codec import lot_from, lot_json
from jiqun.market.core.model import Lot
from jiqun.market.quality import rules
from jiqun.market.quality.sampling import Arrival, Draw, PlanSettings, SamplingPlan
from jiqun.market.quality.tables import quality_flags, quality_lots, quality_tests
from jiqun.market.texts import MarketProblem

TESTING, RELEASED, BLOCKED = "testing", "released", "blocked"
PLAN_SEED = "jiqun-quality"


class IntakeProblem(MarketProblem):
    """A request the testing centre refuses; ``code`` is the API's error code."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code = code
        super().__init__(zh, en)


@dataclass(frozen=True)
class Certificate:
    number: str
    issuer: str = ""
    date: str = ""  # YYYY-MM-DD

    @staticmethod
    def parse(data: Mapping[str, Any]) -> Certificate | None:
        """From request fields ``certificate_no``, ``certificate_issuer``,
        ``certificate_date`` (or a nested ``certificate`` object); ``None`` when absent."""
        nested = data.get("certificate")
        src: Mapping[str, Any] = nested if isinstance(nested, Mapping) else {}
        number = src.get("no", data.get("certificate_no"))
        issuer = src.get("issuer", data.get("certificate_issuer", ""))
        date = src.get("date", data.get("certificate_date", ""))
        if number is None or number == "":
            if issuer or date:
                raise IntakeProblem(
                    "bad_certificate", "合格证缺少编号", "certificate number missing"
                )
            return None
        for value in (number, issuer, date):
            if not isinstance(value, str) or len(value) > 64:
                raise IntakeProblem("bad_certificate", "合格证信息无效", "bad certificate fields")
        if date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise IntakeProblem(
                "bad_certificate",
                f"合格证日期“{date}”应为 YYYY-MM-DD",
                f"certificate date '{date}' must be YYYY-MM-DD",
            )
        return Certificate(number.strip(), issuer.strip(), date)


@dataclass(frozen=True)
class Action:
    """What the engine must do after a record: ``add`` the released lot to ``hall``'s queue,
    ``block`` it, or nothing."""

    kind: str  # "add" | "block" | "none"
    hall: str
    lot: Lot
    reason: str = ""


def trace_code(lot_id: str, at_ms: int) -> str:
    """A lot's public trace code: 12 characters derived from its id and intake time."""
    digest = hashlib.sha256(f"{lot_id}\x00{at_ms}".encode()).hexdigest()
    return "SG" + digest[:10].upper()


# ---------------------------------------------------------------------------- sampling


def sampling_plan(
    conn: Connection, at_ms: int, settings: PlanSettings, supplier: str, variety: str
) -> SamplingPlan:
    """The plan's memory rebuilt from the tables, as far as a lot of ``supplier`` and
    ``variety`` needs it (:meth:`SamplingPlan.consider` looks at nothing else): whether the
    pair was sampled in the current period, the supplier's first intake and lot count, his
    flag. Reading only his rows keeps an intake's cost flat over a season (it read every lot
    of the period, on the writer thread that commits the presses)."""
    plan = SamplingPlan(settings, seed=PLAN_SEED)
    period = plan.period(at_ms)
    start = settings.origin_ms + period * settings.period_ms
    q = quality_lots.c
    mine = q.supplier == supplier
    samplings = conn.execute(
        sa.select(q.sampling).where(mine, q.variety == variety, q.received_at_ms >= start)
    ).scalars()
    if any(sampling and sampling.get("drawn") for sampling in samplings):
        plan.mark_covered(period, supplier, variety)
    first, count = conn.execute(
        sa.select(sa.func.min(q.received_at_ms), sa.func.count()).where(mine)
    ).one()
    if count:
        plan.remember(supplier, int(first), int(count))
    f = quality_flags.c
    for (flagged,) in conn.execute(sa.select(f.flagged_at_ms).where(f.supplier == supplier)):
        plan.flag(supplier, int(flagged))
    return plan


def draw(conn: Connection, lot: Lot, at_ms: int, settings: PlanSettings) -> Draw:
    """Whether the plan samples this lot, and why. The random number is drawn from
    ``random.Random`` seeded with the plan's seed and the lot id: the same lot always gets the
    same number, whatever else arrived, so a draw can be reproduced."""
    plan = sampling_plan(conn, at_ms, settings, lot.supplier, lot.variety)
    u = random.Random(f"{PLAN_SEED}:{lot.id}").random()
    return plan.consider(Arrival(lot.id, lot.supplier, lot.variety, at_ms), u=u)


# ---------------------------------------------------------------------------- intake


def receive(
    conn: Connection,
    lot: Lot,
    hall: str,
    at_ms: int,
    certificate: Certificate | None,
    settings: PlanSettings | None = None,
) -> dict[str, Any]:
    """Take a lot in: released with a certificate, else to testing. Returns its record."""
    if conn.execute(
        sa.select(quality_lots.c.status).where(quality_lots.c.lot_id == lot.id)
    ).first():
        raise IntakeProblem(
            "lot_exists", f"批次 {lot.id} 已登记", f"lot {lot.id} is already taken in"
        )
    sample = draw(conn, lot, at_ms, settings or PlanSettings())
    status = RELEASED if certificate is not None else TESTING
    code = trace_code(lot.id, at_ms)
    conn.execute(
        quality_lots.insert().values(
            lot_id=lot.id,
            hall=hall,
            supplier=lot.supplier,
            variety=lot.variety,
            origin=lot.origin,
            lot=lot_json(lot),
            status=status,
            certificate_no=certificate.number if certificate else None,
            certificate_issuer=certificate.issuer if certificate else None,
            certificate_date=certificate.date if certificate else None,
            trace_code=code,
            received_at_ms=at_ms,
            released_at_ms=at_ms if status == RELEASED else None,
            sampling=sample.to_json(),
        )
    )
    return record(conn, lot.id) or {}


def record(conn: Connection, lot_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(quality_lots).where(quality_lots.c.lot_id == lot_id)).first()
    return None if row is None else _lot_row(conn, row._mapping)


def by_trace_code(conn: Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(quality_lots).where(quality_lots.c.trace_code == code)).first()
    return None if row is None else _lot_row(conn, row._mapping)


def _lot_row(conn: Connection, m: RowMapping) -> dict[str, Any]:
    tests = conn.execute(
        sa.select(quality_tests)
        .where(quality_tests.c.lot_id == m["lot_id"])
        .order_by(quality_tests.c.id)
    ).all()
    return {
        "lot_id": m["lot_id"],
        "hall": m["hall"],
        "supplier": m["supplier"],
        "variety": m["variety"],
        "origin": m["origin"],
        "lot": m["lot"],
        "status": m["status"],
        "certificate": None
        if m["certificate_no"] is None
        else {
            "no": m["certificate_no"],
            "issuer": m["certificate_issuer"] or "",
            "date": m["certificate_date"] or "",
        },
        "trace_code": m["trace_code"],
        "received_at_ms": m["received_at_ms"],
        "released_at_ms": m["released_at_ms"],
        "blocked_reason": m["blocked_reason"],
        "sampling": m["sampling"],
        "tests": [
            {
                "kind": t.kind,
                "inspector": t.inspector,
                "at_ms": t.at_ms,
                "readings": t.readings,
                "verdict": t.verdict,
                "detail": t.detail,
            }
            for t in tests
        ],
    }


def pending(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The newest lots taken in, the inspector's work first: lots waiting for a test, then
    lots the plan drew and nobody tested yet (spot checks), then the rest, newest first."""
    rows = conn.execute(
        sa.select(quality_lots).order_by(quality_lots.c.received_at_ms.desc()).limit(limit)
    ).all()
    lots = [_lot_row(conn, r._mapping) for r in rows]

    def work(lot: dict[str, Any]) -> int:
        if lot["status"] == TESTING:
            return 0
        drawn = bool(lot["sampling"] and lot["sampling"].get("drawn"))
        return 1 if drawn and not lot["tests"] and lot["status"] == RELEASED else 2

    return sorted(lots, key=work)  # stable: newest first within each group


def flagged(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(quality_flags).order_by(quality_flags.c.supplier)).all()
    return [dict(r._mapping) for r in rows]


# ---------------------------------------------------------------------------- tests


def _testable(conn: Connection, lot_id: str) -> RowMapping:
    row = conn.execute(sa.select(quality_lots).where(quality_lots.c.lot_id == lot_id)).first()
    if row is None:
        raise IntakeProblem("unknown_lot", f"没有批次 {lot_id}", f"no lot {lot_id}")
    m = row._mapping
    if m["status"] == BLOCKED:
        raise IntakeProblem("lot_blocked", f"批次 {lot_id} 已被拦截", f"lot {lot_id} is blocked")
    return m


def record_rapid(
    conn: Connection, lot_id: str, inspector: str, at_ms: int, reading: object
) -> tuple[rules.RapidVerdict, Action]:
    """Add one inhibition reading to the lot's current rapid-test series and judge it."""
    m = _testable(conn, lot_id)
    last = conn.execute(
        sa.select(quality_tests.c.readings, quality_tests.c.verdict)
        .where(quality_tests.c.lot_id == lot_id, quality_tests.c.kind == "rapid")
        .order_by(quality_tests.c.id.desc())
        .limit(1)
    ).first()
    series = list(last.readings) if last is not None and last.verdict == rules.RETEST else []
    verdict = rules.judge_rapid([*series, reading])
    handling = rules.special_handling(m["variety"])
    detail = verdict.to_json()
    if handling is not None:
        detail["handling"] = {"group": handling.group, "zh": handling.zh, "en": handling.en}
    conn.execute(
        quality_tests.insert().values(
            lot_id=lot_id,
            kind="rapid",
            inspector=inspector,
            at_ms=at_ms,
            readings=[str(r) for r in verdict.readings],
            verdict=verdict.status,
            detail=detail,
        )
    )
    return verdict, _apply(conn, m, verdict.status, verdict.zh, at_ms)


def record_lab(
    conn: Connection, lot_id: str, inspector: str, at_ms: int, results: Mapping[str, object]
) -> tuple[rules.LabVerdict, Action]:
    """A lab result (mg/kg per pesticide) judged against GB 2763 for the lot's variety."""
    m = _testable(conn, lot_id)
    verdict = rules.judge_lab(m["variety"], results)
    conn.execute(
        quality_tests.insert().values(
            lot_id=lot_id,
            kind="lab",
            inspector=inspector,
            at_ms=at_ms,
            readings={line.pesticide: str(line.measured) for line in verdict.lines},
            verdict=verdict.status,
            detail=verdict.to_json(),
        )
    )
    exceeded = "、".join(f"{x.pesticide} {x.measured}>{x.limit}" for x in verdict.exceeded)
    reason = f"实验室检测超标：{exceeded} mg/kg" if exceeded else "实验室检测合格"
    return verdict, _apply(conn, m, verdict.status, reason, at_ms)


def _apply(conn: Connection, m: RowMapping, status: str, reason: str, at_ms: int) -> Action:
    lot = lot_from(m["lot"])
    q = quality_lots.c
    if status == rules.FAIL:
        conn.execute(
            quality_lots.update()
            .where(q.lot_id == lot.id)
            .values(status=BLOCKED, blocked_reason=reason[:200])
        )
        flag_supplier(conn, lot.supplier, lot.id, reason, at_ms)
        return Action("block", m["hall"], lot, reason[:200])
    if status == rules.PASS and m["status"] == TESTING:
        conn.execute(
            quality_lots.update()
            .where(q.lot_id == lot.id)
            .values(status=RELEASED, released_at_ms=at_ms)
        )
        return Action("add", m["hall"], lot)
    return Action("none", m["hall"], lot)


def flag_supplier(conn: Connection, supplier: str, lot_id: str, reason: str, at_ms: int) -> None:
    values = {"flagged_at_ms": at_ms, "lot_id": lot_id, "reason": reason[:200]}
    done = conn.execute(
        quality_flags.update().where(quality_flags.c.supplier == supplier).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(quality_flags.insert().values(supplier=supplier, **values))
