"""The question parser: word order, missing spaces, aliases, grades, days, dates, mistakes."""

from __future__ import annotations

from datetime import date

import pytest

from jiqun.market.voice.query import Query, QueryProblem, parse_query

TODAY = date(2026, 11, 26)


def parsed(text: str, **kw: object) -> tuple[str, str | None, date, int | None]:
    q = parse_query(text, TODAY, **kw)  # type: ignore[arg-type]
    return (q.variety, q.grade, q.day, q.days_back)


@pytest.mark.parametrize(
    "text",
    [
        "黄瓜 一级 今天",
        "黄瓜一级今天",
        "今天 黄瓜 一级",
        "一级今天黄瓜",
        "今日，黄瓜 1级",
        "黄瓜　一等　今天",  # ideographic spaces
        "请问今天黄瓜一级多少钱？",
        "黄瓜 一级品 今儿个",
        " 黄瓜 一级 ",
        "黄 瓜 一 级 今 天",  # a recogniser's spaces inside words
        "黄瓜-一级-今天",
        "今天黄瓜一级的均价是多少",
        "现在黄瓜一级每斤多少钱",
    ],
)
def test_order_spaces_fillers_and_grade_aliases(text: str) -> None:
    assert parsed(text) == ("黄瓜", "一级", TODAY, 0)


@pytest.mark.parametrize(
    ("text", "variety", "canonical"),
    [
        ("青瓜 一级", "青瓜", "黄瓜"),
        ("西红柿 一级", "西红柿", "番茄"),
        ("番茄 一级", "番茄", "番茄"),
        ("土豆 一级", "土豆", "马铃薯"),
        ("洋芋一级", "洋芋", "马铃薯"),
        ("包菜 一级", "包菜", "甘蓝"),
        ("大白菜一级", "大白菜", "大白菜"),  # longest match: not 白菜 + stray 大
    ],
)
def test_variety_aliases(text: str, variety: str, canonical: str) -> None:
    q = parse_query(text, TODAY)
    assert (q.variety, q.canonical_variety, q.grade) == (variety, canonical, "一级")


@pytest.mark.parametrize(
    ("text", "grade"),
    [("黄瓜 特级", "特级"), ("黄瓜 特等", "特级"), ("黄瓜二等", "二级"), ("黄瓜 2级", "二级")],
)
def test_grades(text: str, grade: str) -> None:
    assert parsed(text)[1] == grade


def test_missing_grade_means_all_grades_and_missing_day_means_today() -> None:
    assert parsed("黄瓜") == ("黄瓜", None, TODAY, 0)
    assert parsed("黄瓜 全部等级 昨天") == ("黄瓜", None, date(2026, 11, 25), 1)


@pytest.mark.parametrize(
    ("text", "day", "back"),
    [
        ("黄瓜 昨天", date(2026, 11, 25), 1),
        ("黄瓜 昨日", date(2026, 11, 25), 1),
        ("黄瓜 前天", date(2026, 11, 24), 2),
        ("黄瓜 大前天", date(2026, 11, 23), 3),
        ("黄瓜 11月25日", date(2026, 11, 25), None),
        ("黄瓜11月25号", date(2026, 11, 25), None),
        ("黄瓜 十一月二十五日", date(2026, 11, 25), None),
        ("黄瓜 2026-11-25", date(2026, 11, 25), None),
        ("黄瓜 2026/11/5", date(2026, 11, 5), None),
        ("黄瓜 2026年11月25日", date(2026, 11, 25), None),
        ("黄瓜 二〇二五年十一月二十六日", date(2025, 11, 26), None),
        ("黄瓜 11/25", date(2026, 11, 25), None),
        ("黄瓜 25号", date(2026, 11, 25), None),
        ("黄瓜 26日", date(2026, 11, 26), None),
        # no year: the latest such day not after today; a day of the month not yet come
        # this month is last month's
        ("黄瓜 12月30日", date(2025, 12, 30), None),
        ("黄瓜 28号", date(2026, 10, 28), None),
        ("黄瓜 11月26日 今天", date(2026, 11, 26), None),  # the same day twice is fine
    ],
)
def test_days_and_dates(text: str, day: date, back: int | None) -> None:
    _, _, got, got_back = parsed(text)
    assert (got, got_back) == (day, back)


def test_the_market_s_own_varieties_and_grades_are_known() -> None:
    with pytest.raises(QueryProblem):
        parse_query("羊角蜜 一级", TODAY)
    q = parse_query("羊角蜜统货", TODAY, known={"羊角蜜"}, grades={"统货", "一级"})
    assert (q.variety, q.grade) == ("羊角蜜", "统货")


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("羊角蜜 一级 今天", "听不懂“羊角蜜”", "not understood: '羊角蜜'"),
        ("黄瓜 一级 今天 abc", "听不懂“abc”", "not understood: 'abc'"),
        ("黄瓜子一级", "听不懂“子”", "not understood: '子'"),
        ("", "没有听到问题", "no question heard"),
        ("   ", "没有听到问题", "no question heard"),
        ("一级 今天", "没有听到品种", "no variety heard"),
        ("黄瓜 番茄 一级", "一次只能问一个品种（听到：黄瓜、番茄）", "one variety at a time"),
        ("黄瓜 一级 二级", "一次只能问一个等级（听到：一级、二级）", "one grade at a time"),
        ("黄瓜 今天 昨天", "一次只能问一个日期", "one day at a time"),
        ("黄瓜 明天", "明天还没有到", "tomorrow has not come yet"),
        ("黄瓜 2026-12-01", "还没有到", "'2026-12-01' has not come yet"),
        ("黄瓜 2月30日", "没有“2月30日”这一天", "no such day as '2月30日'"),
        ("黄瓜 2026-13-01", "没有“2026-13-01”这一天", "no such day"),
        ("黄瓜" * 60, "问题太长", "too long"),
    ],
)
def test_mistakes_are_clear_in_both_languages(text: str, zh: str, en: str) -> None:
    with pytest.raises(QueryProblem) as caught:
        parse_query(text, TODAY)
    assert zh in caught.value.lines("zh")[0]
    assert en in caught.value.lines("en")[0]


def test_query_keeps_the_day_asked_on() -> None:
    q = parse_query("黄瓜 昨天", TODAY)
    assert q == Query("黄瓜", None, date(2026, 11, 25), 1, TODAY)
