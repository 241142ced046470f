"""The market database: which URL, migrations that agree with the schema, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from jiqun.market.store import (
    StoreError,
    current_revision,
    head_revision,
    migrate,
    open_store,
    resolve_url,
)
from jiqun.market.store.schema import metadata


def test_resolve_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JIQUN_DB", raising=False)
    assert resolve_url() == "sqlite:///jiqun-market.db"
    assert resolve_url(str(tmp_path / "m.db")) == f"sqlite:///{tmp_path}/m.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.setenv("JIQUN_DB", "postgresql://env@h/db")
    assert resolve_url() == "postgresql+psycopg://env@h/db"
    assert resolve_url("other.db") == "sqlite:///other.db"  # --db wins over the environment
    with pytest.raises(StoreError, match="不支持"):
        resolve_url("mysql://u:secret@h/db")


def test_errors_are_one_line_without_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://u:secret@127.0.0.1:1/x", create=False)
    [line] = caught.value.lines()
    assert "secret" not in line and "无法连接" in line
    assert "cannot connect" in caught.value.lines("en")[0]


def test_read_only_commands_do_not_create_databases(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="文件不存在"):
        open_store(str(tmp_path / "none.db"), create=False)
    assert not (tmp_path / "none.db").exists()
    sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}").connect().close()
    with pytest.raises(StoreError, match="jiqun market migrate"):
        open_store(str(tmp_path / "other.db"), create=False)


def _schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_sqlite_migrations_agree_with_the_schema(sqlite_url: str) -> None:
    engine = migrate(sqlite_url)
    assert current_revision(engine) == head_revision()
    assert _schema_differences(engine) == []
    migrate(engine)  # again: nothing to do
    engine.dispose()


def test_postgres_migrations_agree_with_the_schema(pg_url: str) -> None:
    engine = migrate(pg_url)
    assert current_revision(engine) == head_revision()
    assert _schema_differences(engine) == []
    engine.dispose()


def test_downgrade_and_upgrade(sqlite_url: str) -> None:
    from alembic import command

    from jiqun.market.store import _config

    engine = migrate(sqlite_url)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert sa.inspect(engine).get_table_names() == ["alembic_version"]
    migrate(engine)
    assert "journal" in sa.inspect(engine).get_table_names()
    engine.dispose()
