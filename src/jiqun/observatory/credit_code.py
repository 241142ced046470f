"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from the 31-character set 0-9 and A-Z without I, O, Z, S, V. The last character
is a check character: with c_i the value of character i (0-based, i < 17) and weights
w_i = 3^i mod 31, check = 31 − (Σ c_i·w_i mod 31), where 31 is written as 0.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise ValueError("a credit code's body has 17 characters")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code (a message key), or None when it is valid."""
    if len(code) != 18:
        return "credit_code_length"
    if any(ch not in _VALUE for ch in code):
        return "credit_code_charset"
    if check_character(code[:17]) != code[17]:
        return "credit_code_check"
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None
