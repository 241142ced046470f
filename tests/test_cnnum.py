from decimal import Decimal

import pytest

from jiqun.cnnum import chinese_numeral, ordinal, percent, wan_yuan


@pytest.mark.parametrize(
    ("wan", "text"),
    [
        # the seed's own figures (万元 → as the survey writes them)
        (1420000, "142亿元"),
        (147000, "14.7亿元"),
        (104000, "10.4亿元"),
        (3235000, "323.5亿元"),
        (240000, "24亿元"),
        (12000, "1.2亿元"),
        (10000, "1亿元"),
        (7800, "7800万元"),
        (7000, "7000万元"),
        (2024, "2024万元"),
        (3000, "3000万元"),
        # half up at one decimal of 亿, never binary floating point
        (1234500, "123.5亿元"),
        (1234499.99, "123.4亿元"),
        (9999.96, "1亿元"),
        (0.1 + 0.2, "0.3万元"),
        (Decimal("12.25"), "12.3万元"),
    ],
)
def test_wan_yuan(wan: float, text: str) -> None:
    assert wan_yuan(wan) == text


def test_wan_yuan_english() -> None:
    assert wan_yuan(1420000, "en") == "14.2 billion yuan"
    assert wan_yuan(7800, "en") == "78 million yuan"


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (14, "十四"), (20, "二十"), (99, "九十九")],
)
def test_chinese_numeral(n: int, text: str) -> None:
    assert chinese_numeral(n) == text


def test_ordinal_and_percent() -> None:
    assert ordinal(3) == "（三）"
    assert ordinal(3, "en") == "(3)"
    assert percent(0.783) == "78.3%"
    # 0.2665 is 0.266499999… in binary; the survey means 26.65 %, which rounds half up
    assert percent(0.2665) == "26.7%"
    assert percent(Decimal("0.26649")) == "26.6%"
    with pytest.raises(ValueError):
        chinese_numeral(100)
