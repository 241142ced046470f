"""The price index against a hand computation (issue 6's definition), and its properties.

The expected figures are worked out here from the definition, step by step, with the unit
values written out (fen per kg) — not taken from the code under test.
"""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiqun.market.prices.index import (
    compute_index,
    geometric_mean,
    previous_start,
    year_earlier_start,
)
from jiqun.market.prices.indexout import index_csv, index_json
from jiqun.market.prices.records import PriceRow
from jiqun.market.texts import MarketProblem

D = date.fromisoformat


def row(day: str, variety: str, category: str, grade: str, volume_g: int, amount_fen: int):
    return PriceRow(D(day), variety, category, grade, volume_g, amount_fen)


# Base period 2026-03-01 .. 2026-03-02.
#   黄瓜 一级: 1000 kg for 4000 yuan + 1000 kg for 2000 yuan → u_B = 600000 / 2000 = 300 fen/kg
#   黄瓜 二级:  500 kg for 1000 yuan                         → u_B = 100000 / 500  = 200
#   菠菜 一级:  200 kg / 600 yuan, then 80 kg / 400 + 120 kg / 600 (two trades)
#                                                            → u_B = 160000 / 400  = 400
#   番茄 特级:  300 kg for 1500 yuan                         → u_B = 150000 / 300  = 500
# V(黄瓜) = 700000, V(菠菜) = 160000, V(番茄) = 150000 fen;
# W(瓜菜) = 700000, W(叶菜) = 160000, W(茄果) = 150000.
ROWS = [
    row("2026-03-01", "黄瓜", "瓜菜", "一级", 1_000_000, 400_000),
    row("2026-03-02", "黄瓜", "瓜菜", "一级", 1_000_000, 200_000),
    row("2026-03-01", "黄瓜", "瓜菜", "二级", 500_000, 100_000),
    row("2026-03-01", "菠菜", "叶菜", "一级", 200_000, 60_000),
    row("2026-03-02", "菠菜", "叶菜", "一级", 80_000, 40_000),
    row("2026-03-02", "菠菜", "叶菜", "一级", 120_000, 60_000),
    row("2026-03-01", "番茄", "茄果", "特级", 300_000, 150_000),
    # 2026-03-10: 黄瓜 一级 u = 360 (×1.2), 二级 u = 220 (×1.1), 特级 not in the base;
    # 菠菜 u = 300 (×0.75); 番茄 absent; 西瓜 never traded in the base.
    row("2026-03-10", "黄瓜", "瓜菜", "一级", 500_000, 180_000),
    row("2026-03-10", "黄瓜", "瓜菜", "二级", 250_000, 55_000),
    row("2026-03-10", "黄瓜", "瓜菜", "特级", 100_000, 80_000),
    row("2026-03-10", "菠菜", "叶菜", "一级", 100_000, 30_000),
    row("2026-03-10", "西瓜", "瓜菜", "一级", 100_000, 50_000),
    # 2026-03-11: only 西瓜 (no base): no index. 2026-03-12: a no-trade row.
    row("2026-03-11", "西瓜", "瓜菜", "一级", 100_000, 40_000),
    row("2026-03-12", "番茄", "茄果", "特级", 0, 0),
]


def by_date(result_json: dict, key: str = "days", label: str = "date") -> dict:
    return {d[label]: d for d in result_json[key]}


def test_daily_index_against_hand_computation() -> None:
    out = index_json(compute_index(ROWS, D("2026-03-01"), D("2026-03-02")))
    assert out["base"] == {"from": "2026-03-01", "to": "2026-03-02"}
    assert [d["date"] for d in out["days"]] == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-10",
        "2026-03-11",
        "2026-03-12",
    ]
    days = by_date(out)

    # 2026-03-01: 黄瓜 一级 400/300, 二级 200/200 → R = √(4/3); 菠菜 300/400; 番茄 500/500.
    cucumber = 100 * math.sqrt(4 / 3)  # 115.47005383792515
    total = (700_000 * cucumber + 160_000 * 75 + 150_000 * 100) / 1_010_000
    assert days["2026-03-01"]["categories"] == pytest.approx(
        {"瓜菜": cucumber, "叶菜": 75.0, "茄果": 100.0}, rel=1e-12
    )
    assert days["2026-03-01"]["total"] == pytest.approx(total, rel=1e-12)
    assert total == pytest.approx(106.761423452, rel=1e-10)  # 107829037.69 / 1010000

    # 2026-03-02: 黄瓜 一级 200/300 (二级 absent) → 2/3; 菠菜 (40000+60000)/200 kg = 500 → 5/4.
    day2 = days["2026-03-02"]
    assert day2["categories"] == pytest.approx({"瓜菜": 200 / 3, "叶菜": 125.0}, rel=1e-12)
    assert day2["total"] == pytest.approx((700_000 * 200 / 3 + 160_000 * 125) / 860_000)
    assert day2["total"] == pytest.approx(77.519379845, rel=1e-10)

    # 2026-03-10: 黄瓜 √(1.2 × 1.1) (特级 has no base); 菠菜 0.75; 西瓜 has no weight;
    # 茄果 absent, so the total is over 瓜菜 and 叶菜 only.
    day10 = days["2026-03-10"]
    cucumber = 100 * math.sqrt(1.2 * 1.1)
    assert day10["categories"] == pytest.approx({"瓜菜": cucumber, "叶菜": 75.0}, rel=1e-12)
    assert "茄果" not in day10["categories"]
    assert day10["total"] == pytest.approx((700_000 * cucumber + 160_000 * 75) / 860_000)
    assert day10["total"] == pytest.approx(107.469624479, rel=1e-10)

    assert days["2026-03-11"] == {"date": "2026-03-11", "total": None, "categories": {}}
    assert days["2026-03-12"] == {"date": "2026-03-12", "total": None, "categories": {}}


