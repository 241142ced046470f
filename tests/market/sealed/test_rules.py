"""The sealed-bid rulebook (issue 6, M11), rule by rule, at its boundaries.

Every expected figure here is worked out by hand from the issue's text, in the comments next
to it, never taken from the engine.
"""

from __future__ import annotations

from typing import Any

import pytest

from jiqun.market.sealed.engine import run
from jiqun.market.sealed.scenario import parse_auction


def member(id: str, deposit: int = 0, role: str = "buyer") -> dict[str, Any]:
    return {"id": id, "role": role, "deposit_fen": deposit}


def item(id: str, reserve: int = 100, opens: int = 1000, closes: int = 5000, seller: str = "S01"):
    return {
        "id": id,
        "seller": seller,
        "reserve_fen": reserve,
        "opens_ms": opens,
        "closes_ms": closes,
    }


def bid(at: int, bidder: str, it: str, amount: object) -> dict[str, Any]:
    return {"at_ms": at, "bidder": bidder, "item": it, "amount_fen": amount}


def scenario(
    bids: list[dict[str, Any]],
    items: list[dict[str, Any]] | None = None,
    members: list[dict[str, Any]] | None = None,
    bps: int = 0,
) -> dict[str, Any]:
    return {
        "market": {"seller_commission_bps": bps},
        "members": members
        if members is not None
        else [member("B01", 10_000), member("B02", 10_000), member("S01", role="supplier")],
        "items": items if items is not None else [item("J01")],
        "bids": bids,
    }


def replay(data: dict[str, Any]) -> dict[str, Any]:
    return run(parse_auction(data)).to_json()  # type: ignore[return-value]


def reasons(result: dict[str, Any]) -> list[str]:
    return [r["reason"] for r in result["rejected"]]


def winners(result: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(a["item"], a["bidder"], a["amount_fen"]) for a in result["awards"]]


# ------------------------------------------------------------------ the window


@pytest.mark.parametrize(
    ("at", "ok"),
    [(999, False), (1000, True), (1001, True), (4999, True), (5000, False), (5001, False)],
)
def test_window_is_opens_inclusive_closes_exclusive(at: int, ok: bool) -> None:
    result = replay(scenario([bid(at, "B01", "J01", 500)]))
    if ok:
        assert winners(result) == [("J01", "B01", 500)] and result["rejected"] == []
    else:
        assert reasons(result) == ["window_closed"] and result["unsold"] == ["J01"]


def test_a_bid_at_the_close_is_late_even_listed_first() -> None:
    # closes come before bids at the same instant, whatever the input order
    result = replay(scenario([bid(5000, "B02", "J01", 900), bid(4000, "B01", "J01", 200)]))
    assert winners(result) == [("J01", "B01", 200)]
    assert result["rejected"] == [
        {
            "at_ms": 5000,
            "bidder": "B02",
            "item": "J01",
            "amount_fen": 900,
            "reason": "window_closed",
        }
    ]


def test_a_bid_at_another_items_close_sees_the_released_money() -> None:
    # B01 (10,000) loses J01 to B02 (9,000 > 8,000); at J01's close (5000) his 8,000 hold is
    # released before his bid on J02 at that same instant, so 10,000 is free for it.
    items = [item("J01"), item("J02", opens=0, closes=9000)]
    bids = [
        bid(1000, "B01", "J01", 8000),
        bid(1000, "B02", "J01", 9000),
        bid(5000, "B01", "J02", 10_000),
    ]
    result = replay(scenario(bids, items))
    assert winners(result) == [("J01", "B02", 9000), ("J02", "B01", 10_000)]
    assert result["rejected"] == []


def test_a_winner_bidding_at_his_close_has_paid_already() -> None:
    # B01 wins J01 for 8,000 at 5000; at that instant he has 2,000 left: 2,001 is too much.
    items = [item("J01"), item("J02", opens=0, closes=9000)]
    bids = [bid(1000, "B01", "J01", 8000), bid(5000, "B01", "J02", 2001)]
    result = replay(scenario(bids, items))
    assert reasons(result) == ["insufficient_funds"]
    bids[1]["amount_fen"] = 2000
    assert winners(replay(scenario(bids, items))) == [("J01", "B01", 8000), ("J02", "B01", 2000)]


