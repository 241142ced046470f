"""Which database, and connecting to it so that a commit is durable (PRODUCT.md M6, M12).

One URL names the database: ``--db URL``, else ``$JIQUN_DB``, else the SQLite file
``jiqun-market.db`` here. A plain path is a SQLite file; ``postgresql://…`` is PostgreSQL
through psycopg 3. Nothing else is accepted: the schema and the tests cover these two.

SQLite runs in WAL mode with ``synchronous=FULL`` (a commit survives power loss, not only a
crash of the process) and foreign keys on. Python's sqlite3 would open transactions lazily and
as DEFERRED, so a writer could read a balance and then fail to upgrade its lock; here every
transaction starts with ``BEGIN IMMEDIATE`` (the write lock up front: writers queue, readers
go on), except reads that ask for ``begin="DEFERRED"``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from jiqun.i18n import current_lang
from jiqun.observatory.errors import UserError

DEFAULT_PATH = "jiqun-market.db"
ENV = "JIQUN_DB"
BUSY_TIMEOUT_MS = 30_000


class StoreError(UserError):
    """The database cannot be used (bad URL, unreachable, not set up): one clear line."""

    def __init__(self, url: str, zh: str, en: str) -> None:
        self.url, self.zh, self.en = url, zh, en
        super().__init__(self.lines()[0])

    def lines(self, lang: Any = None) -> list[str]:
        if (lang or current_lang()) == "zh":
            return [f"数据库 {self.url}：{self.zh}"]
        return [f"database {self.url}: {self.en}"]


def resolve_url(url: str | None = None) -> str:
    """The SQLAlchemy URL of ``url`` (or ``$JIQUN_DB``, or the default SQLite file)."""
    text = (url or os.environ.get(ENV) or DEFAULT_PATH).strip()
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser()}"
    scheme, rest = text.split("://", 1)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return text
    raise StoreError(
        shown(text),
        "不支持的数据库类型，请使用 SQLite 文件路径或 postgresql://…",
        "unsupported database: use a SQLite file path or postgresql://…",
    )


def shown(url: str) -> str:
    """The URL as it may appear in a message: without its password."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL and in-memory SQLite)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def is_postgres(conn_or_engine: Connection | Engine) -> bool:
    return conn_or_engine.dialect.name == "postgresql"


def connect(url: str | None = None, *, must_exist: bool = False) -> Engine:
    """An engine for the database, checked by connecting once.

    ``must_exist``: a SQLite file that is not there is an error instead of a new empty file
    (commands that only read, such as ``reconcile``, must not create databases).
    """
    resolved = resolve_url(url)
    try:
        path = sqlite_path(resolved)
    except ArgumentError:
        raise StoreError(shown(resolved), "URL 格式不正确", "malformed URL") from None
    if path is not None and must_exist and not path.exists():
        raise StoreError(shown(resolved), "文件不存在", "the file does not exist")
    try:
        # PostgreSQL: a pooled connection may have died with a server restart; test it when
        # it is taken (one round trip) rather than fail the next sale.
        engine = sa.create_engine(resolved, pool_pre_ping=path is None)
    except (ArgumentError, NoSuchModuleError) as e:
        raise StoreError(shown(resolved), f"URL 无效（{e}）", f"invalid URL ({e})") from None
    if engine.dialect.name == "sqlite":
        _sqlite_durability(engine)
    try:
        with engine.connect():
            pass
    except DBAPIError as e:
        engine.dispose()
        reason = first_line(e)
        raise StoreError(
            shown(resolved), f"无法连接（{reason}）", f"cannot connect ({reason})"
        ) from None
    return engine


def first_line(error: BaseException) -> str:
    """The driver's own first line of an error, without SQLAlchemy's statement dump."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _sqlite_durability(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def read_only(conn: Connection) -> Connection:
    """A connection whose transactions only read: DEFERRED on SQLite (no write lock), and a
    consistent snapshot on PostgreSQL (REPEATABLE READ), so that a reconciliation adds up."""
    if is_postgres(conn):
        return conn.execution_options(isolation_level="REPEATABLE READ")
    return conn.execution_options(begin="DEFERRED")
