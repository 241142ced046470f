"""The spoken answer: numbers said the Chinese way, then a WAV from espeak-ng, offline.

A synthesiser reading "3.56元" digit by digit, or in English, is no answer on the phone, so
the sentence is first written out as it is said: money the way a market says it (3.56元 →
三块五毛六, 4.10元 → 四块一毛, 3.05元 → 三块零五分), volumes as decimals (12.5吨 →
十二点五吨), dates in words (11月25日 → 十一月二十五日). pypinyin then turns the characters
into tone-numbered pinyin (with its phrase table, so polyphones such as 行 and 还 are read
right), and Debian's espeak-ng reads that with its Mandarin pinyin voice
(``cmn-latn-pinyin``): its ``cmn`` voice, given characters, spells their pinyin with English
digit names on Debian's build. English answers are read by espeak-ng's ``en`` voice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from jiqun.i18n import Lang
from jiqun.market.core.money import div_half_up
from jiqun.market.texts import MarketProblem
from jiqun.market.voice import answer as answers
from jiqun.market.voice import words

ESPEAK = "espeak-ng"
VOICES: dict[Lang, str] = {"zh": "cmn-latn-pinyin", "en": "en"}
SPEED_WPM = 150  # espeak-ng's default 175 is fast for prices heard once on a phone
TIMEOUT_S = 30

_DIGITS = "零一二三四五六七八九"
_UNITS = ("", "十", "百", "千")
_GROUPS = ("", "万", "亿", "万亿")


class SpeechProblem(MarketProblem):
    """The speech synthesiser is missing or failed."""


def integer_zh(n: int) -> str:
    """An integer read out: 0 → 零, 12 → 十二, 105 → 一百零五, 110 → 一百一十,
    20_300 → 二万零三百, 1_000_001 → 一百万零一."""
    if n < 0:
        return "负" + integer_zh(-n)
    if n == 0:
        return "零"
    groups: list[int] = []
    while n:
        n, group = divmod(n, 10_000)
        groups.append(group)
    out = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(out)
            continue
        if out and (zero_pending or group < 1000):
            out += "零"
        out += _group_zh(group) + _GROUPS[index]
        zero_pending = False
    if out.startswith("一十"):  # 10–19 are said 十, 十一 … at the head of a number
        out = out[1:]
    return out


def _group_zh(group: int) -> str:
    """1..9999 without leading 零: 1005 → 一千零五, 110 → 一百一十."""
    digits = f"{group:04d}".lstrip("0")
    out = ""
    zero = False
    for i, ch in enumerate(digits):
        d = int(ch)
        place = len(digits) - 1 - i
        if d == 0:
            zero = True
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _UNITS[place]
    return out


def _count_zh(n: int) -> str:
    """A count before a measure word: 2 is 两 (两块, 两毛), otherwise as :func:`integer_zh`."""
    return "两" if n == 2 else integer_zh(n)


def money_zh(fen: int) -> str:
    """Fen as a market says it: 356 → 三块五毛六, 410 → 四块一毛, 305 → 三块零五分,
    300 → 三块, 56 → 五毛六, 5 → 五分, 200 → 两块."""
    if fen < 0:
        return "负" + money_zh(-fen)
    if fen == 0:
        return "零元"
    whole, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    out = f"{_count_zh(whole)}块" if whole else ""
    if jiao:
        out += f"{_count_zh(jiao)}毛"
        if cents:
            out += _DIGITS[cents]  # 五毛六: the 分 is not said after 毛
    elif cents:
        out += ("零" if whole else "") + f"{_count_zh(cents)}分"
    return out


def decimal_zh(text: str) -> str:
    """A decimal written in digits, read out: "12.5" → 十二点五, "0.75" → 零点七五."""
    whole, _, fraction = text.partition(".")
    out = integer_zh(int(whole))
    if fraction:
        out += "点" + "".join(_DIGITS[int(ch)] for ch in fraction)
    return out


def volume_spoken_zh(grams: int) -> str:
    if grams >= answers.G_PER_TONNE:
        return decimal_zh(answers.tonnes(grams)) + "吨"
    if grams >= 500:
        return integer_zh(div_half_up(grams, 1000)) + "公斤"
    return integer_zh(grams) + "克"


def day_spoken_zh(a: answers.Answer) -> str:
    q = a.query
    if q.days_back is not None:
        return words.DAY_WORDS[q.days_back]
    year = ""
    if q.day.year != q.today.year:
        year = "".join(_DIGITS[int(ch)] for ch in str(q.day.year)) + "年"
    return f"{year}{integer_zh(q.day.month)}月{integer_zh(q.day.day)}日"


def spoken_zh(a: answers.Answer) -> str:
    """The answer as it is said, every number in words."""
    q, f = a.query, a.figures
    head = day_spoken_zh(a) + answers.subject_zh(q)
    if f is None:
        text = f"{head}没有成交。"
    else:
        text = (
            f"{head}均价每公斤{money_zh(f.mean_fen_per_kg)}，最高{money_zh(f.max_fen_per_kg)}，"
            f"最低{money_zh(f.min_fen_per_kg)}，成交{volume_spoken_zh(f.volume_g)}。"
        )
    # A variety the market names with digits keeps no digit for the synthesiser to spell.
    return re.sub(r"\d+", lambda m: integer_zh(int(m.group(0))), text)


_PAUSES = {"，": ",", "。": ".", "、": ",", "；": ",", "：": ",", "！": ".", "？": "?"}


def pinyin(text: str) -> str:
    """Tone-numbered pinyin for espeak-ng's pinyin voice: "今天，" → "jin1 tian1 ,"."""
    try:  # imported here: the web app and the CLI load without it, only speech needs it
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        raise SpeechProblem(
            "缺少 Python 软件包 pypinyin（pip install pypinyin）",
            "the Python package pypinyin is missing (pip install pypinyin)",
        ) from None
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
    out = [_PAUSES.get(s.strip(), s.strip()) for s in syllables]
    return " ".join(s for s in out if s)