def test_monthly_reading_uses_unit_values_over_the_month() -> None:
    out = index_json(compute_index(ROWS, D("2026-03-01"), D("2026-03-02"), "month"))
    (march,) = out["months"]
    assert (march["month"], march["from"], march["to"]) == ("2026-03", "2026-03-01", "2026-03-31")
    # 黄瓜 一级: (400000 + 200000 + 180000) fen / 2500 kg = 312 → 312/300;
    # 二级: (100000 + 55000) / 750 kg → /200; 菠菜: 190000 / 500 kg = 380 → 380/400;
    # 番茄: 150000 / 300 kg = 500 → 1.
    cucumber = 100 * math.sqrt((312 / 300) * ((155_000 / 750) / 200))
    assert march["categories"] == pytest.approx(
        {"瓜菜": cucumber, "叶菜": 95.0, "茄果": 100.0}, rel=1e-12
    )
    expected = (700_000 * cucumber + 160_000 * 95 + 150_000 * 100) / 1_010_000
    assert march["total"] == pytest.approx(expected, rel=1e-12)


def test_weekly_readings_are_iso_weeks() -> None:
    out = index_json(compute_index(ROWS, D("2026-03-01"), D("2026-03-02"), "week"))
    weeks = by_date(out, "weeks", "week")
    assert list(weeks) == ["2026-W09", "2026-W10", "2026-W11"]
    assert (weeks["2026-W09"]["from"], weeks["2026-W09"]["to"]) == ("2026-02-23", "2026-03-01")
    # W09 holds only 2026-03-01 and W10 only 2026-03-02: the daily figures again.
    days = by_date(index_json(compute_index(ROWS, D("2026-03-01"), D("2026-03-02"))))
    assert weeks["2026-W09"]["total"] == pytest.approx(days["2026-03-01"]["total"], rel=1e-14)
    assert weeks["2026-W10"]["categories"] == pytest.approx(
        days["2026-03-02"]["categories"], rel=1e-14
    )
    # W11: 03-11 and 03-12 add nothing with a base: the figures of 03-10.
    assert weeks["2026-W11"]["total"] == pytest.approx(days["2026-03-10"]["total"], rel=1e-14)


def test_chain_and_year_on_year_in_csv() -> None:
    rows = [
        row("2025-01-01", "白菜", "白菜", "一级", 1_000_000, 100_000),  # u 100 (base)
        row("2025-02-01", "白菜", "白菜", "一级", 1_000_000, 150_000),  # u 150
        row("2026-01-01", "白菜", "白菜", "一级", 1_000_000, 120_000),  # u 120
        row("2026-02-01", "白菜", "白菜", "一级", 1_000_000, 180_000),  # u 180
    ]
    result = compute_index(rows, D("2025-01-01"), D("2025-01-01"), "month")
    lines = index_csv(result).splitlines()
    assert lines[0] == "period,from,to,category,fixed_base,chain,year_on_year"
    table = {(c[0], c[3]): c[4:] for c in (line.split(",") for line in lines[1:])}
    assert table[("2025-01", "total")] == ["100.0", "", ""]
    # 2025-02: 定基 150; 环比 150/100 → 150; no 2024-02.
    assert table[("2025-02", "total")] == ["150.0", "150.0", ""]
    # 2026-01: 定基 120; 2025-12 has no index → no 环比; 同比 120/100 → 120.
    assert table[("2026-01", "白菜")] == ["120.0", "", "120.0"]
    # 2026-02: 定基 180; 环比 180/120 → 150; 同比 180/150 → 120.
    assert table[("2026-02", "total")] == ["180.0", "150.0", "120.0"]


