"""The market's database: URL, durable connections, schema and its migrations.

:func:`migrate` brings a database to the newest schema with Alembic, programmatically (the
migrations ship inside the package; no alembic.ini). :func:`open_store` is what commands use:
it connects and either migrates or, for commands that only read, insists the schema is there.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from jiqun.market.store.db import StoreError, connect, first_line, resolve_url, shown

__all__ = [
    "StoreError",
    "connect",
    "current_revision",
    "head_revision",
    "migrate",
    "open_store",
    "resolve_url",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(target: str | Engine | None = None) -> Engine:
    """``alembic upgrade head`` on the database (a URL, or an engine already connected)."""
    engine = target if isinstance(target, Engine) else connect(target)
    config = _config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except DBAPIError as e:
        reason = first_line(e)
        raise StoreError(
            shown(str(engine.url)), f"无法升级数据库结构（{reason}）", f"cannot migrate ({reason})"
        ) from None
    return engine


def open_store(url: str | None = None, *, create: bool = True) -> Engine:
    """Connect; migrate when ``create``, else fail unless the schema is at the newest revision."""
    if create:
        return migrate(url)
    engine = connect(url, must_exist=True)
    revision = current_revision(engine)
    if revision != head_revision():
        engine.dispose()
        where = shown(str(engine.url))
        if revision is None:
            raise StoreError(
                where,
                "不是交易市场数据库（请先运行 jiqun market migrate）",
                "not a market database (run jiqun market migrate first)",
            )
        raise StoreError(
            where,
            f"数据库结构版本 {revision} 不是最新（请运行 jiqun market migrate）",
            f"schema revision {revision} is not the newest (run jiqun market migrate)",
        )
    return engine