def synthesise(text: str, lang: Lang = "zh") -> bytes:
    """A WAV of ``text`` (Chinese: already in words, see :func:`spoken_zh`)."""
    program = shutil.which(ESPEAK)
    if program is None:
        raise SpeechProblem(
            "找不到语音合成程序 espeak-ng：请安装 Debian 软件包 espeak-ng"
            "（apt-get install espeak-ng）",
            "the speech synthesiser espeak-ng is not installed: install the Debian package "
            "espeak-ng (apt-get install espeak-ng)",
        )
    spoken = pinyin(text) if lang == "zh" else text
    with tempfile.TemporaryDirectory(prefix="jiqun-voice-") as tmp:
        out = Path(tmp) / "answer.wav"
        command = [program, "-v", VOICES[lang], "-s", str(SPEED_WPM), "-w", str(out)]
        try:
            done = subprocess.run(
                command,
                input=spoken.encode("utf-8"),
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise _failed(f"{TIMEOUT_S}秒内没有结果", f"no result within {TIMEOUT_S} s") from None
        if done.returncode != 0 or not out.exists():
            detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            raise _failed(detail, detail)
        data = out.read_bytes()
    check_wav(data)
    return data


def _failed(zh: str, en: str) -> SpeechProblem:
    return SpeechProblem(f"语音合成失败（espeak-ng：{zh}）", f"speech synthesis failed: {en}")


def wav_seconds(data: bytes) -> float:
    """The duration of a WAV, read with the standard library's :mod:`wave`."""
    import io

    with wave.open(io.BytesIO(data)) as w:
        frames: int = w.getnframes()
        rate: int = w.getframerate()
    return frames / rate


def check_wav(data: bytes) -> None:
    """A WAV with sound in it, or :class:`SpeechProblem`."""
    try:
        seconds = wav_seconds(data)
    except (wave.Error, EOFError) as e:
        raise _failed(f"输出不是WAV文件（{e}）", f"the output is not a WAV file ({e})") from None
    if seconds <= 0:
        raise _failed("输出的WAV文件没有声音", "the WAV file has no sound")