def test_items_closing_at_one_instant_in_input_order() -> None:
    items = [item("J02", reserve=1), item("J01", reserve=1), item("J03", reserve=1)]
    bids = [bid(1000, "B01", "J01", 5), bid(1000, "B02", "J02", 6)]
    result = replay(scenario(bids, items))
    assert winners(result) == [("J02", "B02", 6), ("J01", "B01", 5)]
    assert result["unsold"] == ["J03"]


def test_awards_and_unsold_follow_the_closes_in_time() -> None:
    items = [item("J01", closes=7000), item("J02", closes=3000), item("J03", closes=2000)]
    bids = [bid(1000, "B01", "J01", 100), bid(1000, "B01", "J02", 100)]
    result = replay(scenario(bids, items))
    assert [a["item"] for a in result["awards"]] == ["J02", "J01"]
    assert result["unsold"] == ["J03"]


# ------------------------------------------------------------------ the checks, in order


@pytest.mark.parametrize(
    ("b", "reason"),
    [
        (bid(1000, "X99", "J99", "x"), "unknown_member"),  # fails everything: the first wins
        (bid(1000, "S01", "J99", "x"), "not_a_buyer"),
        (bid(1000, "S01", "J01", 500), "not_a_buyer"),  # the seller bidding on his own item
        (bid(1000, "S02", "J01", 500), "not_a_buyer"),  # any supplier
        (bid(6000, "B01", "J99", "x"), "unknown_item"),
        (bid(6000, "B01", "J01", "x"), "window_closed"),
        (bid(1000, "B01", "J01", 10**9), "insufficient_funds"),
        (bid(1000, "B01", "J01", "10"), "bad_amount"),  # bad before insufficient
    ],
)
def test_the_first_failing_check_is_the_reason(b: dict[str, Any], reason: str) -> None:
    members = [member("B01", 10_000), member("S01", role="supplier"), member("S02", 50, "supplier")]
    result = replay(scenario([b], members=members))
    assert result["rejected"] == [dict(b, reason=reason)]
    assert result["unsold"] == ["J01"]


@pytest.mark.parametrize("amount", [5.0, 1.5, "5", "", True, False, None, 0, -1, [5], {"a": 5}])
def test_bad_amounts(amount: object) -> None:
    result = replay(scenario([bid(1000, "B01", "J01", amount)]))
    assert result["rejected"] == [
        {
            "at_ms": 1000,
            "bidder": "B01",
            "item": "J01",
            "amount_fen": amount,
            "reason": "bad_amount",
        }
    ]


def test_one_fen_is_an_amount() -> None:
    result = replay(scenario([bid(1000, "B01", "J01", 1)], [item("J01", reserve=0)]))
    assert winners(result) == [("J01", "B01", 1)]


# ------------------------------------------------------------------ funds and holds


def test_insufficient_funds_exactly_at_the_boundary() -> None:
    # B01 has 10,000 and holds 4,000 on J02: 6,000 is free for J01, 6,001 is not.
    items = [item("J01"), item("J02", reserve=0, closes=9000)]
    for amount, ok in [(6000, True), (6001, False)]:
        bids = [bid(1000, "B01", "J02", 4000), bid(1001, "B01", "J01", amount)]
        result = replay(scenario(bids, items))
        assert reasons(result) == ([] if ok else ["insufficient_funds"])


def test_a_whole_balance_can_be_bid() -> None:
    result = replay(scenario([bid(1000, "B01", "J01", 10_000), bid(1000, "B02", "J01", 10_001)]))
    assert winners(result) == [("J01", "B01", 10_000)]
    assert reasons(result) == ["insufficient_funds"]
    assert result["balances"]["B01"] == 0


def test_holds_across_items_and_their_release() -> None:
    # 3 × 3,000 held on three items leaves 1,000 free: a fourth bid of 1,001 fails.
    # J01 closes at 5000 (B01 wins, pays 3,000): balance 7,000, still 6,000 held elsewhere,
    # so at 5000 a new item takes 1,000 but not 1,001.
    items = [
        item("J01", reserve=0),
        item("J02", reserve=0, closes=8000),
        item("J03", reserve=0, closes=8000),
        item("J04", reserve=0, closes=8000),
        item("J05", reserve=0, closes=8000),
    ]
    bids = [
        bid(1000, "B01", "J01", 3000),
        bid(1000, "B01", "J02", 3000),
        bid(1000, "B01", "J03", 3000),
        bid(1001, "B01", "J04", 1001),
        bid(5000, "B01", "J05", 1001),
        bid(5000, "B01", "J05", 1000),
    ]
    result = replay(scenario(bids, items))
    assert reasons(result) == ["insufficient_funds", "insufficient_funds"]
    assert [r["at_ms"] for r in result["rejected"]] == [1001, 5000]
    assert winners(result) == [
        ("J01", "B01", 3000),
        ("J02", "B01", 3000),
        ("J03", "B01", 3000),
        ("J05", "B01", 1000),
    ]
    assert result["unsold"] == ["J04"]
    assert result["balances"]["B01"] == 0


