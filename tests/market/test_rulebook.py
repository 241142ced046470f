"""Clock rulebook v1 (PRODUCT.md M3), rule by rule, with hand-worked figures."""

from __future__ import annotations

from typing import Any

import pytest

from jiqun.market.core.engine import EngineError, HallEngine
from jiqun.market.core.events import (
    AddLot,
    Advance,
    Deposit,
    NewDay,
    Open,
    Press,
    Suspend,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.core.money import div_half_up, fee, lot_amount
from jiqun.market.core.replay import replay
from jiqun.market.scenario import ScenarioError, parse_scenario

CLOCK = {"tick_ms": 100, "step_fen": 2, "pause_ms": 2000, "restart_steps": 10, "same_stop_ms": 150}
LOT = {
    "id": "L001",
    "supplier": "S01",
    "variety": "黄瓜",
    "origin": "寿光市",
    "grade": "一级",
    "package": "纸箱",
    "units": 50,
    "unit_net_g": 10000,
    "start_price_fen": 600,
    "reserve_price_fen": 200,
    "min_purchase": 5,
}


def scenario(presses: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "market": {"seller_commission_bps": 300, "buyer_fee_bps": 50},
        "clock": dict(CLOCK),
        "members": [
            {"id": "B01", "role": "buyer", "deposit_fen": 500000},
            {"id": "B02", "role": "buyer", "deposit_fen": 500000},
            {"id": "B03", "role": "buyer", "deposit_fen": 900000, "daily_limit_fen": 100000},
            {"id": "B04", "role": "buyer", "deposit_fen": 500000, "suspended": True},
            {"id": "S01", "role": "supplier"},
        ],
        "lots": [dict(LOT)],
        "presses": presses,
    }
    for key, value in changes.items():
        if key in ("clock", "market"):
            base[key].update(value)
        else:
            base[key] = value
    return base


def run(data: dict[str, Any]) -> dict[str, Any]:
    engine, result = replay(parse_scenario(data))
    return result.to_json(engine)


def press(at: int, buyer: str = "B01", qty: object = 20, lot: str = "L001") -> dict[str, Any]:
    return {"at_ms": at, "buyer": buyer, "lot": lot, "qty": qty}


def reasons(result: dict[str, Any]) -> list[str]:
    return [r["reason"] for r in result["rejected"]]


# ------------------------------------------------------------------ the M3 example


def test_the_rulebook_example() -> None:
    r = run(scenario([press(1260)]))
    # k = ⌊1260 / 100⌋ = 12 → 600 − 12·2 = 576 fen/kg; 20 units × 10 kg × 5.76 = 1152 yuan
    assert r["sales"] == [
        {
            "lot": "L001",
            "round": 1,
            "buyer": "B01",
            "qty": 20,
            "price_fen": 576,
            "amount_fen": 115200,
            "buyer_fee_fen": 576,
            "commission_fen": 3456,
            "at_ms": 1260,
        }
    ]
    # window closes at 1260 + 150, round 2 at 1410 + 2000 from min(600, 576 + 10·2) = 596;
    # K = ⌊(596 − 200) / 2⌋ = 198 → lapse at 3410 + 199·100 = 23310
    assert r["withdrawn"] == [{"lot": "L001", "units": 30, "at_ms": 23310}]
    assert r["lots"] == [{"id": "L001", "sold_units": 20, "withdrawn_units": 30, "rounds": 2}]
    assert r["balances"] == {
        "B01": 500000 - 115200 - 576,
        "B02": 500000,
        "B03": 900000,
        "B04": 500000,
        "S01": 115200 - 3456,
        "market:revenue": 3456 + 576,
    }
    assert r["prices"] == [
        {
            "variety": "黄瓜",
            "grade": "一级",
            "min_fen": 576,
            "max_fen": 576,
            "avg_fen": 576,
            "volume_g": 200000,
            "amount_fen": 115200,
            "trades": 1,
        }
    ]


# ------------------------------------------------------------------ rule 1: the falling price


@pytest.mark.parametrize(
    ("at", "price"), [(0, 600), (99, 600), (100, 598), (199, 598), (200, 596), (1299, 576)]
)
def test_price_steps_exactly_at_each_tick(at: int, price: int) -> None:
    assert run(scenario([press(at)]))["sales"][0]["price_fen"] == price


def test_round_runs_while_price_is_at_least_the_reserve() -> None:
    # K = ⌊(600 − 200) / 2⌋ = 200: the last price, 200, holds on [20000, 20100)
    r = run(scenario([press(20099)]))
    assert r["sales"][0]["price_fen"] == 200
    r = run(scenario([press(20100)]))
    assert r["sales"] == [] and reasons(r) == ["no_running_clock"]
    assert r["withdrawn"] == [{"lot": "L001", "units": 50, "at_ms": 20100}]


def test_reserve_not_on_the_step_grid() -> None:
    lot = dict(LOT, start_price_fen=601, reserve_price_fen=200)  # K = 200, last price 201
    r = run(scenario([press(20050)], lots=[lot]))
    assert r["sales"][0]["price_fen"] == 201
    assert run(scenario([press(20100)], lots=[lot]))["withdrawn"][0]["at_ms"] == 20100


# ------------------------------------------------------------------ rule 2: lapse


def test_lapse_withdraws_and_the_next_lot_starts_after_the_pause() -> None:
    second = dict(LOT, id="L002", start_price_fen=300, reserve_price_fen=290)
    # L001 lapses at 20100; L002 starts at 22100 and runs 6 ticks (K = 5) to 22700
    r = run(
        scenario(
            [press(22099, lot="L002"), press(22100, lot="L002"), press(22700, lot="L002")],
            lots=[dict(LOT), second],
        )
    )
    assert reasons(r) == ["no_running_clock", "no_running_clock"]
    assert r["sales"][0]["at_ms"] == 22100 and r["sales"][0]["price_fen"] == 300
    assert r["rejected"][0]["at_ms"] == 22099 and r["rejected"][1]["at_ms"] == 22700


def test_press_at_the_lapse_instant_with_pause_zero_goes_to_the_next_lot() -> None:
    second = dict(LOT, id="L002", start_price_fen=300, reserve_price_fen=100)
    r = run(
        scenario(
            [press(20100, lot="L001"), press(20100, lot="L002", qty=5)],
            lots=[dict(LOT), second],
            clock={"pause_ms": 0},
        )
    )
    assert reasons(r) == ["wrong_lot"]
    assert r["sales"][0]["lot"] == "L002" and r["sales"][0]["price_fen"] == 300


# ------------------------------------------------------------------ rule 3: the stop window


def test_window_includes_its_end_and_prices_at_the_stop_price() -> None:
    presses = [press(1260), press(1300, "B02", 10), press(1410, "B03", 5), press(1411, "B02", 5)]
    r = run(scenario(presses))
    assert [(s["buyer"], s["price_fen"], s["at_ms"]) for s in r["sales"]] == [
        ("B01", 576, 1260),
        ("B02", 576, 1300),
        ("B03", 576, 1410),
    ]
    assert reasons(r) == ["no_running_clock"]  # 1411: the window closed, next round at 3410


def test_zero_window_takes_only_simultaneous_presses_in_input_order() -> None:
    presses = [press(1260, "B02", 10), press(1260, "B01", 50), press(1261, "B01", 5)]
    r = run(scenario(presses, clock={"same_stop_ms": 0}))
    assert [(s["buyer"], s["qty"], s["price_fen"]) for s in r["sales"]] == [
        ("B02", 10, 576),
        ("B01", 40, 576),  # granted g = min(q, R) = 40
    ]
    assert reasons(r) == ["no_running_clock"]


def test_sold_out_within_the_window() -> None:
    r = run(scenario([press(1260, qty=50), press(1300, "B02", 5)]))
    assert reasons(r) == ["sold_out"]
    assert r["lots"][0] == {"id": "L001", "sold_units": 50, "withdrawn_units": 0, "rounds": 1}
    assert r["withdrawn"] == []


# ------------------------------------------------------------------ rule 4: after the stop


def test_restart_is_capped_at_the_starting_price() -> None:
    # a stop at 596 restarts at min(600, 596 + 10·2 = 616) = 600
    r = run(scenario([press(200), press(3000, "B02", 5)]))
    assert r["sales"][1]["round"] == 2
    # window 200..350, round 2 starts at 2350 at 600: at 3000 k = 6 → 588
    assert r["sales"][1]["price_fen"] == 588


def test_restart_steps_above_the_stop_price() -> None:
    # stop at 576 → round 2 at 3410 from 596; press at 3610: k = 2 → 592
    r = run(scenario([press(1260), press(3610, "B02", 5)]))
    assert (r["sales"][1]["round"], r["sales"][1]["price_fen"]) == (2, 592)


def test_pause_zero_restarts_at_the_window_end() -> None:
    # stop at 1260, window to 1410, round 2 starts at 1410 but 1410 is still the window
    presses = [press(1260), press(1410, "B02", 5), press(1411, "B03", 5)]
    r = run(scenario(presses, clock={"pause_ms": 0}))
    assert [(s["round"], s["price_fen"]) for s in r["sales"]] == [(1, 576), (1, 576), (2, 596)]


def test_sold_out_lot_hands_over_to_the_next_lot() -> None:
    second = dict(LOT, id="L002")
    r = run(
        scenario(
            [press(1260, qty=50), press(3409, "B02", 5, "L002"), press(3410, "B02", 5, "L002")],
            lots=[dict(LOT), second],
        )
    )
    assert reasons(r) == ["no_running_clock"]
    assert r["sales"][1] == {**r["sales"][1], "lot": "L002", "round": 1, "price_fen": 600}


# ------------------------------------------------------------------ rule 5: the press checks


def test_every_reason_code() -> None:
    presses = [
        press(100, "B99"),  # unknown_member
        press(100, "S01"),  # not_a_buyer
        press(100, "B04"),  # suspended
        press(100, "B01", 20, "L002"),  # wrong_lot
        press(100, "B01", 0),  # bad_quantity
        press(100, "B01", 2.5),  # bad_quantity
        press(100, "B01", "5"),  # bad_quantity
        press(100, "B01", True),  # bad_quantity: a JSON boolean is no quantity
        press(100, "B01", 4),  # below_minimum (5)
        press(100, "B03", 20),  # over_daily_limit: 20 × 10 kg × 5.98 = 119600 > 100000
    ]
    r = run(scenario(presses))
    assert reasons(r) == [
        "unknown_member",
        "not_a_buyer",
        "suspended",
        "wrong_lot",
        "bad_quantity",
        "bad_quantity",
        "bad_quantity",
        "bad_quantity",
        "below_minimum",
        "over_daily_limit",
    ]
    assert r["sales"] == [] and r["lots"][0]["rounds"] == 1  # rejected presses never stop it
    assert r["rejected"][6]["qty"] == "5"


def test_insufficient_funds_counts_the_fee() -> None:
    # 20 units at 600: amount 120000, fee round(120000 · 0.005) = 600 → needs 120600
    members = [
        {"id": "B01", "role": "buyer", "deposit_fen": 120599},
        {"id": "S01", "role": "supplier"},
    ]
    assert reasons(run(scenario([press(0)], members=members))) == ["insufficient_funds"]
    members[0]["deposit_fen"] = 120600
    r = run(scenario([press(0)], members=members))
    assert r["sales"][0]["amount_fen"] == 120000 and r["balances"]["B01"] == 0


def test_daily_limit_counts_the_days_purchases() -> None:
    # B03 may buy 100000 fen a day: 8 units at 576 = 46080, twice = 92160, a third 5 → 120960
    presses = [press(1260, "B03", 8), press(1300, "B03", 8), press(1350, "B03", 5)]
    r = run(scenario(presses))
    assert [s["amount_fen"] for s in r["sales"]] == [46080, 46080]
    assert reasons(r) == ["over_daily_limit"]


def test_check_order_unknown_before_no_clock_before_quantity() -> None:
    r = run(scenario([press(20100, "B99", 0), press(20100, "B01", 0), press(50, "B01", 0, "L9")]))
    # replay takes presses in time order: the one at 50 first
    assert reasons(r) == ["wrong_lot", "unknown_member", "no_running_clock"]


def test_minimum_larger_than_what_remains() -> None:
    # 12 units remain after the first sale; min purchase 5; then 2 remain: q must be ≥ 2
    lot = dict(LOT, units=14, min_purchase=5)
    presses = [press(1260, qty=12), press(1300, "B02", 1), press(1301, "B02", 3)]
    r = run(scenario(presses, lots=[lot]))
    assert reasons(r) == ["below_minimum"]
    assert r["sales"][1]["qty"] == 2  # granted min(3, 2)


def test_minimum_larger_than_the_lot() -> None:
    lot = dict(LOT, units=3, min_purchase=5)
    r = run(scenario([press(1000, qty=2), press(1100, "B02", 3)], lots=[lot]))
    assert reasons(r) == ["below_minimum"]
    assert r["sales"][0]["qty"] == 3 and r["lots"][0]["sold_units"] == 3


# ------------------------------------------------------------------ rule 6: amounts


def test_half_up_rounding_of_amounts_and_fees() -> None:
    # 3 units × 333 g at 575 fen/kg = 574.425 → 574; fee 0.5 % of 574 = 2.87 → 3;
    # commission 3 % of 574 = 17.22 → 17
    assert lot_amount(575, 3, 333) == 574
    assert fee(574, 50) == 3 and fee(574, 300) == 17
    assert div_half_up(5, 10) == 1 and div_half_up(4, 10) == 0 and div_half_up(15, 10) == 2
    assert lot_amount(1, 1, 500) == 1  # 0.5 fen rounds up
    lot = dict(LOT, unit_net_g=333, start_price_fen=575, reserve_price_fen=1, min_purchase=1)
    r = run(scenario([press(0, qty=3)], lots=[lot]))
    assert (
        r["sales"][0]["amount_fen"],
        r["sales"][0]["buyer_fee_fen"],
        r["sales"][0]["commission_fen"],
    ) == (574, 3, 17)


def test_prices_per_variety_and_grade_weight_weighted() -> None:
    lots = [
        dict(LOT),
        dict(LOT, id="L002", unit_net_g=5000, grade="二级"),
        dict(LOT, id="L003", variety="番茄", grade="特级"),
    ]
    presses = [press(1260, qty=10), press(1300, "B02", 30), press(3610, "B01", 10)]
    r = run(scenario(presses, lots=lots))
    cucumber = r["prices"][0]
    # 10 × 10 kg at 576, 30 × 10 kg at 576, 10 × 10 kg at 592 → (400·576 + 100·592) / 500
    assert cucumber == {
        "variety": "黄瓜",
        "grade": "一级",
        "min_fen": 576,
        "max_fen": 592,
        "avg_fen": div_half_up(400 * 576 + 100 * 592, 500),
        "volume_g": 500000,
        "amount_fen": 230400 + 59200,
        "trades": 3,
    }
    assert [p["variety"] for p in r["prices"]] == ["黄瓜"]


# ------------------------------------------------------------------ engine inputs


def make_engine() -> HallEngine:
    clock = ClockSettings(**CLOCK)
    members = [Member("B01", Role.BUYER, daily_limit_fen=50000), Member("S01", Role.SUPPLIER)]
    return HallEngine(clock, MarketSettings(300, 50), members)


def test_live_inputs_new_day_suspend_add_lot() -> None:
    engine = make_engine()
    engine.apply(Deposit(0, "B01", 10**6))
    assert engine.apply(Open(0))[0].__class__.__name__ == "HallClosed"  # no lot yet
    out = engine.apply(AddLot(10, Lot("L1", "S01", "黄瓜", "一级", 100, 1000, 500, 100, 1)))
    assert [type(o).__name__ for o in out] == ["RoundStarted"]
    sale = engine.apply(Press(60, "B01", "L1", 100))  # 100 kg × 5.00 = 50000: at the limit
    assert type(sale[-1]).__name__ == "Sale"
    engine.apply(AddLot(70, Lot("L2", "S01", "黄瓜", "一级", 100, 1000, 500, 100, 1)))
    assert engine.apply(Press(2300, "B01", "L2", 1))[-1].reason == "over_daily_limit"  # type: ignore[union-attr]
    engine.apply(NewDay(2400))
    engine.apply(Suspend(2400, "B01"))
    assert engine.apply(Press(2401, "B01", "L2", 1))[-1].reason == "suspended"  # type: ignore[union-attr]
    engine.apply(Suspend(2402, "B01", suspended=False))
    # L2 started at 210 + 2000 = 2210; at 2403 k = 1 → 498 fen/kg × 1 kg
    out = engine.apply(Press(2403, "B01", "L2", 1))
    assert [type(o).__name__ for o in out] == ["ClockStopped", "Sale"]
    assert out[-1].amount_fen == 498  # type: ignore[union-attr]
    with pytest.raises(EngineError):
        engine.apply(Advance(100))  # earlier than the engine's time


def test_cash_inputs() -> None:
    from jiqun.market.core.events import CashMoved, CashRefused, Payout, Withdrawal

    engine = make_engine()
    assert engine.apply(Deposit(0, "B01", 500)) == [CashMoved("deposit", "B01", 500, 0, 500)]
    assert engine.apply(Withdrawal(1, "B01", 501))[0] == CashRefused(
        "withdrawal", "B01", 501, 1, "insufficient_funds"
    )
    assert engine.apply(Withdrawal(2, "B01", 200))[0] == CashMoved("withdrawal", "B01", 200, 2, 300)
    assert engine.apply(Payout(3, "B01", 1))[0] == CashRefused("payout", "B01", 1, 3, "wrong_role")
    assert engine.apply(Deposit(4, "S01", 1))[0] == CashRefused(
        "deposit", "S01", 1, 4, "wrong_role"
    )
    assert engine.apply(Deposit(5, "B01", 0))[0] == CashRefused(
        "deposit", "B01", 0, 5, "bad_amount"
    )
    assert engine.apply(Deposit(6, "X", 1))[0] == CashRefused(
        "deposit", "X", 1, 6, "unknown_member"
    )


# ------------------------------------------------------------------ malformed scenarios


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clock": {"tick_ms": 0}}, "clock.tick_ms：应为正整数"),
        ({"clock": {"step_fen": "2"}}, "clock.step_fen：应为整数"),
        (
            {"lots": [dict(LOT, reserve_price_fen=700)]},
            "lots[0]：lot L001: 0 ≤ reserve price ≤ start price",
        ),
        ({"lots": [dict(LOT, supplier="S99")]}, "lots[0]：lot L001: unknown supplier S99"),
        ({"lots": [dict(LOT, supplier="B01")]}, "lots[0]：lot L001: B01 is not a supplier"),
        ({"lots": [{k: v for k, v in LOT.items() if k != "units"}]}, "lots[0].units：缺少此字段"),
        (
            {"presses": [{"at_ms": -1, "buyer": "B01", "lot": "L001", "qty": 1}]},
            "presses[0].at_ms：不能为负数",
        ),
        ({"presses": [{"at_ms": 5, "buyer": "B01", "lot": "L001"}]}, "presses[0].qty：缺少此字段"),
        (
            {"members": [{"id": "S01", "role": "supplier", "deposit_fen": 5}]},
            "members[0].deposit_fen：only buyers pay deposits",
        ),
        (
            {"members": [{"id": "S01", "role": "supplier"}, {"id": "S01", "role": "supplier"}]},
            "members[1].id：duplicate member S01",
        ),
    ],
)
def test_malformed_scenarios_name_the_field(change: dict[str, Any], message: str) -> None:
    data = scenario([])
    for key, value in change.items():
        if key == "clock":
            data["clock"].update(value)
        else:
            data[key] = value
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "day.json")
    assert f"day.json：{message}" in info.value.lines()


def test_fields_a_scenario_adds_are_ignored() -> None:
    data = scenario([press(1260)])
    data["members"][0]["name"] = "寿光市蔬菜批发商甲"
    data["lots"][0]["notes"] = "大棚"
    data["presses"][0]["client"] = "web"
    data["day"] = "2026-11-26"
    assert run(data)["sales"][0]["amount_fen"] == 115200
