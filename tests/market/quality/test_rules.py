"""Rapid-test and lab verdicts at their boundaries (GB/T 5009.199, GB 2763)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiqun.market.quality import rules
from jiqun.market.quality.mrl import UnknownName


def test_below_fifty_passes_at_fifty_is_positive() -> None:
    v = rules.judge_rapid(["49.99"])
    assert v.status == "pass" and v.readings == (Decimal("49.99"),)
    v = rules.judge_rapid([Decimal(50)])
    assert v.status == "retest" and v.retests_needed == 2
    v = rules.judge_rapid(["50.0", "62"])
    assert v.status == "retest" and v.retests_needed == 1


def test_both_retests_positive_fail() -> None:
    v = rules.judge_rapid(["71.5", "50", "50.00"])
    assert v.status == "fail" and not v.discordant
    assert "不合格" in v.zh and "fail" in v.en


def test_one_positive_retest_does_not_fail() -> None:
    for retests in (["50", "49.9"], ["12", "88"]):
        v = rules.judge_rapid(["60", *retests])
        assert v.status == "pass" and v.discordant
        assert "实验室" in v.zh


def test_both_retests_negative_pass() -> None:
    v = rules.judge_rapid(["55", "49.99", "3"])
    assert v.status == "pass" and not v.discordant


@pytest.mark.parametrize(
    "readings",
    [[], ["-1"], ["100.01"], [0.5], ["abc"], ["NaN"], ["30", "60"], ["60", "1", "2", "3"], [True]],
)
def test_bad_readings_are_refused(readings: list[object]) -> None:
    with pytest.raises(rules.RuleError):
        rules.judge_rapid(readings)


def test_percent_sign_and_exact_decimals() -> None:
    v = rules.judge_rapid(["49.999999%"])
    assert v.status == "pass" and v.readings[0] == Decimal("49.999999")


@pytest.mark.parametrize(
    ("variety", "group"),
    [
        ("葱", "葱"),
        ("大葱", "葱"),
        ("大蒜", "蒜"),
        ("蒜薹", "蒜"),
        ("紫皮蒜", "蒜"),
        ("白萝卜", "萝卜"),
        ("韭菜", "韭菜"),
        ("芹菜", "芹菜"),
        ("香菜", "香菜"),
        ("芫荽", "香菜"),
        ("茭白", "茭白"),
        ("香菇", "蘑菇"),
        ("蘑菇", "蘑菇"),
        ("西红柿", "番茄"),
        ("樱桃番茄", "番茄"),
    ],
)
def test_false_positive_varieties(variety: str, group: str) -> None:
    h = rules.special_handling(variety)
    assert h is not None and h.group == group
    assert "整株" in h.zh and "whole plant" in h.en


@pytest.mark.parametrize("variety", ["黄瓜", "大白菜", "茄子", "胡萝卜", "洋葱", "菠菜", "木耳"])
def test_other_varieties_need_no_special_handling(variety: str) -> None:
    assert rules.special_handling(variety) is None


def test_lab_at_the_limit_passes_above_fails_no_limit_reported() -> None:
    # 多菌灵 in 番茄: 3 mg/kg; 吡虫啉 in 番茄: 1 mg/kg (the shipped table)
    v = rules.judge_lab("西红柿", {"多菌灵": "3", "吡虫啉": "0.2"})
    assert v.status == "pass" and v.food == "番茄"
    assert [(x.pesticide, x.status, x.limit) for x in v.lines] == [
        ("多菌灵", "within", Decimal(3)),
        ("吡虫啉", "within", Decimal(1)),
    ]
    v = rules.judge_lab("番茄", {"carbendazim": "3.001"})
    assert v.status == "fail" and v.exceeded[0].pesticide == "多菌灵"
    v = rules.judge_lab("菠菜", {"多菌灵": "9"})  # no 多菌灵 limit for 菠菜 in the table
    assert v.status == "pass" and v.without_limit[0].status == "no_limit"
    assert v.to_json()["lines"][0]["limit_mg_kg"] is None  # type: ignore[index]


def test_lab_bad_input() -> None:
    with pytest.raises(rules.RuleError):
        rules.judge_lab("番茄", {"多菌灵": "-1"})
    with pytest.raises(rules.RuleError):
        rules.judge_lab("番茄", {"多菌灵": "1", "carbendazim": "2"})
    with pytest.raises(UnknownName):
        rules.judge_lab("番茄", {"不存在的农药": "1"})
