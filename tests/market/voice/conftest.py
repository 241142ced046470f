"""A market with known sales on 2026-11-25 (China Standard Time), for the voice answer.

Clock (rulebook v1): tick 100 ms, step 2 fen, pause 2000 ms, restart 10 steps, W = 150 ms;
the hall opens at T0 = 08:00 CST. The prices follow from the rulebook by hand:

- L1 黄瓜 一级, 寿光市, 纸箱, 200 × 10 kg, starts at 600:
  B01 presses at T0+1260 (k = 12): 576 fen/kg × 120 units = 1200 kg, 691,200 fen;
  the second round starts at T0+1410+2000 at min(600, 576+20) = 596;
  B01 presses at T0+3910 (k = 5): 586 × 80 units = 800 kg, 468,800 fen (sold out).
- L2 黄瓜 一级, 稻田镇, 塑料筐, 100 × 15 kg, starts at 500 at T0+3910+150+2000 = T0+6060:
  B02 presses at T0+7060 (k = 10): 480 × 100 units = 1500 kg, 720,000 fen.
- L3 黄瓜 二级, 寿光市, 纸箱, 50 × 10 kg, starts at 400 at T0+7060+150+2000 = T0+9210:
  B01 presses at T0+9510 (k = 3): 394 × 50 units = 500 kg, 197,000 fen.
- L4 番茄 一级, 100 × 10 kg, starts at 300 (reserve 290) at T0+9510+150+2000 = T0+11660:
  nobody presses: withdrawn, no trade.

黄瓜一级: 3500 kg, 1,880,000 fen → mean 537.14… → 5.37元, high 5.86, low 4.80, 3.5 吨.
黄瓜 (all grades): 4000 kg, 2,077,000 fen → 519.25 → 5.19元, high 5.86, low 3.94, 4 吨.
黄瓜二级: 500 kg, 197,000 fen → 3.94元, 500 公斤.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from jiqun.market.core.events import AddLot, AddMember, Advance, Deposit, Open, Press, Sale
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.journal import DurableMarket
from jiqun.market.texts import CST

T0 = int(datetime(2026, 11, 25, 8, 0, tzinfo=CST).timestamp()) * 1000
CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=2000, restart_steps=10, same_stop_ms=150)
FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
LOTS = [
    Lot("L1", "S01", "黄瓜", "一级", 200, 10_000, 600, 200, 5, origin="寿光市", package="纸箱"),
    Lot("L2", "S01", "黄瓜", "一级", 100, 15_000, 500, 200, 5, origin="稻田镇", package="塑料筐"),
    Lot("L3", "S01", "黄瓜", "二级", 50, 10_000, 400, 100, 5, origin="寿光市", package="纸箱"),
    Lot("L4", "S01", "番茄", "一级", 100, 10_000, 300, 290, 5, origin="寿光市", package="纸箱"),
]
PRESSES = [
    (T0 + 1260, "B01", "L1", 120, 576),
    (T0 + 3910, "B01", "L1", 80, 586),
    (T0 + 7060, "B02", "L2", 100, 480),
    (T0 + 9510, "B01", "L3", 50, 394),
]


def build_market(url: str) -> None:
    """The day above, journaled and booked through the real durable market."""
    market = DurableMarket.open(url)
    try:
        market.add_hall("A", CLOCK, FEES)
        for member in (
            Member("B01", Role.BUYER),
            Member("B02", Role.BUYER),
            Member("S01", Role.SUPPLIER),
        ):
            market.submit("A", AddMember(T0 - 60_000, member))
        for buyer in ("B01", "B02"):
            market.submit("A", Deposit(T0 - 60_000, buyer, 5_000_000))
        for lot in LOTS:
            market.submit("A", AddLot(T0 - 30_000, lot))
        market.submit("A", Open(T0))
        for at, buyer, lot_id, qty, price in PRESSES:
            outputs = market.submit("A", Press(at, buyer, lot_id, qty))
            sales = [o for o in outputs if isinstance(o, Sale)]
            assert [(s.lot, s.price_fen, s.qty) for s in sales] == [(lot_id, price, qty)]
        market.submit("A", Advance(T0 + 60_000))  # L4 lapses: withdrawn
    finally:
        market.close()


@pytest.fixture
def market_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'market.db'}"
    build_market(url)
    return url
