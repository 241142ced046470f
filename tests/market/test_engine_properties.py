"""Property tests: the engine against a millisecond-by-millisecond reference of the rulebook.

The reference below is written from PRODUCT.md M3 independently of the engine: it walks time
one millisecond at a time, so it needs no formula for when rounds end. Hypothesis draws small
markets; the engine must agree with the reference on every sale, rejection, withdrawal and
balance, and the M3/M4 invariants must hold.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jiqun.market.core.engine import HallEngine
from jiqun.market.core.events import Advance, Deposit, Open, RoundStarted
from jiqun.market.core.replay import replay
from jiqun.market.scenario import parse_scenario


def half_up(n: int, d: int) -> int:
    q, r = divmod(n, d)
    return q + (1 if 2 * r >= d else 0)


def reference(sc: dict[str, Any]) -> dict[str, Any]:
    clock, market = sc["clock"], sc["market"]
    tick, step, pause = clock["tick_ms"], clock["step_fen"], clock["pause_ms"]
    restart, window = clock["restart_steps"], clock["same_stop_ms"]
    members = {m["id"]: m for m in sc["members"]}
    balance = {m["id"]: m.get("deposit_fen", 0) for m in sc["members"]}
    revenue = 0
    spent: dict[str, int] = {}
    lots = [dict(lot, remaining=lot["units"], sold=0, withdrawn=0, rounds=0) for lot in sc["lots"]]
    presses = sorted(enumerate(sc["presses"]), key=lambda ip: (ip[1]["at_ms"], ip[0]))
    sales: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    withdrawn: list[dict[str, Any]] = []

    current, phase, next_start, next_price = 0, "wait", 0, None
    T = S = t1 = p1 = 0
    t, k = 0, 0
    while current < len(lots):
        lot = lots[current]
        # transitions at t, before the presses of t
        changed = True
        while changed and current < len(lots):
            changed = False
            lot = lots[current]
            if lot["remaining"] == 0 and phase == "wait":
                current += 1
                next_price = None
                changed = True
                continue
            if phase == "wait" and next_start <= t:  # < t: due at the end of the instant before
                T, S = next_start, lot["start_price_fen"] if next_price is None else next_price
                phase, lot["rounds"] = "run", lot["rounds"] + 1
                changed = True
            elif phase == "run" and S - ((t - T) // tick) * step < lot["reserve_price_fen"]:
                withdrawn.append({"lot": lot["id"], "units": lot["remaining"], "at_ms": t})
                lot["withdrawn"] += lot["remaining"]
                lot["remaining"] = 0
                phase, next_start, next_price = "wait", t + pause, None
                current += 1
                changed = True
        if current >= len(lots):
            break
        lot = lots[current]
        while k < len(presses) and presses[k][1]["at_ms"] == t:
            p = presses[k][1]
            k += 1
            q, buyer = p["qty"], p["buyer"]
            m = members.get(buyer)
            reason = None
            price = 0
            if m is None:
                reason = "unknown_member"
            elif m["role"] != "buyer":
                reason = "not_a_buyer"
            elif m.get("suspended"):
                reason = "suspended"
            elif phase not in ("run", "win"):
                reason = "no_running_clock"
            elif p["lot"] != lot["id"]:
                reason = "wrong_lot"
            elif lot["remaining"] == 0:
                reason = "sold_out"
            elif not (isinstance(q, int) and not isinstance(q, bool) and q > 0):
                reason = "bad_quantity"
            else:
                r = lot["remaining"]
                minimum = lot["min_purchase"] if r >= lot["min_purchase"] else r
                price = S - ((t - T) // tick) * step if phase == "run" else p1
                g = min(q, r)
                amount = half_up(price * g * lot["unit_net_g"], 1000)
                bfee = half_up(amount * market["buyer_fee_bps"], 10000)
                if q < minimum:
                    reason = "below_minimum"
                elif balance[buyer] < amount + bfee:
                    reason = "insufficient_funds"
                elif (
                    m.get("daily_limit_fen") is not None
                    and spent.get(buyer, 0) + amount > m["daily_limit_fen"]
                ):
                    reason = "over_daily_limit"
            if reason:
                rejected.append(
                    {"at_ms": t, "buyer": buyer, "lot": p["lot"], "qty": q, "reason": reason}
                )
                continue
            if phase == "run":
                phase, t1, p1 = "win", t, price
            com = half_up(amount * market["seller_commission_bps"], 10000)
            lot["remaining"] -= g
            lot["sold"] += g
            balance[buyer] -= amount + bfee
            balance[lot["supplier"]] += amount - com
            revenue += com + bfee
            spent[buyer] = spent.get(buyer, 0) + amount
            sales.append(
                {
                    "lot": lot["id"],
                    "round": lot["rounds"],
                    "buyer": buyer,
                    "qty": g,
                    "price_fen": price,
                    "amount_fen": amount,
                    "buyer_fee_fen": bfee,
                    "commission_fen": com,
                    "at_ms": t,
                }
            )
        # the window [t1, t1 + W] closes after the presses of its last instant
        if phase == "win" and t == t1 + window:
            if lot["remaining"] == 0:
                current += 1
                phase, next_start, next_price = "wait", t + pause, None
            else:
                phase, next_start = "wait", t + pause
                next_price = min(lot["start_price_fen"], p1 + restart * step)
        t += 1
    for p in presses[k:]:
        p1_ = p[1]
        rejected.append(
            {
                "at_ms": p1_["at_ms"],
                "buyer": p1_["buyer"],
                "lot": p1_["lot"],
                "qty": p1_["qty"],
                "reason": _late_reason(p1_, members),
            }
        )
    balances = {m["id"]: balance[m["id"]] for m in sc["members"]}
    balances["market:revenue"] = revenue
    return {
        "sales": sales,
        "rejected": rejected,
        "withdrawn": withdrawn,
        "balances": balances,
        "lots": [
            {
                "id": x["id"],
                "sold_units": x["sold"],
                "withdrawn_units": x["withdrawn"],
                "rounds": x["rounds"],
            }
            for x in lots
        ],
    }


def _late_reason(p: dict[str, Any], members: dict[str, Any]) -> str:
    """Presses after the last lot: the member checks, then no running clock."""
    m = members.get(p["buyer"])
    if m is None:
        return "unknown_member"
    if m["role"] != "buyer":
        return "not_a_buyer"
    if m.get("suspended"):
        return "suspended"
    return "no_running_clock"


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n_lots = draw(st.integers(1, 3))
    lots = []
    for i in range(n_lots):
        start = draw(st.integers(0, 40))
        lots.append(
            {
                "id": f"L{i}",
                "supplier": "S1",
                "variety": draw(st.sampled_from(["黄瓜", "番茄"])),
                "grade": draw(st.sampled_from(["一级", "二级"])),
                "units": draw(st.integers(0, 8)),
                "unit_net_g": draw(st.integers(1, 3000)),
                "start_price_fen": start,
                "reserve_price_fen": draw(st.integers(0, start)),
                "min_purchase": draw(st.integers(1, 5)),
            }
        )
    buyers = []
    for i in range(draw(st.integers(1, 3))):
        buyers.append(
            {
                "id": f"B{i}",
                "role": "buyer",
                "deposit_fen": draw(st.integers(0, 300)),
                "daily_limit_fen": draw(st.none() | st.integers(0, 200)),
                "suspended": draw(st.booleans().map(lambda b: b and draw(st.booleans()))),
            }
        )
    ids = [b["id"] for b in buyers] + ["S1", "X"]
    lot_ids = [lot["id"] for lot in lots] + ["LX"]
    presses = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "at_ms": st.integers(0, 300),
                    "buyer": st.sampled_from(ids),
                    "lot": st.sampled_from(lot_ids),
                    "qty": st.integers(-1, 9) | st.sampled_from([2.5, "3", True]),
                }
            ),
            max_size=25,
        )
    )
    return {
        "market": {
            "seller_commission_bps": draw(st.integers(0, 800)),
            "buyer_fee_bps": draw(st.integers(0, 300)),
        },
        "clock": {
            "tick_ms": draw(st.integers(1, 6)),
            "step_fen": draw(st.integers(1, 5)),
            "pause_ms": draw(st.integers(0, 6)),
            "restart_steps": draw(st.integers(0, 4)),
            "same_stop_ms": draw(st.integers(0, 6)),
        },
        "members": [*buyers, {"id": "S1", "role": "supplier"}],
        "lots": lots,
        "presses": presses,
    }


def engine_result(sc: dict[str, Any]) -> dict[str, Any]:
    engine, result = replay(parse_scenario(sc))
    return result.to_json(engine)


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_engine_agrees_with_the_reference(sc: dict[str, Any]) -> None:
    mine, theirs = engine_result(sc), reference(sc)
    for key in ("sales", "rejected", "withdrawn", "balances", "lots"):
        assert mine[key] == theirs[key], key


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_invariants(sc: dict[str, Any]) -> None:
    r = engine_result(sc)
    deposits = sum(m.get("deposit_fen", 0) for m in sc["members"])
    assert sum(r["balances"].values()) == deposits  # money is conserved
    assert all(v >= 0 for v in r["balances"].values())  # no account negative
    lots = {lot["id"]: lot for lot in sc["lots"]}
    for lot in r["lots"]:
        assert lot["sold_units"] + lot["withdrawn_units"] == lots[lot["id"]]["units"]
    for s in r["sales"]:
        lot = lots[s["lot"]]
        assert lot["reserve_price_fen"] <= s["price_fen"] <= lot["start_price_fen"]
    assert sum(s["qty"] for s in r["sales"]) == sum(x["sold_units"] for x in r["lots"])
    assert engine_result(sc) == r  # replay is deterministic


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_the_announced_round_is_the_round_that_starts(sc: dict[str, Any]) -> None:
    """The live market tells buyers a round before it starts (``upcoming_round``): after any
    input, the engine left alone starts exactly that round at its ``at``, and a round that
    starts was the one announced after the input before."""
    scenario = parse_scenario(sc)
    engine = HallEngine(scenario.clock, scenario.market, scenario.members, scenario.lots)
    for member, amount in scenario.deposits.items():
        if amount:
            engine.apply(Deposit(0, member, amount))
    inputs: list[Any] = [Open(0), *sorted(scenario.presses, key=lambda p: p.at_ms)]
    announced = None
    for event in inputs:
        started = [o for o in engine.apply(event) if isinstance(o, RoundStarted)]
        if announced is not None and announced.at_ms <= event.at_ms:
            assert started[0] == announced
        upcoming = engine.upcoming_round()
        if upcoming is not None:
            assert upcoming.at_ms >= event.at_ms
            alone = copy.deepcopy(engine)
            assert [o for o in alone.apply(Advance(upcoming.at_ms)) if isinstance(o, RoundStarted)][
                :1
            ] == [upcoming]
        announced = upcoming
