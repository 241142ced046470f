"""Alembic migrations of the market's database, run by :func:`jiqun.market.store.migrate`."""
