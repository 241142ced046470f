"""Helpers every ``jiqun`` command module shares: user errors, the database option, output.

Command groups live beside the code they drive (``jiqun.market.sealed.commands`` …) and import
these, so :mod:`jiqun.cli` only assembles them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from jiqun.observatory.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(command: F) -> F:
    """Report a :class:`UserError` as its lines on stderr and exit 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UserError as e:
            for line in e.lines():
                click.echo(line, err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


DB_OPTION = click.option(
    "--db",
    "db",
    envvar="JIQUN_DB",
    help="Database URL or SQLite file (default: $JIQUN_DB, else jiqun-market.db here).",
)


@contextmanager
def database_errors(db: str | None) -> Iterator[None]:
    """A database that fails mid-command is one clear line too, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    from jiqun.market.store.db import StoreError, first_line, resolve_url, shown

    try:
        yield
    except DBAPIError as e:
        reason = first_line(e)
        where = shown(resolve_url(db))
        raise StoreError(where, f"数据库错误（{reason}）", f"database error ({reason})") from None


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` (UTF-8)."""
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def as_json(data: object) -> str:
    """Pretty JSON with Chinese kept readable, one trailing newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
