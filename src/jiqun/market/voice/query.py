"""Understanding a phone-style price question: "黄瓜 一级 今天" → variety, grade, day.

The words may come in any order, with or without spaces, with aliases ("青瓜 一等 今日"),
filler words ("请问今天黄瓜一级多少钱") and dates ("11月25日", "十一月二十五号",
"2026-11-25", "25号"). A missing grade means all grades, a missing day means today. A date
without a year is the latest such day not after today (a price question is about the past);
a day of the month alone is in this month, or in the last one if that day has not come yet.

Anything not understood is reported, in Chinese and English, with the words not understood;
nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from jiqun.market.texts import MarketProblem
from jiqun.market.voice import words

EXAMPLE_ZH = "请按“品种 等级 日期”说，例如“黄瓜 一级 今天”"
EXAMPLE_EN = "say variety, grade and day, e.g. '黄瓜 一级 今天'"
MAX_LENGTH = 100


class QueryProblem(MarketProblem):
    """A question that cannot be answered as asked."""


@dataclass(frozen=True)
class Query:
    variety: str  # as the caller said it (an alias stays an alias: the answer repeats it)
    grade: str | None  # canonical grade, None for all grades
    day: date
    days_back: int | None  # 0 today, 1 yesterday …; None when a date was named
    today: date  # the day the question was asked

    @property
    def canonical_variety(self) -> str:
        return words.canonical(self.variety)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9})
_CN = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,4}}|[{_CN}]{{1,4}})"
_SEP = r"[-/.]"
# (pattern, has year, has month): tried in this order, each match removed from the text.
_DATES = (
    re.compile(rf"(?P<y>{_NUM})年(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?"),
    re.compile(rf"(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})"),
    re.compile(rf"(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?"),
    re.compile(r"(?<!\d)(?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"(?P<d>{_NUM})[日号]"),
)
_SEPARATORS = re.compile(r"[\s,，。.、;；:：!！?？~～…\"'“”‘’()（）\[\]【】/_|+·-]+")


def _number(text: str) -> int:
    """A number in Arabic digits, Chinese digits read one by one (二〇二六), or Chinese
    numerals up to 99 (十一, 二十五, 三十一)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1:
        raise ValueError(text)
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def _resolve(match: re.Match[str], today: date) -> date:
    """The date a matched expression names (see the module docstring for missing parts)."""
    parts = match.groupdict()
    said = match.group(0)
    try:
        day = _number(parts["d"])
        month = _number(parts["m"]) if parts.get("m") else None
        year = _number(parts["y"]) if parts.get("y") else None
    except (ValueError, KeyError):
        raise _bad_date(said) from None
    try:
        if year is not None and month is not None:
            if year < 100:
                year += 2000
            return date(year, month, day)
        if month is not None:
            found = date(today.year, month, day) if _valid(today.year, month, day) else None
            if found is None or found > today:
                if not _valid(today.year - 1, month, day):
                    raise ValueError(said)
                found = date(today.year - 1, month, day)
            return found
        this_month = date(today.year, today.month, 1)
        if _valid(today.year, today.month, day) and date(today.year, today.month, day) <= today:
            return date(today.year, today.month, day)
        last = this_month - timedelta(days=1)
        return date(last.year, last.month, day)
    except ValueError:
        raise _bad_date(said) from None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _bad_date(said: str) -> QueryProblem:
    return QueryProblem(f"没有“{said}”这一天", f"there is no such day as '{said}'")


