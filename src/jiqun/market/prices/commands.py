"""``jiqun market prices`` and ``jiqun market index``."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click

from jiqun.cliutil import DB_OPTION, as_json, database_errors, emit, user_errors
from jiqun.i18n import current_lang
from jiqun.market.texts import MarketProblem


def parse_day(text: str, option: str) -> date:
    """An ISO date given to ``option``, or a clear error."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise MarketProblem(
            f"{option}：无法识别的日期“{text}”（应为 2026-11-27 这样的格式）",
            f"{option}: unrecognised date '{text}' (use 2026-11-27)",
        ) from None


def _format(fmt: str | None, output: Path | None, default: str) -> str:
    if fmt:
        return fmt
    if output is not None and output.suffix.lower() in (".csv", ".json"):
        return output.suffix.lower()[1:]
    return default


@click.command()
@click.argument("records", type=click.Path(path_type=Path))
@click.option("--base-from", required=True, help="First day of the base period (2026-01-01).")
@click.option("--base-to", required=True, help="Last day of the base period (inclusive).")
@click.option(
    "--period",
    type=click.Choice(["day", "week", "month"]),
    default="day",
    show_default=True,
    help="Daily, ISO-weekly or monthly readings.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default=None,
    help="json (default) or csv (with 定基, 环比, 同比); default from -o's suffix.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here.")
@user_errors
def index(
    records: Path,
    base_from: str,
    base_to: str,
    period: str,
    fmt: str | None,
    output: Path | None,
) -> None:
    """The fixed-base price index (base period = 100) of RECORDS.csv.

    RECORDS has the columns date, variety, category, grade, volume_g, amount_fen; the
    definition is in docs/guide/price-index.md."""
    from jiqun.market.prices.index import compute_index
    from jiqun.market.prices.indexout import index_csv, index_json
    from jiqun.market.prices.records import read_records

    start, end = parse_day(base_from, "--base-from"), parse_day(base_to, "--base-to")
    rows = read_records(records)
    result = compute_index(rows, start, end, period)  # type: ignore[arg-type]
    if _format(fmt, output, "json") == "csv":
        emit(index_csv(result), output)
    else:
        emit(as_json(index_json(result)), output)


@click.command()
@DB_OPTION
@click.option("--from", "from_", required=True, help="First day (2026-11-27, China time).")
@click.option("--to", "to", required=True, help="Last day (inclusive).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="csv (default) or json; default from -o's suffix.",
)
@click.option(
    "--no-publish",
    is_flag=True,
    help="Only compute: store no revision (unpublished records show revision 0).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here.")
@user_errors
def prices(
    db: str | None,
    from_: str,
    to: str,
    fmt: str | None,
    no_publish: bool,
    output: Path | None,
) -> None:
    """Daily price records per variety × grade × origin × package, from the ledger.

    The days are published: a day's records are stored as revision 1, and again as a new
    revision whenever they changed (a corrected sale); earlier revisions are kept."""
    from jiqun.market.prices.daily import computed_records, variety_categories
    from jiqun.market.prices.dailyout import records_csv, records_json
    from jiqun.market.prices.publish import publish, with_revisions
    from jiqun.market.store import open_store
    from jiqun.market.store.db import read_only

    start, end = parse_day(from_, "--from"), parse_day(to, "--to")
    if end < start:
        raise MarketProblem("--to 不能早于 --from", "--to must not be earlier than --from")
    with database_errors(db):
        engine = open_store(db, create=False)
        try:
            published = None if no_publish else publish(engine, start, end)
            with engine.connect() as conn:
                read_only(conn)
                with conn.begin():
                    if published is None:
                        records = with_revisions(conn, computed_records(conn, start, end))
                    else:
                        records = published
                    categories = variety_categories(conn)
        finally:
            engine.dispose()
    if _format(fmt, output, "csv") == "json":
        emit(as_json(records_json(records, categories)), output)
    else:
        emit(records_csv(records, categories), output)
    if output is not None:
        n = len(records)
        zh = current_lang() == "zh"
        click.echo(f"{output}：{n} 条记录" if zh else f"{output}: {n} records", err=True)


COMMANDS: list[click.Command] = [prices, index]
