"""The auctioneer's commands: hold and release the hall, speed and step, withdraw and reorder
lots before they start. They extend rulebook v1 without changing a day that does not use them."""

from __future__ import annotations

import pytest

from jiqun.market.core.engine import EngineError, HallEngine
from jiqun.market.core.events import (
    Advance,
    ClockPaused,
    CommandRefused,
    Deposit,
    HallHeld,
    Open,
    Output,
    Pause,
    Press,
    QueueChanged,
    ReorderLots,
    Resume,
    RoundStarted,
    Sale,
    SetClock,
    WithdrawLot,
    Withdrawn,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.journal import DurableMarket

CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=2000, restart_steps=10, same_stop_ms=150)


def lot(lot_id: str, start: int = 600) -> Lot:
    return Lot(lot_id, "S01", "黄瓜", "一级", 50, 10000, start, 200, 5)


def hall(*lots: Lot) -> HallEngine:
    members = [Member("B01", Role.BUYER), Member("S01", Role.SUPPLIER)]
    engine = HallEngine(CLOCK, MarketSettings(300, 50), members, lots)
    engine.apply(Deposit(0, "B01", 10**8))
    return engine


def kinds(outs: list[Output]) -> list[str]:
    return [type(o).__name__ for o in outs]


def test_an_opening_lead_starts_the_first_round_later_and_announces_it() -> None:
    e = hall(lot("L1"), lot("L2"))
    assert e.apply(Open(1000, 1500)) == []  # nothing starts yet
    expected = RoundStarted("L1", 1, 2500, 600, 2, 100, 2500 + (200 + 1) * 100)  # K = 400/2
    assert e.upcoming_round() == expected
    assert e.apply(Press(2000, "B01", "L1", 5))[-1].reason == "no_running_clock"  # type: ignore[union-attr]
    assert e.apply(Advance(2500)) == [expected]
    assert e.upcoming_round() is None  # running: nothing is due to start
    with pytest.raises(EngineError):
        hall(lot("L1")).apply(Open(0, -1))


def test_pause_stops_the_clock_without_a_sale_and_resume_goes_on_from_its_price() -> None:
    e = hall(lot("L1"))
    e.apply(Open(0))
    out = e.apply(Pause(1250))  # k = 12 → 576
    assert out == [HallHeld(1250, True), ClockPaused("L1", 1, 1250, 576)]
    assert e.apply(Press(1300, "B01", "L1", 5))[-1].reason == "no_running_clock"  # type: ignore[union-attr]
    assert e.apply(Press(60_000, "B01", "L1", 5))[-1].reason == "no_running_clock"  # type: ignore[union-attr]
    out = e.apply(Resume(70_000))
    assert out[0] == HallHeld(70_000, False)
    assert out[1] == RoundStarted("L1", 2, 70_000, 576, 2, 100, 70_000 + (188 + 1) * 100)
    sale = e.apply(Press(70_250, "B01", "L1", 5))[-1]
    assert isinstance(sale, Sale) and sale.price_fen == 572 and sale.round == 2


def test_a_held_hall_starts_no_round_and_a_window_still_closes() -> None:
    e = hall(lot("L1"), lot("L2"))
    e.apply(Open(0))
    e.apply(Press(1260, "B01", "L1", 50))  # sold out; the window ends at 1410
    assert kinds(e.apply(Pause(1300))) == ["HallHeld"]
    assert kinds(e.apply(Press(5000, "B01", "L2", 5))) == ["Rejected"]  # L2 was due at 3410
    out = e.apply(Resume(9000))
    assert out[1] == RoundStarted("L2", 1, 9000, 600, 2, 100, 9000 + 201 * 100)
    assert e.apply(Pause(9000))[0] == HallHeld(9000, True)
    assert e.apply(Pause(9001)) == [CommandRefused(9001, "Pause", "already_held")]
    assert e.finish() == []  # a held hall stays held at the end of a replay


