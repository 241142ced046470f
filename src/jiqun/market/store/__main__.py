"""Write a new migration during development: ``python -m jiqun.market.store revision MSG``.

Alembic compares ``schema.metadata`` with a database at the newest revision (an in-memory
SQLite by default, ``--db URL`` for another) and writes the difference as the next numbered
revision in ``migrations/versions``, to be read and corrected by hand before it is committed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alembic import command

from jiqun.market.store import _config, head_revision, migrate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiqun.market.store")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate the next revision")
    revision.add_argument("message")
    revision.add_argument("--db", default="sqlite://", help="a database to compare with")
    args = parser.parse_args(argv)
    engine = migrate(args.db)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(
            config,
            message=args.message,
            autogenerate=True,
            rev_id=f"{int(head_revision()) + 1:04d}",
        )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
