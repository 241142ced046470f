"""``jiqun market voice`` on a market with known sales (see conftest.py for the hand-computed
figures): the sentence, the WAV, English, and the user's mistakes as clear errors."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiqun.cli import main


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIQUN_LANG", "zh")  # restored after the test: --lang en sets it


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def voice(
    market_url: str, question: str, day: str = "2026-11-25", *more: str
) -> tuple[int, str, str]:
    return run("market", "voice", question, "--db", market_url, "--day", day, *more)


def test_the_answer_for_a_known_day(market_url: str) -> None:
    code, out, err = voice(market_url, "黄瓜 一级 今天")
    assert (code, err) == (0, "")
    assert out == "今天黄瓜一级均价每公斤5.37元，最高5.86元，最低4.80元，成交3.5吨。\n"


def test_all_grades_another_grade_and_the_next_day(market_url: str) -> None:
    assert voice(market_url, "黄瓜")[1] == (
        "今天黄瓜均价每公斤5.19元，最高5.86元，最低3.94元，成交4吨。\n"
    )
    assert voice(market_url, "青瓜二等")[1] == (
        "今天青瓜二级均价每公斤3.94元，最高3.94元，最低3.94元，成交500公斤。\n"
    )
    assert voice(market_url, "昨天 黄瓜 一级", "2026-11-26")[1].startswith(
        "昨天黄瓜一级均价每公斤5.37元"
    )
    assert voice(market_url, "黄瓜一级11月25日", "2026-11-26")[1].startswith(
        "11月25日黄瓜一级均价每公斤5.37元"
    )
    assert voice(market_url, "黄瓜 一级", "2026-11-26")[1] == "今天黄瓜一级没有成交。\n"
    # 番茄 had a lot, withdrawn unsold: no trade
    assert voice(market_url, "西红柿 一级")[1] == "今天西红柿一级没有成交。\n"


def test_the_wav(market_url: str, tmp_path: Path) -> None:
    out = tmp_path / "answer.wav"
    code, printed, _ = voice(market_url, "黄瓜 一级 今天", "2026-11-25", "-o", str(out))
    assert code == 0 and printed.startswith("今天黄瓜一级均价")
    with wave.open(str(out)) as w:
        frames, rate = w.getnframes(), w.getframerate()
    assert frames > 0 and 4 < frames / rate < 30


def test_english(market_url: str, tmp_path: Path) -> None:
    out = tmp_path / "answer.wav"
    result = run(
        "--lang", "en", "market", "voice", "黄瓜 一级 今天",
        "--db", market_url, "--day", "2026-11-25", "-o", str(out),
    )  # fmt: skip
    assert result[1] == (
        "Today, grade 1 cucumber: average 5.37 yuan per kg, high 5.86 yuan, low 4.80 yuan, "
        "3.5 tonnes traded.\n"
    )
    with wave.open(str(out)) as w:
        assert w.getnframes() > 0
    code, _, err = run("--lang", "en", "market", "voice", "羊角蜜", "--db", market_url)
    assert code == 2 and err.startswith("not understood: '羊角蜜'")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("羊角蜜 一级 今天", "听不懂“羊角蜜”"),
        ("一级 今天", "没有听到品种"),
        ("黄瓜 明天", "明天还没有到"),
        ("黄瓜 2月30日", "没有“2月30日”这一天"),
    ],
)
def test_mistakes_are_one_clear_line(market_url: str, question: str, message: str) -> None:
    code, out, err = voice(market_url, question)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_missing_database_and_an_unwritable_output(market_url: str, tmp_path: Path) -> None:
    code, _, err = run("market", "voice", "黄瓜", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "none.db" in err and "Traceback" not in err
    bad = tmp_path / "no-such-dir" / "a.wav"
    code, out, err = voice(market_url, "黄瓜", "2026-11-25", "-o", str(bad))
    assert code == 2 and "无法写入语音文件" in err and str(bad) in err
    assert out.startswith("今天黄瓜均价")  # the sentence was answered before


def test_a_bad_day_option(market_url: str) -> None:
    code, _, err = voice(market_url, "黄瓜", "25/11/2026")
    assert code == 2 and "--day" in err


def test_varieties_and_grades_the_administrators_added_are_understood(market_url: str) -> None:
    from jiqun.market.service import catalogue
    from jiqun.market.store import open_store

    assert "听不懂“羊角蜜”" in voice(market_url, "羊角蜜 统货")[2]
    engine = open_store(market_url, create=False)
    try:
        for kind, code in (("variety", "羊角蜜"), ("grade", "统货")):
            entry = {"kind": kind, "code": code, "name": code, "category": "瓜类"}
            catalogue.add(engine, {**entry, "standard_code": "", "net_g": None}, 0)
    finally:
        engine.dispose()
    assert voice(market_url, "羊角蜜 统货") == (0, "今天羊角蜜统货没有成交。\n", "")


def test_on_postgresql(pg_url: str) -> None:
    from tests.market.voice.conftest import build_market

    build_market(pg_url)
    assert voice(pg_url, "黄瓜一级") == (
        0,
        "今天黄瓜一级均价每公斤5.37元，最高5.86元，最低4.80元，成交3.5吨。\n",
        "",
    )
