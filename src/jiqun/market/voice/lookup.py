"""A question against the market's database: its catalogue (M2: the built-in varieties and
grades and those the administrators added) and its daily records (M9: the varieties and grades
traded in the last year) give the words the parser knows beyond its own table; the records
give the figures of the day asked about."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from jiqun.i18n import Lang
from jiqun.market.texts import CST
from jiqun.market.voice import speech
from jiqun.market.voice.answer import Answer, answer
from jiqun.market.voice.query import parse_query

# The varieties known to the parser beyond the catalogue: those traded in the last year.
LOOKBACK_DAYS = 366


def today_cst() -> date:
    """The market's today: the date in China Standard Time."""
    return datetime.now(CST).date()


def ask(question: str, today: date, db: str | None) -> Answer:
    """Parse ``question`` (asked on ``today``) and answer it from the records in ``db``."""
    from jiqun.market.prices.daily import daily_records

    since = today - timedelta(days=LOOKBACK_DAYS)
    recent = daily_records(db, since, today)
    varieties, grades = market_catalogue(db)
    query = parse_query(
        question,
        today,
        known=varieties | {r.variety for r in recent},
        grades=grades | {r.grade for r in recent},
    )
    records = recent if query.day >= since else daily_records(db, query.day, query.day)
    return answer(query, records)


def market_catalogue(db: str | None) -> tuple[set[str], set[str]]:
    """The market catalogue's variety and grade names."""
    from jiqun.market.service import catalogue
    from jiqun.market.store import open_store

    engine = open_store(db, create=False)
    try:
        found = catalogue.load(engine)
    finally:
        engine.dispose()
    return set(found.varieties), set(found.grades)


def spoken(a: Answer, lang: Lang) -> str:
    """The text the synthesiser reads: Chinese with every number in words, or English."""
    return speech.spoken_zh(a) if lang == "zh" else a.sentence("en")
