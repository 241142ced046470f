"""Who logs in (members and staff) and the hash-chained audit log, in the market's database.

Blocking functions: the server runs them off its event loop (Argon2 verification takes about
100 ms on purpose; audit records are written on the market's writer thread, one at a time, so
the chain has a single writer).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from jiqun.market.security import passwords
from jiqun.market.security.audit import AuditRecord, Verdict, next_record, verify
from jiqun.market.store import schema as t

MEMBER_ROLES = ("buyer", "supplier")
STAFF_ROLES = ("auctioneer", "inspector", "cashier", "admin")
ROLES = MEMBER_ROLES + STAFF_ROLES


# A hash to verify against when the user does not exist, so that a login takes as long for
# an unknown user as for a wrong password (no user enumeration by timing).
@functools.cache
def _dummy_hash() -> str:
    return passwords.hash_password("not-a-password-of-anyone")


@dataclass(frozen=True)
class User:
    id: str
    role: str
    name: str
    disabled: bool


def add_user(
    engine: Engine, user: str, role: str, password: str, at_ms: int, name: str = ""
) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if not user or len(user) > 64:
        raise ValueError("a user id has 1 to 64 characters")
    hashed = passwords.hash_password(password)
    with engine.begin() as conn:
        conn.execute(
            t.users.insert().values(
                id=user,
                role=role,
                password_hash=hashed,
                name=name,
                disabled=False,
                created_at_ms=at_ms,
            )
        )
    return User(user, role, name, False)


def get_user(engine: Engine, user: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.users).where(t.users.c.id == user)).first()
    return None if row is None else User(row.id, row.role, row.name, row.disabled)


def disabled_users(engine: Engine) -> set[str]:
    """The logins that are disabled (the server keeps them in memory: their sessions end)."""
    with engine.connect() as conn:
        return set(
            conn.execute(sa.select(t.users.c.id).where(t.users.c.disabled == sa.true())).scalars()
        )


def revocations(engine: Engine) -> dict[str, int]:
    """When each login was last disabled (ms, from the audit log): its sessions issued until
    then stay ended when it is enabled again."""
    a = t.audit_log
    found: dict[str, int] = {}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(a.c.at_ms, a.c.detail).where(a.c.action == "user_disable"))
        for at_ms, detail in rows:
            user = detail.get("user") if isinstance(detail, dict) else None
            if isinstance(user, str):
                found[user] = max(found.get(user, 0), int(at_ms))
    return found


def authenticate(engine: Engine, user: str, password: str) -> User | None:
    """The user if ``password`` is right and the user is not disabled (blocking: ~100 ms)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.users).where(t.users.c.id == user)).first()
    if row is None:
        passwords.verify(_dummy_hash(), password)
        return None
    if not passwords.verify(row.password_hash, password) or row.disabled:
        return None
    return User(row.id, row.role, row.name, row.disabled)


# ---------------------------------------------------------------------------- audit


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        row.seq, row.at_ms, row.actor, row.action, dict(row.detail), row.prev_hash, row.hash
    )


def _last(conn: Connection) -> AuditRecord | None:
    a = t.audit_log
    row = conn.execute(sa.select(a).order_by(a.c.seq.desc()).limit(1)).first()
    return None if row is None else _record(row)


def append_audit(
    engine: Engine, at_ms: int, actor: str, action: str, detail: dict[str, Any]
) -> AuditRecord:
    """Append the next record of the chain (one writer: the primary key refuses a second)."""
    with engine.begin() as conn:
        record = next_record(_last(conn), at_ms, actor, action, detail)
        conn.execute(
            t.audit_log.insert().values(
                seq=record.seq,
                at_ms=record.at_ms,
                actor=record.actor,
                action=record.action,
                detail=record.detail,
                prev_hash=record.prev_hash,
                hash=record.hash,
            )
        )
    return record


def audit_records(engine: Engine) -> Iterator[AuditRecord]:
    a = t.audit_log
    with engine.connect() as conn:
        for row in conn.execute(sa.select(a).order_by(a.c.seq)):
            yield _record(row)


def verify_audit(engine: Engine) -> Verdict:
    return verify(audit_records(engine))
