"""Integer money (rulebook v1 §6): fen, grams, basis points; rounding half up.

All quantities are non-negative integers, so half-up rounding of a / b is ⌊(2a + b) / 2b⌋:
exact, with no floating point anywhere.
"""

from __future__ import annotations


def div_half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator), halves up, for numerator ≥ 0 and denominator > 0."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("div_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def lot_amount(price_fen_per_kg: int, units: int, unit_net_g: int) -> int:
    """amount = round(p · g · unit_net_g / 1000): the price is per kg, the weight in grams."""
    return div_half_up(price_fen_per_kg * units * unit_net_g, 1000)


def fee(amount_fen: int, bps: int) -> int:
    """round(amount · bps / 10000): a fee or commission in basis points."""
    return div_half_up(amount_fen * bps, 10000)


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals: 115200 → "1152.00" (receipts, messages)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
