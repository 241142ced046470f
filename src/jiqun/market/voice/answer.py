"""The answer to a price question, from the price information centre's daily records (M9).

The day's records of the variety (and grade, when one is asked) are added up across origins,
packages (and grades): volume and amount summed, the lowest of the minima and the highest of
the maxima; the mean is the weight-weighted unit value Σ amount_fen / Σ kg, rounded half up
to the fen (:func:`jiqun.market.core.money.div_half_up` on integers, no float). Only the
newest revision of a record counts (a correction replaces, never adds to, the first figures).

The sentence is the seed's: "今天黄瓜一级均价每公斤3.56元，最高4.10元，最低3.20元，成交12.5吨。"
Volume is said in 吨 from one tonne up, with one decimal rounded half up and a trailing ".0"
dropped ("12.5吨", "3吨"); under a tonne in whole 公斤, half up ("850公斤"); under half a
kilogram in 克.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from jiqun.i18n import Lang
from jiqun.market.core.money import div_half_up, yuan
from jiqun.market.voice import words
from jiqun.market.voice.query import Query

G_PER_TONNE = 1_000_000


class DailyRecordLike(Protocol):
    """What the answer reads of a :class:`jiqun.market.prices.daily.DailyRecord`."""

    @property
    def day(self) -> date: ...
    @property
    def variety(self) -> str: ...
    @property
    def grade(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def package(self) -> str: ...
    @property
    def trades(self) -> int: ...
    @property
    def volume_g(self) -> int: ...
    @property
    def amount_fen(self) -> int: ...
    @property
    def min_fen_per_kg(self) -> int: ...
    @property
    def max_fen_per_kg(self) -> int: ...
    @property
    def revision(self) -> int: ...


@dataclass(frozen=True)
class Figures:
    """The day's trades of one variety (and grade), added up."""

    trades: int
    volume_g: int
    amount_fen: int
    min_fen_per_kg: int
    max_fen_per_kg: int

    @property
    def mean_fen_per_kg(self) -> int:
        """Σ amount_fen / Σ kg = Σ amount_fen · 1000 / Σ g, half up to the fen."""
        return div_half_up(self.amount_fen * 1000, self.volume_g)


@dataclass(frozen=True)
class Answer:
    query: Query
    figures: Figures | None  # None: no trade that day

    def sentence(self, lang: Lang = "zh") -> str:
        return sentence_zh(self) if lang == "zh" else sentence_en(self)


def newest(records: Iterable[DailyRecordLike]) -> list[DailyRecordLike]:
    """Each record's newest revision only."""
    best: dict[tuple[date, str, str, str, str], DailyRecordLike] = {}
    for r in records:
        key = (r.day, r.variety, r.grade, r.origin, r.package)
        if key not in best or r.revision > best[key].revision:
            best[key] = r
    return list(best.values())


def answer(query: Query, records: Iterable[DailyRecordLike]) -> Answer:
    """The answer to ``query`` from daily records (of any days; the query's day is picked)."""
    wanted = query.canonical_variety
    chosen = [
        r
        for r in newest(records)
        if r.day == query.day
        and words.canonical(r.variety) == wanted
        and (query.grade is None or words.canonical_grade(r.grade) == query.grade)
        and r.trades > 0
        and r.volume_g > 0
    ]
    if not chosen:
        return Answer(query, None)
    figures = Figures(
        trades=sum(r.trades for r in chosen),
        volume_g=sum(r.volume_g for r in chosen),
        amount_fen=sum(r.amount_fen for r in chosen),
        min_fen_per_kg=min(r.min_fen_per_kg for r in chosen),
        max_fen_per_kg=max(r.max_fen_per_kg for r in chosen),
    )
    return Answer(query, figures)


def volume_zh(grams: int) -> str:
    if grams >= G_PER_TONNE:
        return f"{tonnes(grams)}吨"
    if grams >= 500:
        return f"{div_half_up(grams, 1000)}公斤"
    return f"{grams}克"


def volume_en(grams: int) -> str:
    if grams >= G_PER_TONNE:
        return f"{tonnes(grams)} tonnes"
    if grams >= 500:
        return f"{div_half_up(grams, 1000)} kg"
    return f"{grams} g"


def tonnes(grams: int) -> str:
    """Tonnes with one decimal, half up, ".0" dropped: 12_450_000 → "12.5", 3_020_000 → "3"."""
    tenths = div_half_up(grams, G_PER_TONNE // 10)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


def day_zh(query: Query) -> str:
    if query.days_back is not None:
        return words.DAY_WORDS[query.days_back]
    day = query.day
    return (f"{day.year}年" if day.year != query.today.year else "") + f"{day.month}月{day.day}日"


def day_en(query: Query) -> str:
    if query.days_back is not None:
        return words.DAY_ENGLISH[query.days_back]
    day = query.day
    year = f" {day.year}" if day.year != query.today.year else ""
    return f"on {day.day} {_MONTHS[day.month - 1]}{year}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def subject_zh(query: Query) -> str:
    return query.variety + (query.grade or "")


def subject_en(query: Query) -> str:
    name = words.english_variety(query.canonical_variety)
    if query.grade is None:
        return f"{name} (all grades)"
    return f"{words.GRADE_ENGLISH.get(query.grade, query.grade)} {name}"


def sentence_zh(a: Answer) -> str:
    q, f = a.query, a.figures
    if f is None:
        return f"{day_zh(q)}{subject_zh(q)}没有成交。"
    return (
        f"{day_zh(q)}{subject_zh(q)}均价每公斤{yuan(f.mean_fen_per_kg)}元，"
        f"最高{yuan(f.max_fen_per_kg)}元，最低{yuan(f.min_fen_per_kg)}元，"
        f"成交{volume_zh(f.volume_g)}。"
    )


def sentence_en(a: Answer) -> str:
    q, f = a.query, a.figures
    when = day_en(q)
    if f is None:
        return f"No {subject_en(q)} was traded {when}."
    return (
        f"{when[0].upper()}{when[1:]}, {subject_en(q)}: average {yuan(f.mean_fen_per_kg)} yuan "
        f"per kg, high {yuan(f.max_fen_per_kg)} yuan, low {yuan(f.min_fen_per_kg)} yuan, "
        f"{volume_en(f.volume_g)} traded."
    )
