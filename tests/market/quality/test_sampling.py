"""The sampling plan: coverage every period, reproducible draws, measurable oversampling."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from jiqun.market.quality.sampling import (
    DAY_MS,
    MONDAY_CST_MS,
    WEEK_MS,
    Arrival,
    Draw,
    PlanSettings,
    SamplingPlan,
)

START = MONDAY_CST_MS + 2900 * WEEK_MS  # some Monday, 00:00 China time
VARIETIES = ["黄瓜", "番茄", "茄子", "辣椒", "芹菜"]


def month(suppliers: int = 40, seed: int = 7, days: int = 30) -> list[Arrival]:
    """A simulated month: each supplier delivers some of his varieties on random days."""
    rng = random.Random(seed)
    out = []
    for s in range(suppliers):
        grown = rng.sample(VARIETIES, rng.randint(1, 3))
        for day in range(days):
            for v in grown:
                if rng.random() < 0.4:
                    at = START + day * DAY_MS + rng.randrange(4 * 3_600_000)
                    out.append(Arrival(f"L{s}-{v}-{day}", f"S{s:02d}", v, at))
    return sorted(out, key=lambda a: a.at_ms)


def test_every_supplier_variety_sampled_each_week() -> None:
    arrivals = month()
    plan = SamplingPlan(PlanSettings(base_rate=0.0, new_rate=0.0, flagged_rate=0.0), seed=1)
    draws = plan.run(arrivals)
    present: set[tuple[int, str, str]] = set()
    sampled: set[tuple[int, str, str]] = set()
    for d in draws:
        key = ((d.arrival.at_ms - MONDAY_CST_MS) // WEEK_MS, d.arrival.supplier, d.arrival.variety)
        present.add(key)
        if d.drawn:
            sampled.add(key)
            assert [r.code for r in d.reasons] == ["coverage"]
    assert present == sampled
    # with no random draws the plan samples exactly once per pair and week
    assert sum(d.drawn for d in draws) == len(present)
    assert len({k[0] for k in present}) == 5  # 30 days from a Monday touch 5 weeks


def test_configurable_period() -> None:
    day = PlanSettings(period_ms=DAY_MS, base_rate=0.0, new_rate=0.0, flagged_rate=0.0)
    draws = SamplingPlan(day, seed=1).run(month(suppliers=5))
    days = {(d.period, d.arrival.supplier, d.arrival.variety) for d in draws}
    assert sum(d.drawn for d in draws) == len(days)


def test_reproducible_with_a_seed() -> None:
    arrivals = month()
    a = [d.drawn for d in SamplingPlan(seed=42).run(arrivals)]
    b = [d.drawn for d in SamplingPlan(seed=42).run(arrivals)]
    c = [d.drawn for d in SamplingPlan(seed=43).run(arrivals)]
    assert a == b and a != c


def test_reasons_are_given_in_both_languages() -> None:
    (d,) = SamplingPlan(seed=0).run([Arrival("L1", "S1", "黄瓜", START)])
    assert d.drawn and d.reasons[0].code == "coverage"
    assert "至少抽检一次" in d.reasons[0].zh and "at least once" in d.reasons[0].en
    assert d.to_json()["reasons"][0]["code"] == "coverage"  # type: ignore[index]


def rate(draws: list[Draw], supplier_filter: Callable[[Draw], object]) -> float:
    """Share of non-coverage lots drawn (the random part of the plan)."""
    chosen = [
        d for d in draws if supplier_filter(d) and "coverage" not in {r.code for r in d.reasons}
    ]
    return sum(d.drawn for d in chosen) / len(chosen)


def test_flagged_suppliers_are_oversampled() -> None:
    arrivals = month(suppliers=60, days=28)
    plan = SamplingPlan(PlanSettings(new_lots=0, new_days=0), seed=5)
    flagged = {f"S{s:02d}" for s in range(0, 60, 3)}
    for s in flagged:
        plan.flag(s, START)
    draws = plan.run(arrivals)
    r_flagged = rate(draws, lambda d: d.arrival.supplier in flagged)
    r_other = rate(draws, lambda d: d.arrival.supplier not in flagged)
    assert r_flagged == pytest.approx(0.5, abs=0.06)
    assert r_other == pytest.approx(0.05, abs=0.02)
    assert any("flagged" in {r.code for r in d.reasons} for d in draws)


def test_flag_expires() -> None:
    plan = SamplingPlan(PlanSettings(flag_days=28), seed=0)
    plan.flag("S1", START)
    assert plan.is_flagged("S1", START + 27 * DAY_MS)
    assert not plan.is_flagged("S1", START + 28 * DAY_MS)
    assert not plan.is_flagged("S1", START - 1)


def test_new_suppliers_sampled_more_often() -> None:
    settings = PlanSettings(new_lots=5, new_days=7, new_rate=0.5, base_rate=0.05)
    draws = SamplingPlan(settings, seed=11).run(month(suppliers=80, days=28))
    first_week = rate(draws, lambda d: d.arrival.at_ms < START + 7 * DAY_MS and d.arrival.supplier)
    later = rate(draws, lambda d: d.arrival.at_ms >= START + 14 * DAY_MS)
    assert first_week > 0.3 and later < 0.1


def test_out_of_order_and_bad_settings() -> None:
    plan = SamplingPlan(seed=0)
    plan.consider(Arrival("L2", "S1", "黄瓜", START + 10))
    with pytest.raises(ValueError):
        plan.consider(Arrival("L1", "S1", "黄瓜", START))
    with pytest.raises(ValueError):
        PlanSettings(base_rate=1.5)
    with pytest.raises(ValueError):
        PlanSettings(period_ms=0)