def test_year_earlier_and_previous_periods() -> None:
    assert year_earlier_start(D("2024-02-29"), "day") is None
    assert year_earlier_start(D("2026-11-27"), "day") == D("2025-11-27")
    assert year_earlier_start(D("2026-11-23"), "week") == D("2025-11-24")  # W48 both years
    assert year_earlier_start(D("2020-12-28"), "week") is None  # 2020-W53; 2019 has 52
    assert previous_start(D("2026-03-01"), "month") == D("2026-02-01")
    assert previous_start(D("2026-01-01"), "month") == D("2025-12-01")
    assert previous_start(D("2026-03-02"), "week") == D("2026-02-23")


def test_geometric_mean_is_exact_for_equal_ratios_and_precise_otherwise() -> None:
    assert geometric_mean([Fraction(3, 2)] * 3) == 1.5
    assert geometric_mean([Fraction(1, 3)] * 2) == 1 / 3
    assert float(geometric_mean([Fraction(1, 2), Fraction(2)])) == 1.0
    assert float(geometric_mean([Fraction(4), Fraction(1), Fraction(2)])) == 2.0


def test_base_period_errors() -> None:
    with pytest.raises(MarketProblem, match="晚于"):
        compute_index(ROWS, D("2026-03-02"), D("2026-03-01"))
    with pytest.raises(MarketProblem, match="没有成交"):
        compute_index(ROWS, D("2025-01-01"), D("2025-01-31"))


# ---------------------------------------------------------------------------- properties

VARIETIES = {"黄瓜": "瓜菜", "西葫芦": "瓜菜", "菠菜": "叶菜", "生菜": "叶菜", "番茄": "茄果"}
GRADES = ("特级", "一级", "二级")
DAYS = [D("2026-05-01"), D("2026-05-02"), D("2026-05-03"), D("2026-05-20"), D("2026-06-02")]

trade = st.tuples(
    st.sampled_from(DAYS),
    st.sampled_from(sorted(VARIETIES)),
    st.sampled_from(GRADES),
    st.integers(1, 5_000_000),
    st.integers(1, 10_000_000),
)


def rows_of(trades: list[tuple[date, str, str, int, int]]) -> list[PriceRow]:
    return [PriceRow(d, v, VARIETIES[v], g, vol, amt) for d, v, g, vol, amt in trades]


@settings(max_examples=40, deadline=None)
@given(
    prices=st.dictionaries(
        st.tuples(st.sampled_from(sorted(VARIETIES)), st.sampled_from(GRADES)),
        st.integers(1, 2_000).map(lambda p: 4 * p),
        min_size=1,
    ),
    k=st.sampled_from([Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(5, 4), 2, 3]),
    data=st.data(),
)
def test_uniform_price_change_by_k_reads_100k(prices, k, data) -> None:
    """Every variety × grade at price p on the base days and p·k afterwards (any volumes,
    any subset of grades on a day): every category and the total read 100·k."""
    rows = []
    for (variety, grade), price in prices.items():
        for day in DAYS:
            kg = data.draw(st.integers(0, 300))
            if day > DAYS[1] and data.draw(st.booleans()):
                continue  # not traded that day
            unit = price if day <= DAYS[1] else price * k
            rows.append(
                PriceRow(day, variety, VARIETIES[variety], grade, kg * 1000, int(unit * kg))
            )
    rows = [r for r in rows if r.volume_g > 0] or rows
    if not any(r.date <= DAYS[1] and r.volume_g > 0 for r in rows):
        return
    for period in ("day", "week", "month"):
        result = compute_index(rows, DAYS[0], DAYS[1], period)
        for reading in result.readings:
            if reading.end < DAYS[2] or reading.start <= DAYS[1]:
                continue  # a period holding base days mixes p and p·k
            values = list(reading.categories.values())
            if reading.total is not None:
                values.append(reading.total)
            for value in values:
                assert float(value) == pytest.approx(100 * float(k), rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.lists(trade, min_size=1, max_size=40))
def test_single_day_base_reads_100_on_that_day(trades) -> None:
    rows = rows_of(trades)
    base = rows[0].date
    out = index_json(compute_index(rows, base, base))
    day = by_date(out)[base.isoformat()]
    assert day["total"] == 100.0
    assert set(day["categories"].values()) == {100.0}