def test_holds_of_other_bidders_do_not_count() -> None:
    bids = [bid(1000, "B01", "J01", 10_000), bid(1000, "B02", "J01", 10_000)]
    result = replay(scenario(bids))
    assert result["rejected"] == [] and winners(result) == [("J01", "B01", 10_000)]


# ------------------------------------------------------------------ replacement


def test_replacement_up() -> None:
    # B01 9,000 then 10,000 on the same item: the funds check ignores the 9,000 it replaces.
    bids = [
        bid(1000, "B01", "J01", 9000),
        bid(1200, "B02", "J01", 9500),
        bid(1300, "B01", "J01", 10_000),
    ]
    result = replay(scenario(bids))
    assert result["rejected"] == [] and winners(result) == [("J01", "B01", 10_000)]
    assert result["balances"] == {"B01": 0, "B02": 10_000, "S01": 10_000, "market:revenue": 0}


def test_replacement_down_gives_up_the_lead() -> None:
    bids = [
        bid(1000, "B01", "J01", 9000),
        bid(1200, "B02", "J01", 5000),
        bid(1300, "B01", "J01", 4000),
    ]
    assert winners(replay(scenario(bids))) == [("J01", "B02", 5000)]


def test_replacement_down_frees_money_for_other_items() -> None:
    items = [item("J01"), item("J02")]
    bids = [
        bid(1000, "B01", "J01", 9000),
        bid(1100, "B01", "J02", 2000),  # 1,000 free: rejected
        bid(1200, "B01", "J01", 8000),
        bid(1300, "B01", "J02", 2000),  # 2,000 free now
    ]
    result = replay(scenario(bids, items))
    assert reasons(result) == ["insufficient_funds"]
    assert winners(result) == [("J01", "B01", 8000), ("J02", "B01", 2000)]


def test_replacement_beyond_funds_keeps_the_earlier_bid() -> None:
    bids = [bid(1000, "B01", "J01", 6000), bid(1100, "B01", "J01", 10_001)]
    result = replay(scenario(bids))
    assert reasons(result) == ["insufficient_funds"]
    assert winners(result) == [("J01", "B01", 6000)]


def test_an_invalid_later_bid_keeps_the_earlier_one() -> None:
    bids = [bid(1000, "B01", "J01", 6000), bid(1100, "B01", "J01", 7.5), bid(5000, "B01", "J01", 1)]
    result = replay(scenario(bids))
    assert reasons(result) == ["bad_amount", "window_closed"]
    assert winners(result) == [("J01", "B01", 6000)]


def test_replacement_takes_the_later_time_for_ties() -> None:
    # B01 ties B02 at 700 but re-bids 700 after him: his bid is now the later one.
    bids = [
        bid(1000, "B01", "J01", 700),
        bid(1100, "B02", "J01", 700),
        bid(1200, "B01", "J01", 700),
    ]
    assert winners(replay(scenario(bids))) == [("J01", "B02", 700)]


# ------------------------------------------------------------------ the close


def test_ties_go_to_the_earliest_bid_not_the_first_listed() -> None:
    bids = [bid(2000, "B01", "J01", 700), bid(1500, "B02", "J01", 700)]
    assert winners(replay(scenario(bids))) == [("J01", "B02", 700)]


def test_ties_at_one_instant_go_to_input_order() -> None:
    bids = [bid(2000, "B02", "J01", 700), bid(2000, "B01", "J01", 700)]
    assert winners(replay(scenario(bids))) == [("J01", "B02", 700)]
    bids.reverse()
    assert winners(replay(scenario(bids))) == [("J01", "B01", 700)]


