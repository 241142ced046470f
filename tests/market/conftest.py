"""Databases for the market's persistence tests: a SQLite file per test, and one PostgreSQL
database per test session (``jiqun_test_<pid>``), emptied before each test and dropped at
the end.

PostgreSQL tests are never skipped: if the server cannot be reached they fail, saying so
(``.ci/run`` starts the machine's PostgreSQL when it is down). ``$JIQUN_TEST_PG`` names
another server (a URL of a database to connect to for creating the test database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jiqun.market.store import migrate
from jiqun.market.store.schema import metadata

ADMIN_URL = os.environ.get("JIQUN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'market.db'}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"jiqun_test_{os.getpid()}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as e:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({e.orig}); the PostgreSQL tests "
            "need it: start it (see .ci/run) or set JIQUN_TEST_PG",
            pytrace=False,
        )
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url).dispose()
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's database, emptied: other sessions on it (a test that failed before it
    closed its market) are ended first, so that no lock outlives its test."""
    engine = sa.create_engine(pg_database)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = ", ".join(table.name for table in metadata.sorted_tables)  # features' too
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()
    return pg_database
