"""The engine refuses a blocked lot (M8): BlockLot is journaled, withdraws a queued lot that has
not started, and every hall of the market refuses AddLot for it afterwards."""

from __future__ import annotations

from jiqun.market.codec import decode, encode
from jiqun.market.core.engine import Accounts, HallEngine, HallState
from jiqun.market.core.events import (
    AddLot,
    BlockLot,
    CommandRefused,
    Deposit,
    LotBlocked,
    Open,
    Press,
    QueueChanged,
    RoundStarted,
    Sale,
    Withdrawn,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.journal import DurableMarket

CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=2000, restart_steps=10, same_stop_ms=150)
FEES = MarketSettings(300, 50)


def lot(lot_id: str, start: int = 600) -> Lot:
    return Lot(lot_id, "S01", "黄瓜", "一级", 50, 10000, start, 200, 5)


def hall(*lots: Lot, accounts: Accounts | None = None) -> HallEngine:
    if accounts is None:
        members = [Member("B01", Role.BUYER), Member("S01", Role.SUPPLIER)]
        engine = HallEngine(CLOCK, FEES, members, lots)
        engine.apply(Deposit(0, "B01", 10**8))
        return engine
    return HallEngine(CLOCK, FEES, (), lots, state=HallState(accounts=accounts))


def test_blocking_a_queued_lot_withdraws_it_and_the_clock_skips_it() -> None:
    e = hall(lot("L1"), lot("L2", 500), lot("L3", 400))
    e.apply(Open(0))
    out = e.apply(BlockLot(100, "L2", "速测两次复检均≥50%"))
    assert out == [
        LotBlocked(100, "L2", "速测两次复检均≥50%"),
        Withdrawn("L2", 50, 100),
        QueueChanged(100, ("L3",)),
    ]
    e.apply(Press(1260, "B01", "L1", 50))  # L1 sold out at 576; window closes at 1410
    out = e.apply(Press(3410, "B01", "L3", 5))  # L3 takes L2's slot: 1410 + 2000
    assert out[0] == RoundStarted("L3", 1, 3410, 400, 2, 100, 3410 + 101 * 100)
    assert isinstance(out[-1], Sale) and out[-1].lot == "L3"


def test_blocking_the_lot_due_next_before_open() -> None:
    e = hall(lot("L1"), lot("L2", 500))
    out = e.apply(BlockLot(0, "L1", "x"))
    assert [type(o).__name__ for o in out] == ["LotBlocked", "Withdrawn", "QueueChanged"]
    out = e.apply(Open(10))
    assert out == [RoundStarted("L2", 1, 10, 500, 2, 100, 10 + 151 * 100)]


def test_a_blocked_lot_cannot_be_added() -> None:
    e = hall(lot("L1"))
    assert e.apply(BlockLot(0, "L9", "实验室：毒死蜱超标")) == [
        LotBlocked(0, "L9", "实验室：毒死蜱超标")
    ]
    assert e.apply(AddLot(5, lot("L9"))) == [CommandRefused(5, "AddLot", "lot_blocked")]
    assert [ls.lot.id for ls in e.state.lots] == ["L1"]
    assert e.state.now == 5
    assert e.apply(AddLot(6, lot("L10"))) == []  # other lots still come in
    assert e.apply(BlockLot(7, "L9", "again")) == [CommandRefused(7, "BlockLot", "already_blocked")]
    assert e.apply(BlockLot(8, "", "x")) == [CommandRefused(8, "BlockLot", "bad_lot")]


def test_the_block_holds_in_every_hall() -> None:
    a = hall(lot("L1"))
    b = hall(accounts=a.accounts)
    a.apply(BlockLot(0, "L7", "x"))
    assert b.apply(AddLot(1, lot("L7"))) == [CommandRefused(1, "AddLot", "lot_blocked")]


def test_a_started_lot_is_not_stopped_by_a_block() -> None:
    e = hall(lot("L1"))
    e.apply(Open(0))
    assert e.apply(BlockLot(50, "L1", "x")) == [LotBlocked(50, "L1", "x")]
    assert isinstance(e.apply(Press(1260, "B01", "L1", 5))[-1], Sale)


def test_journal_encoding_round_trip() -> None:
    event = BlockLot(123, "L1", "两次复检阳性")
    kind, payload = encode(event)
    assert kind == "BlockLot" and decode(kind, 123, payload) == event


def test_block_is_durable_and_replays(sqlite_url: str) -> None:
    with DurableMarket.open(sqlite_url, snapshot_every=3) as market:
        market.add_hall("1", CLOCK, FEES)
        market.add_hall("2", CLOCK, FEES)
        from jiqun.market.core.events import AddMember

        market.submit("1", AddMember(0, Member("S01", Role.SUPPLIER)))
        market.submit("1", AddLot(0, lot("L1")))
        market.submit("1", BlockLot(1, "L1", "x"))  # seq 3: a snapshot holds the block
        market.submit("2", BlockLot(2, "L2", "y"))
        refused = market.submit("2", AddLot(3, lot("L1")))
        assert refused == [CommandRefused(3, "AddLot", "lot_blocked")]
        before = market.state()
        assert before["accounts"]["blocked"] == {"L1": "x", "L2": "y"}
        assert market.verify() == []
    with DurableMarket.open(sqlite_url) as again:
        assert again.state() == before
        assert again.submit("1", AddLot(4, lot("L2")))[0] == CommandRefused(
            4, "AddLot", "lot_blocked"
        )