@settings(max_examples=60, deadline=None)
@given(st.lists(trade, min_size=1, max_size=40), st.integers(2, 1000), st.randoms())
def test_scaling_reordering_and_splitting_change_nothing(trades, factor, rnd) -> None:
    rows = rows_of(trades)
    base = (DAYS[0], DAYS[2])
    if not any(base[0] <= r.date <= base[1] for r in rows):
        return
    for period in ("day", "week", "month"):
        expected = index_json(compute_index(rows, *base, period))
        scaled = [
            PriceRow(
                r.date, r.variety, r.category, r.grade, r.volume_g * factor, r.amount_fen * factor
            )
            for r in rows
        ]
        assert index_json(compute_index(scaled, *base, period)) == expected
        shuffled = rows[:]
        rnd.shuffle(shuffled)
        assert index_json(compute_index(shuffled, *base, period)) == expected
        split = []
        for r in shuffled:  # a trade split in two rows of the same day (summed back)
            split += [
                PriceRow(r.date, r.variety, r.category, r.grade, r.volume_g, r.amount_fen),
                PriceRow(r.date, r.variety, r.category, r.grade, 0, 0),
            ]
        assert index_json(compute_index(split, *base, period)) == expected


def test_duplicate_rows_are_summed() -> None:
    one = [
        row("2026-01-01", "黄瓜", "瓜菜", "一级", 1000, 300),
        row("2026-01-02", "黄瓜", "瓜菜", "一级", 3000, 1200),
    ]
    two = [
        one[0],
        row("2026-01-02", "黄瓜", "瓜菜", "一级", 1000, 300),  # 300 fen/kg
        row("2026-01-02", "黄瓜", "瓜菜", "一级", 2000, 900),  # 450 fen/kg
    ]
    a = index_json(compute_index(one, D("2026-01-01"), D("2026-01-01")))
    b = index_json(compute_index(two, D("2026-01-01"), D("2026-01-01")))
    # 1200 fen / 3 kg = 400 fen/kg against 300: 133.33…, not the mean of 100 and 150.
    assert a == b
    assert b["days"][1]["total"] == pytest.approx(400 / 3, rel=1e-15)


def oracle(rows: list[PriceRow], b0: date, b1: date, label) -> dict[str, dict]:
    """A second, straightforward reading of the definition, in floats: label → (total,
    categories), the period of a row being ``label(row.date)``."""

    def unit(keep) -> dict:
        amt: dict = {}
        vol: dict = {}
        for r in rows:
            if keep(r):
                amt[(r.variety, r.grade)] = amt.get((r.variety, r.grade), 0) + r.amount_fen
                vol[(r.variety, r.grade)] = vol.get((r.variety, r.grade), 0) + r.volume_g
        return {key: amt[key] / (vol[key] / 1000) for key in amt if vol[key] > 0}

    base = unit(lambda r: b0 <= r.date <= b1)
    weight: dict = {}
    for r in rows:
        if b0 <= r.date <= b1:
            weight[r.variety] = weight.get(r.variety, 0) + r.amount_fen
    out = {}
    for period in sorted({label(r.date) for r in rows}):
        now = unit(lambda r, period=period: label(r.date) == period)
        rel = {}
        for v in VARIETIES:
            logs = [
                math.log(now[(v, g)] / base[(v, g)])
                for g in GRADES
                if (v, g) in now and (v, g) in base
            ]
            if logs:
                rel[v] = math.exp(sum(logs) / len(logs))
        cats = {}
        for c in set(VARIETIES.values()):
            vs = [v for v in rel if VARIETIES[v] == c]
            if vs:
                cats[c] = 100 * sum(weight[v] * rel[v] for v in vs) / sum(weight[v] for v in vs)
        cat_w = {c: sum(w for v, w in weight.items() if VARIETIES[v] == c and w > 0) for c in cats}
        total = sum(cat_w[c] * cats[c] for c in cats) / sum(cat_w.values()) if cats else None
        out[period] = {"total": total, "categories": cats}
    return out


LABELS = {
    "day": ("days", "date", lambda d: d.isoformat()),
    "week": ("weeks", "week", lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"),
    "month": ("months", "month", lambda d: f"{d.year}-{d.month:02d}"),
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(trade, min_size=1, max_size=60),
    st.lists(st.tuples(st.sampled_from(DAYS), st.sampled_from(sorted(VARIETIES))), max_size=3),
    st.integers(0, 2),
)
def test_random_records_match_a_plain_float_implementation(trades, empty, base_end) -> None:
    rows = rows_of(trades) + [PriceRow(d, v, VARIETIES[v], "一级", 0, 0) for d, v in empty]
    b0, b1 = DAYS[0], DAYS[base_end]
    if not any(b0 <= r.date <= b1 and r.volume_g for r in rows):
        return
    for period, (key, label_key, label) in LABELS.items():
        got = {p[label_key]: p for p in index_json(compute_index(rows, b0, b1, period))[key]}
        expected = oracle(rows, b0, b1, label)
        assert list(got) == list(expected)
        for name, want in expected.items():
            assert got[name]["categories"] == pytest.approx(want["categories"], rel=1e-12)
            if want["total"] is None:
                assert got[name]["total"] is None
            else:
                assert got[name]["total"] == pytest.approx(want["total"], rel=1e-12)
