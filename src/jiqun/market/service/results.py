"""The board's last results after a restart, recovered from the journal (PRODUCT.md M5, M6).

A hall's last results (sales and lapsed lots, newest first) are outputs of the engine, not
state: a snapshot does not hold them. They are found again by replaying the journal on a
scratch copy of the engines, from the newest snapshot that leaves enough of the journal after
it for every hall to have its ``keep`` results (an older snapshot, at worst the journal's
start, when a hall was quiet since). The messages are those the live server sent
(:func:`~jiqun.market.service.protocol.event_message`), so a board that reconnects to a
restarted server shows the same list. Run it on the writer thread (it reads the database the
market writes).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import sqlalchemy as sa

from jiqun.market.codec import decode, market_from
from jiqun.market.core.engine import Accounts, HallEngine, HallState
from jiqun.market.core.events import Sale, Withdrawn
from jiqun.market.journal import ALL_HALLS, DurableMarket
from jiqun.market.service import protocol
from jiqun.market.store import schema as t


def recent_results(market: DurableMarket, keep: int) -> dict[str, list[dict[str, Any]]]:
    """Each hall's last ``keep`` results as the live server announced them, newest first."""
    with market.engine.connect() as conn:
        snapshots = [
            int(seq)
            for (seq,) in conn.execute(
                sa.select(t.snapshots.c.seq)
                .where(t.snapshots.c.hall == ALL_HALLS, t.snapshots.c.seq <= market.seq)
                .order_by(t.snapshots.c.seq.desc())
            )
        ]
        for start in [*snapshots, 0]:
            found = _replay_from(conn, market, start, keep)
            if start == 0 or all(len(r) >= keep for r in found.values()):
                return {hall: list(r) for hall, r in found.items()}
    return {}  # pragma: no cover - the loop always returns at start 0


def _replay_from(
    conn: sa.Connection, market: DurableMarket, start: int, keep: int
) -> dict[str, deque[dict[str, Any]]]:
    halls: dict[str, HallState] = {}
    accounts = Accounts()
    if start:
        row = conn.execute(
            sa.select(t.snapshots.c.state).where(
                t.snapshots.c.hall == ALL_HALLS, t.snapshots.c.seq == start
            )
        ).first()
        if row is not None:
            state = json.loads(row.state) if isinstance(row.state, str) else row.state
            halls, accounts = market_from(state)
    engines = {
        hall: HallEngine(c.clock, c.market, state=halls.get(hall) or HallState(accounts=accounts))
        for hall, c in market.configs.items()
    }
    results: dict[str, deque[dict[str, Any]]] = {h: deque(maxlen=keep) for h in engines}
    j = t.journal
    rows = conn.execute(
        sa.select(j.c.hall, j.c.kind, j.c.at_ms, j.c.payload)
        .where(j.c.seq > start, j.c.seq <= market.seq)
        .order_by(j.c.seq)
    )
    for hall, kind, at_ms, payload in rows:
        engine = engines.get(hall)
        if engine is None:
            continue
        data = json.loads(payload) if isinstance(payload, str) else payload
        for out in engine.apply(decode(kind, at_ms, data)):
            if isinstance(out, Sale | Withdrawn):
                results[hall].appendleft(protocol.event_message(hall, out))
    return results
