"""Property: blocking lots that wait in the queue before the hall opens sells exactly what a
hall that never had those lots sells (same sales, same rejections of other lots, same
balances), and no unit of a blocked lot is ever sold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jiqun.market.core.engine import HallEngine
from jiqun.market.core.events import (
    AddLot,
    BlockLot,
    CommandRefused,
    Deposit,
    Open,
    Output,
    Press,
    Rejected,
    Sale,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role

CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=500, restart_steps=5, same_stop_ms=150)
IDS = ["L1", "L2", "L3", "L4", "L5"]


def lot(i: int, start: int) -> Lot:
    return Lot(IDS[i], "S01", "黄瓜", "一级", 20, 10000, start, start - 40, 5)


def engine(lots: list[Lot]) -> HallEngine:
    members = [Member("B01", Role.BUYER), Member("B02", Role.BUYER), Member("S01", Role.SUPPLIER)]
    e = HallEngine(CLOCK, MarketSettings(300, 50), members, lots)
    e.apply(Deposit(0, "B01", 10**7))
    e.apply(Deposit(0, "B02", 10**7))
    return e


def drive(e: HallEngine, presses: list[Press]) -> list[Output]:
    out = e.apply(Open(0))
    for p in presses:
        out += e.apply(p)
    return out + e.finish()


presses_strategy = st.lists(
    st.builds(
        Press,
        st.integers(0, 30_000),
        st.sampled_from(["B01", "B02"]),
        st.sampled_from(IDS),
        st.integers(1, 25),
    ),
    max_size=25,
).map(lambda ps: sorted(ps, key=lambda p: p.at_ms))


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(st.integers(60, 200).map(lambda n: 2 * n), min_size=5, max_size=5),
    blocked=st.sets(st.integers(0, 4)),
    presses=presses_strategy,
)
def test_blocking_before_open_is_never_having_the_lot(
    starts: list[int], blocked: set[int], presses: list[Press]
) -> None:
    lots = [lot(i, s) for i, s in enumerate(starts)]
    with_block = engine(lots)
    for i in sorted(blocked):
        with_block.apply(BlockLot(0, IDS[i], "test"))
    without = engine([x for i, x in enumerate(lots) if i not in blocked])
    a, b = drive(with_block, presses), drive(without, presses)
    assert [o for o in a if isinstance(o, Sale)] == [o for o in b if isinstance(o, Sale)]
    assert [o for o in a if isinstance(o, Rejected)] == [o for o in b if isinstance(o, Rejected)]
    assert with_block.accounts.balances == without.accounts.balances
    blocked_ids = {IDS[i] for i in blocked}
    assert not any(isinstance(o, Sale) and o.lot in blocked_ids for o in a)
    for lot_id in blocked_ids:
        refused = with_block.apply(AddLot(with_block.state.now, lots[IDS.index(lot_id)]))
        assert refused == [CommandRefused(with_block.state.now, "AddLot", "lot_blocked")]
