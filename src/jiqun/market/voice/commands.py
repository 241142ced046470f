"""``jiqun market voice``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from jiqun.cliutil import DB_OPTION, database_errors, user_errors
from jiqun.i18n import current_lang
from jiqun.market.texts import MarketProblem


@click.command("voice")
@click.argument("question")
@DB_OPTION
@click.option(
    "--day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day taken as today (default: today in China Standard Time).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the spoken answer to this WAV file.",
)
@user_errors
def voice(question: str, db: str | None, day: datetime | None, output: Path | None) -> None:
    """Answer a price question such as "黄瓜 一级 今天" (M10): print the sentence and, with -o,
    write it spoken as a WAV (espeak-ng, offline)."""
    from jiqun.market.voice import speech
    from jiqun.market.voice.lookup import ask, spoken, today_cst

    lang = current_lang()
    with database_errors(db):
        result = ask(question, day.date() if day else today_cst(), db)
    click.echo(result.sentence(lang))
    if output is not None:
        wav = speech.synthesise(spoken(result, lang), lang)
        try:
            output.write_bytes(wav)
        except OSError as e:
            raise MarketProblem(
                f"{output}：无法写入语音文件（{e.strerror}）",
                f"{output}: cannot write the WAV file ({e.strerror})",
            ) from None


COMMANDS: list[click.Command] = [voice]
