"""Numbers said the Chinese way, the pinyin read by espeak-ng, and the WAV it writes."""

from __future__ import annotations

import io
import shutil
import wave
from datetime import date

import pytest

from jiqun.market.voice import speech
from jiqun.market.voice.answer import Answer, Figures
from jiqun.market.voice.query import parse_query

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("n", "said"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (2030, "二千零三十"),
        (12345, "一万二千三百四十五"),
        (20300, "二万零三百"),
        (100010, "十万零一十"),
        (1_000_001, "一百万零一"),
        (100_000_000, "一亿"),
        (100_000_005, "一亿零五"),
    ],
)
def test_integers(n: int, said: str) -> None:
    assert speech.integer_zh(n) == said


@pytest.mark.parametrize(
    ("fen", "said"),
    [
        (356, "三块五毛六"),
        (410, "四块一毛"),
        (320, "三块两毛"),
        (305, "三块零五分"),
        (300, "三块"),
        (200, "两块"),
        (1205, "十二块零五分"),
        (56, "五毛六"),
        (5, "五分"),
        (2, "两分"),
        (0, "零元"),
    ],
)
def test_money(fen: int, said: str) -> None:
    assert speech.money_zh(fen) == said


@pytest.mark.parametrize(
    ("text", "said"),
    [("12.5", "十二点五"), ("3", "三"), ("0.75", "零点七五"), ("1234.6", "一千二百三十四点六")],
)
def test_decimals(text: str, said: str) -> None:
    assert speech.decimal_zh(text) == said


def seed_answer(text: str = "黄瓜 一级 今天") -> Answer:
    return Answer(parse_query(text, TODAY), Figures(10, 12_500_000, 4_450_000, 320, 410))


def test_the_spoken_sentence_has_no_digit_left() -> None:
    assert speech.spoken_zh(seed_answer()) == (
        "今天黄瓜一级均价每公斤三块五毛六，最高四块一毛，最低三块两毛，成交十二点五吨。"
    )
    assert speech.spoken_zh(seed_answer("黄瓜 2025年12月30日")).startswith(
        "二零二五年十二月三十日黄瓜均价"
    )
    assert speech.spoken_zh(seed_answer("黄瓜 11月25日")).startswith("十一月二十五日黄瓜均价")
    none = Answer(parse_query("黄瓜 昨天", TODAY), None)
    assert speech.spoken_zh(none) == "昨天黄瓜没有成交。"
    small = Answer(parse_query("黄瓜", TODAY), Figures(1, 850_400, 255_000, 300, 300))
    assert speech.spoken_zh(small).endswith("成交八百五十公斤。")


def test_pinyin_reads_polyphones_by_phrase() -> None:
    assert speech.pinyin("今天黄瓜一级均价，成交十二点五吨。") == (
        "jin1 tian1 huang2 gua1 yi1 ji2 jun1 jia4 , cheng2 jiao1 shi2 er4 dian3 wu3 dun1 ."
    )
    assert speech.pinyin("银行还行") == "yin2 hang2 hai2 xing2"


def frames_and_seconds(data: bytes) -> tuple[int, float]:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getnframes(), w.getnframes() / w.getframerate()


def test_chinese_wav() -> None:
    data = speech.synthesise(speech.spoken_zh(seed_answer()), "zh")
    frames, seconds = frames_and_seconds(data)
    # 40 syllables at 150 words a minute: about ten seconds, surely between 4 and 30
    assert frames > 0 and 4 < seconds < 30
    short = speech.synthesise("今天", "zh")
    assert frames_and_seconds(short)[1] < seconds / 4  # the length follows the text
    assert speech.wav_seconds(data) == seconds


def test_english_wav() -> None:
    data = speech.synthesise(seed_answer().sentence("en"), "en")
    frames, seconds = frames_and_seconds(data)
    assert frames > 0 and 3 < seconds < 30


def test_missing_espeak_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(speech.SpeechProblem) as caught:
        speech.synthesise("今天", "zh")
    assert "apt-get install espeak-ng" in caught.value.lines("zh")[0]
    assert "Debian package espeak-ng" in caught.value.lines("en")[0]


def test_a_failing_synthesiser_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech, "ESPEAK", "false")  # a program that fails: exit status 1
    with pytest.raises(speech.SpeechProblem) as caught:
        speech.synthesise("今天", "zh")
    assert caught.value.lines("zh")[0] == "语音合成失败（espeak-ng：exit 1）"


def test_check_wav_refuses_what_is_not_sound() -> None:
    with pytest.raises(speech.SpeechProblem) as caught:
        speech.check_wav(b"RIFF....not a wave")
    assert "输出不是WAV文件" in caught.value.lines("zh")[0]
    assert "not a WAV file" in caught.value.lines("en")[0]
    empty = io.BytesIO()
    with wave.open(empty, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
    with pytest.raises(speech.SpeechProblem, match="没有声音"):
        speech.check_wav(empty.getvalue())
