"""Intake records on a real database: release or testing, the sampling reasons stored with each
lot and rebuilt from the tables, rapid-test series, lab verdicts, blocking and flags."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from jiqun.market.core.model import Lot
from jiqun.market.quality import intake
from jiqun.market.quality.sampling import (
    DAY_MS,
    MONDAY_CST_MS,
    WEEK_MS,
    Arrival,
    PlanSettings,
    SamplingPlan,
)
from jiqun.market.quality.tables import quality_flags, quality_lots, quality_tests
from jiqun.market.store import open_store

MONDAY = MONDAY_CST_MS + 2900 * WEEK_MS
NO_RANDOM = PlanSettings(base_rate=0.0, new_rate=0.0, flagged_rate=0.0)


@pytest.fixture(params=["sqlite_url", "pg_url"])
def db(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    engine = open_store(request.getfixturevalue(request.param))
    with engine.begin() as conn:  # the shared PostgreSQL database keeps feature tables' rows
        for table in (quality_tests, quality_lots, quality_flags):
            conn.execute(table.delete())
    yield engine
    engine.dispose()


def lot(lot_id: str, supplier: str = "S01", variety: str = "黄瓜") -> Lot:
    return Lot(lot_id, supplier, variety, "一级", 50, 10000, 600, 200, 5, origin="寿光市")


def test_receive_with_and_without_certificate(db: sa.Engine) -> None:
    with db.begin() as conn:
        cert = intake.Certificate("HG-1", "稻田镇合作社", "2026-11-26")
        a = intake.receive(conn, lot("L1"), "A", MONDAY, cert, NO_RANDOM)
        b = intake.receive(conn, lot("L2"), "A", MONDAY + 1, None, NO_RANDOM)
    assert a["status"] == "released" and a["released_at_ms"] == MONDAY
    assert a["certificate"] == {"no": "HG-1", "issuer": "稻田镇合作社", "date": "2026-11-26"}
    assert b["status"] == "testing" and b["released_at_ms"] is None
    assert a["trace_code"] != b["trace_code"] and len(a["trace_code"]) == 12
    with db.begin() as conn, pytest.raises(intake.IntakeProblem) as e:
        intake.receive(conn, lot("L1"), "A", MONDAY + 2, None, NO_RANDOM)
    assert e.value.code == "lot_exists"


def test_certificate_fields() -> None:
    assert intake.Certificate.parse({}) is None
    c = intake.Certificate.parse({"certificate": {"no": " N1 ", "date": "2026-01-02"}})
    assert c == intake.Certificate("N1", "", "2026-01-02")
    for bad in ({"certificate_issuer": "x"}, {"certificate_no": 5}, {"certificate_no": "x" * 65}):
        with pytest.raises(intake.IntakeProblem):
            intake.Certificate.parse(bad)


def test_coverage_is_rebuilt_from_the_tables_each_week(db: sa.Engine) -> None:
    def drawn(lot_id: str, at: int, supplier: str = "S01") -> list[str]:
        with db.begin() as conn:
            record = intake.receive(conn, lot(lot_id, supplier), "A", at, None, NO_RANDOM)
        return [r["code"] for r in record["sampling"]["reasons"]]

    assert drawn("L1", MONDAY + 3600_000) == ["coverage"]
    assert drawn("L2", MONDAY + 2 * DAY_MS) == []  # same pair, same week: covered
    assert drawn("L3", MONDAY + 2 * DAY_MS, "S02") == ["coverage"]  # another supplier
    assert drawn("L4", MONDAY + WEEK_MS) == ["coverage"]  # next week (Monday 00:00 CST)
    assert drawn("L5", MONDAY + WEEK_MS - 1 + 2) == []


def test_flags_and_new_suppliers_raise_the_rate(db: sa.Engine) -> None:
    always = PlanSettings(base_rate=0.0, new_rate=1.0, flagged_rate=1.0, new_lots=1, new_days=0)
    with db.begin() as conn:
        first = intake.receive(conn, lot("L1"), "A", MONDAY, None, always)
        second = intake.receive(conn, lot("L2"), "A", MONDAY + 1, None, always)
        intake.flag_supplier(conn, "S01", "L1", "速测不合格", MONDAY + 2)
        third = intake.receive(conn, lot("L3"), "A", MONDAY + 3, None, always)
    assert [r["code"] for r in first["sampling"]["reasons"]] == ["coverage", "new_supplier"]
    assert second["sampling"]["drawn"] is False
    assert [r["code"] for r in third["sampling"]["reasons"]] == ["flagged"]


def test_rapid_series_release_and_block(db: sa.Engine) -> None:
    with db.begin() as conn:
        intake.receive(conn, lot("L1"), "A", MONDAY, None, NO_RANDOM)
        intake.receive(conn, lot("L2", "S02"), "A", MONDAY, None, NO_RANDOM)
        v, action = intake.record_rapid(conn, "L1", "QC", MONDAY + 10, "70")
        assert (v.status, action.kind) == ("retest", "none")
        v, action = intake.record_rapid(conn, "L1", "QC", MONDAY + 20, "40")
        assert (v.status, v.retests_needed) == ("retest", 1)
        v, action = intake.record_rapid(conn, "L1", "QC", MONDAY + 30, "52")
        assert (v.status, v.discordant, action.kind) == ("pass", True, "add")
        assert action.lot.id == "L1" and action.hall == "A"
        assert intake.record(conn, "L1")["status"] == "released"  # type: ignore[index]
        v, action = intake.record_rapid(conn, "L2", "QC", MONDAY + 40, "50")
        intake.record_rapid(conn, "L2", "QC", MONDAY + 50, "50")
        v, action = intake.record_rapid(conn, "L2", "QC", MONDAY + 60, "99.5")
        assert (v.status, action.kind) == ("fail", "block")
        record = intake.record(conn, "L2")
        assert record is not None and record["status"] == "blocked"
        assert [f["supplier"] for f in intake.flagged(conn)] == ["S02"]
        with pytest.raises(intake.IntakeProblem) as e:
            intake.record_rapid(conn, "L2", "QC", MONDAY + 70, "1")
        assert e.value.code == "lot_blocked"
        with pytest.raises(intake.IntakeProblem) as e:
            intake.record_rapid(conn, "L9", "QC", MONDAY + 70, "1")
        assert e.value.code == "unknown_lot"


def test_lab_on_a_released_lot_blocks_it_without_re_adding(db: sa.Engine) -> None:
    with db.begin() as conn:
        intake.receive(conn, lot("L1", variety="番茄"), "A", MONDAY, intake.Certificate("N"))
        v, action = intake.record_lab(conn, "L1", "QC", MONDAY + 1, {"多菌灵": "3"})
        assert (v.status, action.kind) == ("pass", "none")  # at the limit; already released
        v, action = intake.record_lab(conn, "L1", "QC", MONDAY + 2, {"多菌灵": "3.01"})
        assert (v.status, action.kind) == ("fail", "block")
        assert "多菌灵 3.01>3" in action.reason
        assert len(intake.record(conn, "L1")["tests"]) == 2  # type: ignore[index]


def test_inspector_work_comes_first(db: sa.Engine) -> None:
    with db.begin() as conn:
        intake.receive(conn, lot("L1"), "A", MONDAY, intake.Certificate("N1"), NO_RANDOM)
        intake.receive(conn, lot("L2"), "A", MONDAY + 1, intake.Certificate("N2"), NO_RANDOM)
        intake.receive(conn, lot("L3"), "A", MONDAY + 2, None, NO_RANDOM)
        intake.receive(conn, lot("L4", "S02"), "A", MONDAY + 3, intake.Certificate("N4"), NO_RANDOM)
        order = [x["lot_id"] for x in intake.pending(conn)]
    # L3 waits for a test; L4 and L1 were drawn (coverage) and are untested; L2 was not drawn
    assert order == ["L3", "L4", "L1", "L2"]


def test_each_draw_is_what_one_plan_fed_every_arrival_decides(db: sa.Engine) -> None:
    """The plan rebuilt from the tables for each lot (only its supplier's rows) decides as one
    plan that saw every arrival in order, with the same random number per lot."""
    settings = PlanSettings(base_rate=0.2, new_rate=0.5, flagged_rate=0.7, new_lots=3, new_days=2)
    rng = random.Random(7)
    arrivals = [
        Arrival(f"L{i}", rng.choice(["S01", "S02", "S03"]), rng.choice(["黄瓜", "番茄"]), at)
        for i, at in enumerate(
            sorted(rng.randrange(MONDAY, MONDAY + 3 * WEEK_MS) for _ in range(60))
        )
    ]
    flags = {20: "S02", 41: "S01"}  # a positive after these arrivals
    one = SamplingPlan(settings, seed=intake.PLAN_SEED)
    for i, a in enumerate(arrivals):
        with db.begin() as conn:
            record = intake.receive(
                conn, lot(a.lot, a.supplier, a.variety), "A", a.at_ms, None, settings
            )
            if i in flags:
                intake.flag_supplier(conn, flags[i], a.lot, "速测不合格", a.at_ms)
        expected = one.consider(a, u=random.Random(f"{intake.PLAN_SEED}:{a.lot}").random())
        if i in flags:
            one.flag(flags[i], a.at_ms)
        assert record["sampling"]["drawn"] is expected.drawn, a
        assert [r["code"] for r in record["sampling"]["reasons"]] == [
            r.code for r in expected.reasons
        ], a