def test_speed_and_step_apply_from_the_next_round() -> None:
    e = hall(lot("L1"), lot("L2"))
    e.apply(Open(0))
    assert e.apply(SetClock(500, 50, 5)) == []
    sale = e.apply(Press(1260, "B01", "L1", 50))[-1]  # the running round keeps 100 ms / 2 fen
    assert isinstance(sale, Sale) and sale.price_fen == 576
    # restart steps use the new step (not needed here: sold out); L2 runs at 50 ms and 5 fen
    out = e.apply(Press(3410 + 120, "B01", "L2", 5))
    assert out[0] == RoundStarted("L2", 1, 3410, 600, 5, 50, 3410 + (80 + 1) * 50)
    assert isinstance(out[-1], Sale) and out[-1].price_fen == 600 - 2 * 5
    assert e.apply(SetClock(4000, 0, 5)) == [CommandRefused(4000, "SetClock", "bad_setting")]


def test_withdraw_and_reorder_before_a_lot_starts() -> None:
    e = hall(lot("L1"), lot("L2", 500), lot("L3", 400), lot("L4", 300))
    assert e.apply(WithdrawLot(0, "L2")) == [
        Withdrawn("L2", 50, 0),
        QueueChanged(0, ("L1", "L3", "L4")),
    ]
    assert e.apply(ReorderLots(0, ("L4", "L1", "L3"))) == [QueueChanged(0, ("L4", "L1", "L3"))]
    first = e.apply(Open(0))
    assert first[0] == RoundStarted("L4", 1, 0, 300, 2, 100, 51 * 100)
    refused = e.apply(WithdrawLot(100, "L4"))
    assert refused == [CommandRefused(100, "WithdrawLot", "already_started")]
    assert e.apply(ReorderLots(100, ("L1",))) == [
        CommandRefused(100, "ReorderLots", "not_the_pending_lots")
    ]
    assert e.apply(ReorderLots(100, ("L3", "L1")))[-1] == QueueChanged(100, ("L3", "L1"))
    assert e.apply(WithdrawLot(100, "L9")) == [CommandRefused(100, "WithdrawLot", "unknown_lot")]
    # L4 lapses at 5100; L3 is next at 7100
    out = e.apply(Press(7100, "B01", "L3", 5))
    assert kinds(out) == ["Withdrawn", "RoundStarted", "ClockStopped", "Sale"]
    assert isinstance(out[1], RoundStarted) and out[1].lot == "L3"


def test_withdrawing_the_lot_due_next_hands_its_slot_to_the_following_lot() -> None:
    e = hall(lot("L1"), lot("L2", 500), lot("L3", 400))
    e.apply(Open(0))
    e.apply(Press(1260, "B01", "L1", 50))  # L1 sold out; L2 due at 3410
    e.apply(Pause(2000))
    out = e.apply(WithdrawLot(2100, "L2"))
    assert out == [Withdrawn("L2", 50, 2100), QueueChanged(2100, ("L3",))]
    # released before the slot: L3 starts when L2 would have, at 3410
    assert e.apply(Resume(2200)) == [HallHeld(2200, False)]
    out = e.apply(Press(3410, "B01", "L3", 5))
    assert out[0] == RoundStarted("L3", 1, 3410, 400, 2, 100, 3410 + 101 * 100)


def test_commands_are_journaled_and_recovered(sqlite_url: str) -> None:
    with DurableMarket.open(sqlite_url) as market:
        market.add_hall("1", CLOCK, MarketSettings(300, 50))
        from jiqun.market.core.events import AddLot, AddMember

        market.submit("1", AddMember(0, Member("B01", Role.BUYER)))
        market.submit("1", AddMember(0, Member("S01", Role.SUPPLIER)))
        market.submit("1", Deposit(0, "B01", 10**7))
        for lot_id in ("L1", "L2", "L3"):
            market.submit("1", AddLot(0, lot(lot_id)))
        market.submit("1", ReorderLots(0, ("L3", "L1", "L2")))
        market.submit("1", WithdrawLot(0, "L2"))
        market.submit("1", SetClock(0, 50, 4))
        market.submit("1", Open(0))
        market.submit("1", Pause(600))
        market.submit("1", Resume(900))
        market.submit("1", Press(1000, "B01", "L3", 5))
        before = market.state()
        assert market.verify() == []
    with DurableMarket.open(sqlite_url) as again:
        assert again.state() == before
        lots = again.halls["1"].state.lots
        assert [ls.lot.id for ls in lots] == ["L3", "L1", "L2"]
        assert (lots[0].sold, lots[0].rounds, lots[2].withdrawn) == (5, 2, 50)
