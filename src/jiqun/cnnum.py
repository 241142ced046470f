"""Numbers written the way the seed writes them: the one place for Chinese number formatting.

Amounts in the register are in 万元 (10⁴ yuan). The survey writes amounts of 1亿 (10⁸ yuan =
10,000 万元) and more in 亿元 with at most one decimal, the trailing zero dropped ("142亿元",
"14.7亿元"), and smaller ones in 万元 ("7800万元"). Rounding is half up, on decimals, so that
what is printed never depends on binary floating point.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from jiqun.i18n import Lang

_DIGITS = "零一二三四五六七八九"
_TENTH = Decimal("0.1")
_WAN_PER_YI = Decimal(10000)


def to_decimal(value: float | int | Decimal) -> Decimal:
    """A register number as a decimal: floats by their shortest repr, so 0.1 is exactly 0.1."""
    return (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value) if isinstance(value, float) else value)
    )


def _plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 142.0 → "142", 14.70 → "14.7"."""
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def wan_yuan(value: float | int | Decimal, lang: Lang = "zh") -> str:
    """An amount given in 万元, as the survey writes it: "142亿元", "14.7亿元", "7800万元"."""
    wan = to_decimal(value)
    if lang == "en":
        return _english_yuan(wan * _WAN_PER_YI)
    yi = round_half_up(wan / _WAN_PER_YI, 1)
    if abs(yi) >= 1:
        return f"{_plain(yi)}亿元"
    return f"{_plain(round_half_up(wan, 1))}万元"


def _english_yuan(yuan: Decimal) -> str:
    for size, word in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        scaled = round_half_up(yuan / size, 1)
        if abs(scaled) >= 1:
            return f"{_plain(scaled)} {word} yuan"
    return f"{_plain(round_half_up(yuan))} yuan"


def percent(fraction: float | Decimal, places: int = 1) -> str:
    """A fraction as a percentage with ``places`` decimals, half up: 0.2663 → "26.6%"."""
    return f"{_plain(round_half_up(to_decimal(fraction) * 100, places))}%"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 21 → 二十一, up to 99 (ordinals of report sections)."""
    if not 0 < n < 100:
        raise ValueError(f"{n} is outside 1..99")
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[units] if units else "")


def ordinal(n: int, lang: Lang = "zh") -> str:
    """The survey's section ordinal: （一）（二）… or (1) (2) …"""
    return f"（{chinese_numeral(n)}）" if lang == "zh" else f"({n})"
