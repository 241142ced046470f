"""Alembic's environment: runs on the connection :func:`jiqun.market.store.migrate` passes in.

No alembic.ini is needed at run time. To write a new revision during development::

    .venv/bin/python -m jiqun.market.store revision "what changes"  # see store/__main__.py
"""

from __future__ import annotations

from alembic import context

from jiqun.market.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
