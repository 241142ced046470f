"""Replaying a trading day through the engine and summing it up (``jiqun market replay``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jiqun.market.core.engine import REVENUE, HallEngine
from jiqun.market.core.events import Deposit, Open, Output, Press, Rejected, Sale, Withdrawn
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member
from jiqun.market.core.money import div_half_up


@dataclass(frozen=True)
class Scenario:
    market: MarketSettings
    clock: ClockSettings
    members: tuple[Member, ...]
    deposits: dict[str, int]
    lots: tuple[Lot, ...]
    presses: tuple[Press, ...]


@dataclass
class _PriceTally:
    min_fen: int
    max_fen: int
    weighted_fen_g: int = 0  # Σ price · weight, for the weight-weighted mean
    volume_g: int = 0
    amount_fen: int = 0
    trades: int = 0


@dataclass
class DayResult:
    outputs: list[Output] = field(default_factory=list)
    balances: dict[str, int] = field(default_factory=dict)

    def to_json(self, engine: HallEngine) -> dict[str, Any]:
        sales = [o for o in self.outputs if isinstance(o, Sale)]
        return {
            "sales": [
                {
                    "lot": s.lot,
                    "round": s.round,
                    "buyer": s.buyer,
                    "qty": s.qty,
                    "price_fen": s.price_fen,
                    "amount_fen": s.amount_fen,
                    "buyer_fee_fen": s.buyer_fee_fen,
                    "commission_fen": s.commission_fen,
                    "at_ms": s.at_ms,
                }
                for s in sales
            ],
            "withdrawn": [
                {"lot": w.lot, "units": w.units, "at_ms": w.at_ms}
                for w in self.outputs
                if isinstance(w, Withdrawn)
            ],
            "rejected": [
                {"at_ms": r.at_ms, "buyer": r.buyer, "lot": r.lot, "qty": r.qty, "reason": r.reason}
                for r in self.outputs
                if isinstance(r, Rejected)
            ],
            "balances": dict(self.balances),
            "lots": [
                {
                    "id": s.lot.id,
                    "sold_units": s.sold,
                    "withdrawn_units": s.withdrawn,
                    "rounds": s.rounds,
                }
                for s in engine.state.lots
            ],
            "prices": price_records(sales),
        }


def price_records(sales: Iterable[Sale]) -> list[dict[str, Any]]:
    """Per variety and grade: min, max, weight-weighted mean price (rounded half up), volume,
    amount and trades, sorted by variety then grade (PRODUCT.md M3, M9)."""
    tallies: dict[tuple[str, str], _PriceTally] = {}
    for s in sales:
        t = tallies.setdefault((s.variety, s.grade), _PriceTally(s.price_fen, s.price_fen))
        weight = s.qty * s.unit_net_g
        t.min_fen, t.max_fen = min(t.min_fen, s.price_fen), max(t.max_fen, s.price_fen)
        t.weighted_fen_g += s.price_fen * weight
        t.volume_g += weight
        t.amount_fen += s.amount_fen
        t.trades += 1
    return [
        {
            "variety": variety,
            "grade": grade,
            "min_fen": t.min_fen,
            "max_fen": t.max_fen,
            "avg_fen": div_half_up(t.weighted_fen_g, t.volume_g),
            "volume_g": t.volume_g,
            "amount_fen": t.amount_fen,
            "trades": t.trades,
        }
        for (variety, grade), t in sorted(tallies.items())
    ]


def replay(scenario: Scenario) -> tuple[HallEngine, DayResult]:
    """Run a scenario in simulated time: deposits, the hall opens at 0, presses in time order
    (equal times in input order), then the clock runs out."""
    engine = HallEngine(scenario.clock, scenario.market, scenario.members, scenario.lots)
    result = DayResult()
    for member, amount in scenario.deposits.items():
        if amount:
            result.outputs += engine.apply(Deposit(0, member, amount))
    result.outputs += engine.apply(Open(0))
    for press in sorted(scenario.presses, key=lambda p: p.at_ms):
        result.outputs += engine.apply(press)
    result.outputs += engine.finish()
    balances = engine.accounts.balances
    result.balances = {m.id: balances[m.id] for m in scenario.members}
    result.balances[REVENUE] = balances[REVENUE]
    return engine, result
