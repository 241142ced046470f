"""Web routes of this feature; :func:`jiqun.market.service.app.feature_routes` adds them.

The voice query is the members' service of the seed ("寿光蔬菜语音查询系统" of the vegetable
association, for its members), so it asks for a login, any role; the prices themselves are
public on the price information centre's pages. ``GET /voice`` is the page (a text box, the
answer sentence and a player), ``GET /voice/answer.wav`` the spoken answer, ``GET /api/voice``
the answer as JSON. The question travels in the query string (``?q=``): asking changes
nothing, so it is a GET and needs no CSRF token.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from jiqun.i18n import Lang
from jiqun.market.service.app import (
    Handler,
    lang_of,
    login_redirect,
    page,
    require,
    service_of,
    session_of,
)
from jiqun.market.voice import speech
from jiqun.market.voice.answer import Answer
from jiqun.market.voice.lookup import ask, spoken
from jiqun.market.voice.query import MAX_LENGTH
from jiqun.observatory.errors import UserError

WORDS: dict[str, tuple[str, str]] = {
    "voice_title": ("语音报价查询", "Voice price query"),
    "voice_hint": (
        "输入品种、等级和日期，例如“黄瓜 一级 今天”；不写等级查全部等级，不写日期查今天",
        "Type variety, grade and day, e.g. “黄瓜 一级 今天”; no grade means all grades, "
        "no day means today",
    ),
    "voice_question": ("问题", "Question"),
    "voice_ask": ("查询", "Ask"),
    "voice_download": ("下载语音（WAV）", "Download the spoken answer (WAV)"),
    "voice_no_audio": ("浏览器无法播放音频", "your browser cannot play audio"),
}


def today_of(request: web.Request) -> date:
    """The market's today (China Standard Time) by the server's clock."""
    from jiqun.market.prices.daily import day_of

    return day_of(service_of(request.app).runner.now())


def _lang(request: web.Request) -> Lang:
    return "en" if lang_of(request) == "en" else "zh"


def _question(request: web.Request) -> str:
    return request.query.get("q", "").strip()[: MAX_LENGTH * 2]


async def _answer(request: web.Request, question: str) -> Answer:
    """Answer off the event loop: the records are read (and the journal replayed) from the
    market's database by a connection of their own."""
    engine = service_of(request.app).market.engine
    url = engine.url.render_as_string(hide_password=False)
    today = today_of(request)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, ask, question, today, url)


def _problem(e: UserError, lang: Lang) -> str:
    return "\n".join(e.lines(lang))


def _bad_question(e: UserError, lang: Lang) -> web.Response:
    return web.json_response({"error": "bad_question", "message": _problem(e, lang)}, status=400)


async def voice_page(request: web.Request) -> web.StreamResponse:
    if session_of(request) is None:
        raise login_redirect(request)
    lang = _lang(request)
    question = _question(request)
    context: dict[str, Any] = {"question": question, "sentence": None, "problem": None}
    if question:
        try:
            result = await _answer(request, question)
        except UserError as e:
            context["problem"] = _problem(e, lang)
        else:
            context["sentence"] = result.sentence(lang)
            context["audio"] = "/voice/answer.wav?" + urlencode({"q": question, "lang": lang})
    return page(request, "voice.html", words=WORDS, **context)


async def voice_wav(request: web.Request) -> web.StreamResponse:
    require(request)
    lang = _lang(request)
    question = _question(request)
    if not question:
        return web.json_response({"error": "no_question"}, status=400)
    try:
        result = await _answer(request, question)
        loop = asyncio.get_running_loop()
        wav = await loop.run_in_executor(None, speech.synthesise, spoken(result, lang), lang)
    except speech.SpeechProblem as e:
        return web.json_response(
            {"error": "speech_unavailable", "message": _problem(e, lang)}, status=503
        )
    except UserError as e:
        return _bad_question(e, lang)
    return web.Response(
        body=wav,
        content_type="audio/wav",
        headers={"Content-Disposition": 'inline; filename="answer.wav"'},
    )


async def api_voice(request: web.Request) -> web.StreamResponse:
    require(request)
    lang = _lang(request)
    question = _question(request)
    if not question:
        return web.json_response({"error": "no_question"}, status=400)
    try:
        result = await _answer(request, question)
    except UserError as e:
        return _bad_question(e, lang)
    q, f = result.query, result.figures
    figures = None
    if f is not None:
        figures = {
            "trades": f.trades,
            "volume_g": f.volume_g,
            "amount_fen": f.amount_fen,
            "mean_fen_per_kg": f.mean_fen_per_kg,
            "min_fen_per_kg": f.min_fen_per_kg,
            "max_fen_per_kg": f.max_fen_per_kg,
        }
    return web.json_response(
        {
            "question": question,
            "day": q.day.isoformat(),
            "variety": q.variety,
            "grade": q.grade,
            "sentence": result.sentence(lang),
            "spoken": spoken(result, lang),
            "figures": figures,
        }
    )


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/voice", voice_page),
    ("GET", "/voice/answer.wav", voice_wav),
    ("GET", "/api/voice", api_voice),
]
