"""The answer sentence from daily records: aggregation across origins, packages and grades,
the weight-weighted mean rounded half up, volumes, day words, no trade, English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiqun.market.prices.daily import DailyRecord
from jiqun.market.voice.answer import Figures, answer, tonnes, volume_zh
from jiqun.market.voice.query import parse_query

TODAY = date(2026, 11, 26)
YESTERDAY = date(2026, 11, 25)


def record(
    variety: str = "黄瓜",
    grade: str = "一级",
    *,
    day: date = TODAY,
    origin: str = "寿光市",
    package: str = "纸箱",
    trades: int = 1,
    volume_g: int,
    amount_fen: int,
    low: int,
    high: int,
    revision: int = 1,
) -> DailyRecord:
    return DailyRecord(
        day,
        variety,
        grade,
        origin,
        package,
        trades,
        volume_g,
        amount_fen,
        low,
        high,
        Decimal(0),  # the record's own mean is not used: the answer recomputes Σ/Σ
        0,
        revision,
    )


# 黄瓜一级 today over two origins and packages:
#   8,000 kg for 2,848,000 fen (356 fen/kg), prices 320..410;
#   4,500 kg for 1,602,000 fen (356 fen/kg), prices 330..400
# together 12,500 kg, 4,450,000 fen → 356 fen/kg exactly: the seed's sentence.
SEED = [
    record(volume_g=8_000_000, amount_fen=2_848_000, low=320, high=410, trades=7),
    record(
        origin="稻田镇",
        package="塑料筐",
        volume_g=4_500_000,
        amount_fen=1_602_000,
        low=330,
        high=400,
        trades=3,
    ),
    record(grade="二级", volume_g=1_000_000, amount_fen=250_000, low=240, high=260),
    record(variety="番茄", volume_g=2_000_000, amount_fen=900_000, low=440, high=460),
    record(day=YESTERDAY, volume_g=3_000_000, amount_fen=990_000, low=300, high=360),
]


def ask(text: str, records: list[DailyRecord] = SEED, lang: str = "zh") -> str:
    return answer(parse_query(text, TODAY), records).sentence(lang)  # type: ignore[arg-type]


def test_the_seed_sentence() -> None:
    assert (
        ask("黄瓜 一级 今天")
        == "今天黄瓜一级均价每公斤3.56元，最高4.10元，最低3.20元，成交12.5吨。"
    )


def test_all_grades_when_no_grade_is_asked() -> None:
    # 13,500 kg for 4,700,000 fen = 348.148… → 348 fen
    assert ask("黄瓜") == "今天黄瓜均价每公斤3.48元，最高4.10元，最低2.40元，成交13.5吨。"


def test_the_day_word_follows_the_question() -> None:
    # yesterday: 3,000 kg for 990,000 fen = 330 fen
    expected = "均价每公斤3.30元，最高3.60元，最低3.00元，成交3吨。"
    assert ask("黄瓜一级昨天") == "昨天黄瓜一级" + expected
    assert ask("黄瓜一级11月25日") == "11月25日黄瓜一级" + expected
    assert ask("黄瓜一级2026-11-25") == "11月25日黄瓜一级" + expected


def test_an_alias_is_answered_as_said_and_matches_the_market_s_name() -> None:
    assert ask("青瓜 一等").startswith("今天青瓜一级均价每公斤3.56元")
    assert ask("西红柿") == "今天西红柿均价每公斤4.50元，最高4.60元，最低4.40元，成交2吨。"


def test_no_trade() -> None:
    assert ask("黄瓜 特级") == "今天黄瓜特级没有成交。"
    assert ask("黄瓜 前天") == "前天黄瓜没有成交。"
    assert ask("茄子 一级", []) == "今天茄子一级没有成交。"
    withdrawn_only = [record(trades=0, volume_g=0, amount_fen=0, low=0, high=0)]
    assert ask("黄瓜 一级", withdrawn_only) == "今天黄瓜一级没有成交。"


def test_an_earlier_year_is_named() -> None:
    old = [record(day=date(2025, 12, 30), volume_g=600_000, amount_fen=180_000, low=300, high=300)]
    assert ask("黄瓜 12月30日", old) == (
        "2025年12月30日黄瓜均价每公斤3.00元，最高3.00元，最低3.00元，成交600公斤。"
    )


def test_the_mean_is_weight_weighted_and_rounded_half_up() -> None:
    # 2 kg for 1,005 fen = 502.5 fen/kg → 503 (half up); 3 kg for 1,000 fen = 333.33 → 333
    half = [record(volume_g=2_000, amount_fen=1_005, low=500, high=505)]
    assert ask("黄瓜 一级", half).startswith("今天黄瓜一级均价每公斤5.03元")
    third = [record(volume_g=3_000, amount_fen=1_000, low=300, high=350)]
    assert ask("黄瓜 一级", third).startswith("今天黄瓜一级均价每公斤3.33元")
    # weighted by weight, not by record: (100 kg at 2.00, 900 kg at 4.00) → 3.80, not 3.00
    weighted = [
        record(volume_g=100_000, amount_fen=20_000, low=200, high=200),
        record(origin="x", volume_g=900_000, amount_fen=360_000, low=400, high=400),
    ]
    assert ask("黄瓜 一级", weighted).startswith("今天黄瓜一级均价每公斤3.80元")


def test_only_the_newest_revision_counts() -> None:
    first = record(volume_g=1_000_000, amount_fen=300_000, low=300, high=300, revision=1)
    corrected = record(volume_g=2_000_000, amount_fen=700_000, low=340, high=360, revision=2)
    assert ask("黄瓜 一级", [first, corrected]) == (
        "今天黄瓜一级均价每公斤3.50元，最高3.60元，最低3.40元，成交2吨。"
    )


@pytest.mark.parametrize(
    ("grams", "said"),
    [
        (12_500_000, "12.5吨"),
        (12_450_000, "12.5吨"),  # half up
        (12_449_999, "12.4吨"),
        (3_020_000, "3吨"),
        (1_000_000, "1吨"),
        (999_999, "1000公斤"),
        (850_400, "850公斤"),
        (850_500, "851公斤"),
        (500, "1公斤"),
        (499, "499克"),
    ],
)
def test_volume_precision(grams: int, said: str) -> None:
    assert volume_zh(grams) == said


def test_tonnes_and_figures() -> None:
    assert tonnes(1_234_567_890) == "1234.6"
    assert Figures(1, 3_000, 1_000, 300, 350).mean_fen_per_kg == 333


def test_english() -> None:
    assert ask("黄瓜 一级 今天", lang="en") == (
        "Today, grade 1 cucumber: average 3.56 yuan per kg, high 4.10 yuan, low 3.20 yuan, "
        "12.5 tonnes traded."
    )
    assert ask("黄瓜 11月25日", lang="en").startswith("On 25 November, cucumber (all grades):")
    assert ask("黄瓜 特级 昨天", lang="en") == "No premium grade cucumber was traded yesterday."
