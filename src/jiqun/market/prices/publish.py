"""Publishing daily price records as revisions (PRODUCT.md M9: corrections are published as
new revisions, never silent edits).

A trading day is published as a whole: its records (:mod:`jiqun.market.prices.daily`) are
stored under revision 1 the first time; publishing the day again stores nothing when the
records are the same, and a new revision (2, 3, …) when they differ — a sale reversed in the
ledger, a late correction. Earlier revisions stay in the table as they were.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from jiqun.market.prices.daily import DailyRecord, computed_records
from jiqun.market.prices.tables import price_records, price_revisions
from jiqun.market.store.db import read_only


def _content_key(r: DailyRecord) -> tuple[object, ...]:
    return r.content()


def stored(conn: Connection, day: date, revision: int | None = None) -> list[DailyRecord]:
    """The records of ``day`` as published in ``revision`` (None: the latest one)."""
    v, rec = price_revisions, price_records
    where = [v.c.day == day.isoformat()]
    if revision is None:
        latest = latest_revisions(conn, day, day).get(day)
        if latest is None:
            return []
        revision = latest
    where.append(v.c.revision == revision)
    rows = conn.execute(
        sa.select(rec, v.c.revision)
        .join(v, v.c.id == rec.c.revision_id)
        .where(*where)
        .order_by(rec.c.id)
    ).all()
    out = [
        DailyRecord(
            day,
            row.variety,
            row.grade,
            row.origin,
            row.package,
            int(row.trades),
            int(row.volume_g),
            int(row.amount_fen),
            int(row.min_fen_per_kg),
            int(row.max_fen_per_kg),
            (Decimal(int(row.mean_centifen_per_kg)) / 100).quantize(Decimal("0.01")),
            int(row.withdrawn_lots),
            int(row.revision),
        )
        for row in rows
    ]
    out.sort(key=lambda r: r.key)
    return out


def latest_revisions(conn: Connection, start: date, end: date) -> dict[date, int]:
    """The newest published revision of each day in start..end that has one."""
    v = price_revisions
    rows = conn.execute(
        sa.select(v.c.day, sa.func.max(v.c.revision))
        .where(v.c.day >= start.isoformat(), v.c.day <= end.isoformat())
        .group_by(v.c.day)
    ).all()
    return {date.fromisoformat(d): int(r) for d, r in rows}


def _by_day(records: list[DailyRecord]) -> dict[date, list[DailyRecord]]:
    days: dict[date, list[DailyRecord]] = defaultdict(list)
    for r in records:
        days[r.day].append(r)
    return days


def same_records(a: list[DailyRecord], b: list[DailyRecord]) -> bool:
    """Whether two lists of one day's records say the same (revisions aside)."""
    return sorted(map(_content_key, a)) == sorted(map(_content_key, b))


def with_revisions(conn: Connection, records: list[DailyRecord]) -> list[DailyRecord]:
    """The computed records, each with the revision of its day that they equal (0: none —
    not published as they stand)."""
    out: list[DailyRecord] = []
    for day, recs in sorted(_by_day(records).items()):
        published = stored(conn, day)
        revision = published[0].revision if published and same_records(published, recs) else 0
        out += [replace(r, revision=revision) for r in recs]
    return out


def shown_records(conn: Connection, start: date, end: date) -> tuple[list[DailyRecord], set[date]]:
    """What the public sees for the days start..end: a day's latest published revision where
    it has one, else its records as the ledger has them now (revision 0: live, unpublished);
    and the published days whose records differ now (a correction waiting to be published) —
    a published figure never changes silently."""
    computed = _by_day(computed_records(conn, start, end))
    latest = latest_revisions(conn, start, end)
    out: list[DailyRecord] = []
    pending: set[date] = set()
    for day in sorted(set(computed) | set(latest)):
        live = computed.get(day, [])
        if day in latest:
            published = stored(conn, day, latest[day])
            if not same_records(published, live):
                pending.add(day)
            out += published
        else:
            out += live
    return out, pending


def publish(
    engine: Engine, start: date, end: date, *, now_ms: int | None = None
) -> list[DailyRecord]:
    """Publish the days start..end as the ledger has them now; return their records with the
    revision each is published under.

    The records are computed in a read-only transaction (replaying the journal takes a
    while), then stored in a short write transaction of their own, so that a live market
    writing the same database waits for no computation."""
    with engine.connect() as conn:
        read_only(conn)
        with conn.begin():
            computed = computed_records(conn, start, end)
    with engine.begin() as conn:
        return publish_records(conn, computed, start, end, now_ms=now_ms)


def publish_records(
    conn: Connection,
    records: list[DailyRecord],
    start: date,
    end: date,
    *,
    now_ms: int | None = None,
) -> list[DailyRecord]:
    """Store ``records`` (those of the days start..end) as the next revision of each day
    that differs from its latest one, in the caller's transaction.

    A day with no trading and no withdrawn lot is published (as an empty revision) only when
    it had records published before: the emptying is a correction too."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    computed = _by_day([r for r in records if start <= r.day <= end])
    latest = latest_revisions(conn, start, end)
    out: list[DailyRecord] = []
    for day in sorted(set(computed) | set(latest)):
        recs = computed.get(day, [])
        previous = stored(conn, day) if day in latest else []
        if day in latest and same_records(previous, recs):
            out += previous
            continue
        revision = latest.get(day, 0) + 1
        revision_id = conn.execute(
            price_revisions.insert()
            .values(
                day=day.isoformat(),
                revision=revision,
                published_at_ms=now_ms,
                records=len(recs),
            )
            .returning(price_revisions.c.id)
        ).scalar_one()
        if recs:
            conn.execute(
                price_records.insert(),
                [
                    {
                        "revision_id": revision_id,
                        "variety": r.variety,
                        "grade": r.grade,
                        "origin": r.origin,
                        "package": r.package,
                        "trades": r.trades,
                        "volume_g": r.volume_g,
                        "amount_fen": r.amount_fen,
                        "min_fen_per_kg": r.min_fen_per_kg,
                        "max_fen_per_kg": r.max_fen_per_kg,
                        "mean_centifen_per_kg": int(r.mean_fen_per_kg * 100),
                        "withdrawn_lots": r.withdrawn_lots,
                    }
                    for r in recs
                ],
            )
        out += [replace(r, revision=revision) for r in recs]
    return out


def revision_history(conn: Connection, day: date) -> list[tuple[int, int, int]]:
    """(revision, published_at_ms, records) of every publication of ``day``, oldest first."""
    v = price_revisions
    rows = conn.execute(
        sa.select(v.c.revision, v.c.published_at_ms, v.c.records)
        .where(v.c.day == day.isoformat())
        .order_by(v.c.revision)
    ).all()
    return [(int(a), int(b), int(c)) for a, b, c in rows]