def _vocabulary(known: Iterable[str], grades: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Every word understood, mapped to (kind, value)."""
    vocab: dict[str, tuple[str, str]] = {}
    for grade in grades:  # a grade the market uses beyond 特级/一级/二级 (e.g. 统货)
        if grade:
            vocab[grade] = ("grade", words.canonical_grade(grade))
    for filler in words.FILLERS:
        vocab[filler] = ("filler", filler)
    for name in [*words.catalogue_names(), *known]:
        if name:
            vocab[name] = ("variety", name)
    for said, grade in words.GRADES.items():
        vocab[said] = ("grade", grade)
    for said in words.ALL_GRADES:
        vocab[said] = ("all_grades", said)
    for said, back in words.RELATIVE_DAYS.items():
        vocab[said] = ("day", str(back))
    return vocab


def _tokens(
    text: str, vocab: dict[str, tuple[str, str]]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Longest-match tokens (kind, value, as said) and the stretches of text not understood."""
    longest = max(map(len, vocab))
    found: list[tuple[str, str, str]] = []
    unknown: list[str] = []
    for chunk in _SEPARATORS.split(text):
        i, stray = 0, ""
        while i < len(chunk):
            for size in range(min(longest, len(chunk) - i), 0, -1):
                piece = chunk[i : i + size]
                if piece in vocab:
                    if stray:
                        unknown.append(stray)
                        stray = ""
                    kind, value = vocab[piece]
                    found.append((kind, value, piece))
                    i += size
                    break
            else:
                stray += chunk[i]
                i += 1
        if stray:
            unknown.append(stray)
    return found, unknown


def _one(kind_zh: str, kind_en: str, said: list[str]) -> None:
    if len(set(said)) > 1:
        listed = "、".join(dict.fromkeys(said))
        raise QueryProblem(
            f"一次只能问一个{kind_zh}（听到：{listed}）",
            f"ask for one {kind_en} at a time (heard: {', '.join(dict.fromkeys(said))})",
        )


def parse_query(
    text: str, today: date, known: Iterable[str] = (), grades: Iterable[str] = ()
) -> Query:
    """Understand ``text``, asked on ``today``; ``known`` adds the varieties the market trades
    (from its records) to the catalogue's names and aliases, ``grades`` its grades."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise QueryProblem(f"没有听到问题：{EXAMPLE_ZH}", f"no question heard: {EXAMPLE_EN}")
    if len(cleaned) > MAX_LENGTH:
        raise QueryProblem(
            f"问题太长（{len(cleaned)}个字，最多{MAX_LENGTH}个）：{EXAMPLE_ZH}",
            f"the question is too long ({len(cleaned)} characters, at most {MAX_LENGTH}): "
            f"{EXAMPLE_EN}",
        )
    days: list[tuple[date, int | None, str]] = []
    for pattern in _DATES:
        while (match := pattern.search(cleaned)) is not None:
            days.append((_resolve(match, today), None, match.group(0)))
            cleaned = cleaned[: match.start()] + " " + cleaned[match.end() :]
    vocab = _vocabulary(known, grades)
    found, unknown = _tokens(cleaned, vocab)
    if unknown:  # "黄 瓜 一 级": a recogniser's spaces inside words
        joined, still = _tokens(re.sub(r"\s+", "", cleaned), vocab)
        if not still:
            found, unknown = joined, still
    if unknown:
        listed = "、".join(f"“{u}”" for u in unknown)
        raise QueryProblem(
            f"听不懂{listed}：{EXAMPLE_ZH}；品种须是市场经营的蔬菜",
            f"not understood: {', '.join(repr(u) for u in unknown)}; {EXAMPLE_EN}; "
            "the variety must be one the market trades",
        )
    varieties = [said for kind, _, said in found if kind == "variety"]
    _one("品种", "variety", [words.canonical(v) for v in varieties])
    if not varieties:
        raise QueryProblem(f"没有听到品种：{EXAMPLE_ZH}", f"no variety heard: {EXAMPLE_EN}")
    grades = [value for kind, value, _ in found if kind == "grade"]
    _one("等级", "grade", grades)
    for kind, value, said in found:
        if kind == "day":
            days.append((today - timedelta(days=int(value)), int(value), said))
    _one("日期", "day", [d.isoformat() for d, _, _ in days])
    day, days_back, said = days[0] if days else (today, 0, "今天")
    if day > today:
        said_en = {-1: "tomorrow", -2: "the day after tomorrow"}.get(days_back or 0, f"'{said}'")
        raise QueryProblem(
            f"{said}还没有到，没有成交价格：只能查询今天和以前的价格",
            f"{said_en} has not come yet: prices are known for today and earlier days",
        )
    grade = grades[0] if grades else None
    return Query(variety=varieties[0], grade=grade, day=day, days_back=days_back, today=today)