def test_the_highest_wins_over_an_earlier_lower() -> None:
    bids = [bid(1000, "B01", "J01", 700), bid(4999, "B02", "J01", 701)]
    assert winners(replay(scenario(bids))) == [("J01", "B02", 701)]


@pytest.mark.parametrize(("reserve", "sold"), [(499, True), (500, True), (501, False)])
def test_reserve_exactly_met_wins(reserve: int, sold: bool) -> None:
    result = replay(scenario([bid(1000, "B01", "J01", 500)], [item("J01", reserve=reserve)]))
    assert winners(result) == ([("J01", "B01", 500)] if sold else [])
    assert result["unsold"] == ([] if sold else ["J01"])
    assert result["balances"]["B01"] == (9500 if sold else 10_000)


def test_a_lower_bid_at_the_reserve_wins_when_the_higher_is_replaced_below() -> None:
    bids = [
        bid(1000, "B01", "J01", 900),
        bid(1100, "B02", "J01", 500),
        bid(1200, "B01", "J01", 400),
    ]
    assert winners(replay(scenario(bids, [item("J01", reserve=500)]))) == [("J01", "B02", 500)]


def test_reserve_zero_sells_to_any_valid_bid() -> None:
    result = replay(scenario([bid(1000, "B02", "J01", 1)], [item("J01", reserve=0)], bps=300))
    assert result["awards"] == [
        {"item": "J01", "bidder": "B02", "amount_fen": 1, "commission_fen": 0}
    ]


def test_no_bids_everything_unsold_and_balances_are_the_deposits() -> None:
    members = [member("B01", 123), member("S01", role="supplier"), member("S02", 7, "supplier")]
    result = replay(scenario([], [item("J01"), item("J02", seller="S02")], members))
    assert result == {
        "awards": [],
        "unsold": ["J01", "J02"],
        "rejected": [],
        "balances": {"B01": 123, "S01": 0, "S02": 7, "market:revenue": 0},
    }


def test_no_items() -> None:
    result = replay(scenario([bid(0, "B01", "J01", 5)], items=[]))
    assert reasons(result) == ["unknown_item"] and result["unsold"] == []


# ------------------------------------------------------------------ commission (M3 §6)


@pytest.mark.parametrize(
    ("bps", "amount", "commission"),
    [
        (250, 20, 1),  # 0.5 → 1, halves up
        (250, 19, 0),  # 0.475 → 0
        (250, 60, 2),  # 1.5 → 2
        (300, 50, 2),  # 1.5 → 2
        (300, 49, 1),  # 1.47 → 1
        (300, 120_000, 3600),
        (333, 1_234_567, 41_111),  # 41,111.08 → 41,111
        (0, 9999, 0),
        (10_000, 9999, 9999),  # everything to the market, nothing to the seller
    ],
)
def test_commission_is_half_up_bps(bps: int, amount: int, commission: int) -> None:
    members = [member("B01", 2_000_000), member("S01", role="supplier")]
    result = replay(
        scenario([bid(1000, "B01", "J01", amount)], [item("J01", reserve=0)], members, bps)
    )
    assert result["awards"][0]["commission_fen"] == commission
    assert result["balances"] == {
        "B01": 2_000_000 - amount,
        "S01": amount - commission,
        "market:revenue": commission,
    }


# ------------------------------------------------------------------ a worked example


