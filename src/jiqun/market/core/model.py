"""The market's facts: settings, members and lots (PRODUCT.md M1, M2, M3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    BUYER = "buyer"
    SUPPLIER = "supplier"


@dataclass(frozen=True)
class MarketSettings:
    """Fees in basis points of the amount (1 bp = 0.01 %)."""

    seller_commission_bps: int = 0
    buyer_fee_bps: int = 0


@dataclass(frozen=True)
class ClockSettings:
    """A hall's clock (rulebook v1): the price falls by ``step_fen`` every ``tick_ms``."""

    tick_ms: int
    step_fen: int
    pause_ms: int
    restart_steps: int
    same_stop_ms: int  # W: presses within [t1, t1 + W] buy at the stop price


@dataclass(frozen=True)
class Member:
    id: str
    role: Role
    suspended: bool = False
    daily_limit_fen: int | None = None


@dataclass(frozen=True)
class Lot:
    """One supplier's offer of one variety, grade and package (PRODUCT.md M2)."""

    id: str
    supplier: str
    variety: str
    grade: str
    units: int
    unit_net_g: int
    start_price_fen: int  # 最高起拍价, fen per kg
    reserve_price_fen: int  # hidden from buyers, fen per kg
    min_purchase: int  # 最低购买量, units
    origin: str = ""
    package: str = ""
    category: str = ""