WORKED = {
    "market": {"seller_commission_bps": 250, "buyer_fee_bps": 50},  # no buyer fee in M11
    "members": [
        {"id": "B01", "role": "buyer", "deposit_fen": 100_000, "name": "潍坊玉器行"},
        {"id": "B02", "role": "buyer", "deposit_fen": 80_000},
        {"id": "B03", "role": "buyer", "deposit_fen": 50_000},
        {"id": "S01", "role": "supplier"},
        {"id": "S02", "role": "supplier"},
    ],
    "items": [
        {"id": "J01", "seller": "S01", "reserve_fen": 30_000, "opens_ms": 1000, "closes_ms": 5000},
        {"id": "J02", "seller": "S02", "reserve_fen": 50_000, "opens_ms": 0, "closes_ms": 5000},
        {"id": "J03", "seller": "S01", "reserve_fen": 0, "opens_ms": 2000, "closes_ms": 8000},
        {"id": "J04", "seller": "S02", "reserve_fen": 90_000, "opens_ms": 0, "closes_ms": 8000},
    ],
    "bids": [
        bid(999, "B01", "J01", 40_000),  # window_closed: J01 opens at 1000
        bid(1000, "B01", "J01", 40_000),  # holds 40,000
        bid(1500, "B02", "J01", 40_000),  # ties B01, later
        bid(1500, "B01", "J02", 60_001),  # free 100,000 − 40,000 = 60,000: insufficient
        bid(1500, "B01", "J02", 60_000),  # exactly free: holds; B01 holds 100,000
        bid(2000, "B03", "J02", 50_000),  # reserve exactly
        bid(2500, "B01", "J01", 30_000),  # down; free 100,000 − 60,000 ≥ 30,000; B02 leads J01
        bid(2500, "S01", "J03", 100),  # not_a_buyer
        bid(2600, "X99", "J03", 100),  # unknown_member
        bid(2700, "B03", "J99", 100),  # unknown_item
        bid(2800, "B03", "J03", "100"),  # bad_amount
        bid(2800, "B03", "J03", 0),  # bad_amount
        bid(3000, "B03", "J03", 1),  # free 50,000 − 50,000 = 0: insufficient
        bid(3000, "B02", "J02", 70_000),  # free 80,000 − 40,000: insufficient
        bid(3000, "B02", "J03", 40_000),  # exactly free
        # 5000: J01 closes: B02 40,000 (B01 now 30,000) → commission 1,000; S01 +39,000;
        #       J02 closes: B01 60,000 beats B03 → commission 1,500; S02 +58,500;
        #       B03's 50,000 released.
        bid(5000, "B03", "J03", 20_000),  # after the closes: 50,000 free
        bid(5000, "B01", "J01", 50_000),  # J01 closed at this instant: window_closed
        bid(6000, "B02", "J03", 40_001),  # balance 40,000, nothing else held: insufficient
        bid(7999, "B01", "J04", 40_000),  # B01 has 40,000 left: holds, but below the reserve
        bid(8000, "B03", "J03", 45_000),  # window_closed
        # 8000: J03 closes: B02 40,000 beats B03 20,000 → commission 1,000; S01 +39,000;
        #       J04 closes unsold (40,000 < 90,000).
    ],
}


def test_worked_example() -> None:
    result = replay(WORKED)
    assert result["awards"] == [
        {"item": "J01", "bidder": "B02", "amount_fen": 40_000, "commission_fen": 1000},
        {"item": "J02", "bidder": "B01", "amount_fen": 60_000, "commission_fen": 1500},
        {"item": "J03", "bidder": "B02", "amount_fen": 40_000, "commission_fen": 1000},
    ]
    assert result["unsold"] == ["J04"]
    assert [
        (r["at_ms"], r["bidder"], r["item"], r["amount_fen"], r["reason"])
        for r in result["rejected"]
    ] == [
        (999, "B01", "J01", 40_000, "window_closed"),
        (1500, "B01", "J02", 60_001, "insufficient_funds"),
        (2500, "S01", "J03", 100, "not_a_buyer"),
        (2600, "X99", "J03", 100, "unknown_member"),
        (2700, "B03", "J99", 100, "unknown_item"),
        (2800, "B03", "J03", "100", "bad_amount"),
        (2800, "B03", "J03", 0, "bad_amount"),
        (3000, "B03", "J03", 1, "insufficient_funds"),
        (3000, "B02", "J02", 70_000, "insufficient_funds"),
        (5000, "B01", "J01", 50_000, "window_closed"),
        (6000, "B02", "J03", 40_001, "insufficient_funds"),
        (8000, "B03", "J03", 45_000, "window_closed"),
    ]
    assert result["balances"] == {
        "B01": 40_000,
        "B02": 0,
        "B03": 50_000,
        "S01": 78_000,
        "S02": 58_500,
        "market:revenue": 3500,
    }
    assert sum(result["balances"].values()) == 230_000  # the deposits


def test_worked_example_in_another_input_order() -> None:
    # Time decides, input order only among equal times: reversing the list but keeping each
    # instant's bids in their order gives the same result.
    by_time: dict[int, list[dict[str, Any]]] = {}
    for b in WORKED["bids"]:
        by_time.setdefault(b["at_ms"], []).append(b)
    shuffled = [b for at in sorted(by_time, reverse=True) for b in by_time[at]]
    assert replay(dict(WORKED, bids=shuffled)) == replay(WORKED)
