"""Passwords, sessions, CSRF, rate limits and the audit chain, tried the way an attacker would."""

from __future__ import annotations

import dataclasses
import time

import pytest

from jiqun.market.security import audit
from jiqun.market.security.passwords import WeakPassword, hash_password, needs_rehash, verify
from jiqun.market.security.ratelimit import RateLimiter
from jiqun.market.security.sessions import InvalidSession, SessionSigner, csrf_ok

KEY = "k" * 40


def test_argon2_passwords() -> None:
    stored = hash_password("正确的密码 horse")
    assert stored.startswith("$argon2id$")
    assert verify(stored, "正确的密码 horse")
    assert not verify(stored, "正确的密码 horsE")
    assert not verify("not a hash", "anything")
    assert not needs_rehash(stored)
    assert hash_password("正确的密码 horse") != stored  # salted
    with pytest.raises(WeakPassword):
        hash_password("short")


def test_sessions_are_signed() -> None:
    signer = SessionSigner(KEY)
    token, session = signer.issue("B01", "buyer")
    assert signer.load(token) == session
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(InvalidSession):
        signer.load(forged)
    with pytest.raises(InvalidSession):
        SessionSigner("x" * 40).load(token)  # another server's key
    # a token naming another user with this token's signature fails too
    other, _ = signer.issue("B02", "auctioneer")
    spliced = other.split(".")[0] + "." + ".".join(token.split(".")[1:])
    with pytest.raises(InvalidSession):
        signer.load(spliced)
    with pytest.raises(ValueError):
        SessionSigner("short")


def test_sessions_expire() -> None:
    signer = SessionSigner(KEY, max_age_s=1)
    token, _ = signer.issue("B01", "buyer")
    time.sleep(2.1)
    with pytest.raises(InvalidSession, match="expired"):
        signer.load(token)


def test_csrf() -> None:
    _, session = SessionSigner(KEY).issue("C1", "cashier")
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, None)
    other = "y" if session.csrf.endswith("x") else "x"
    assert not csrf_ok(session, session.csrf[:-1] + other)


def test_rate_limit_token_bucket() -> None:
    limiter = RateLimiter(rate_per_s=5, burst=3)
    assert [limiter.allow("B01", 0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("B02", 0)  # buckets are per buyer
    assert not limiter.allow("B01", 100)  # 0.5 token refilled
    assert limiter.allow("B01", 200)  # one token after 200 ms at 5/s
    assert not limiter.allow("B01", 200)
    assert [limiter.allow("B01", 10_000) for _ in range(4)] == [True, True, True, False]


def chain(n: int) -> list[audit.AuditRecord]:
    records: list[audit.AuditRecord] = []
    for i in range(n):
        previous = records[-1] if records else None
        records.append(audit.next_record(previous, i * 10, "cashier:C1", "deposit", {"fen": i}))
    return records


def test_audit_chain_verifies_and_names_tampering() -> None:
    records = chain(5)
    assert audit.verify(records) == audit.Verdict(True, 5)
    altered = list(records)
    altered[2] = dataclasses.replace(records[2], detail={"fen": 999})
    verdict = audit.verify(altered)
    assert (verdict.ok, verdict.broken_at) == (False, 3) and "altered" in verdict.reason
    assert audit.verify(records[:2] + records[3:]).broken_at == 4  # a record removed
    swapped = [records[0], records[2], records[1], *records[3:]]
    assert audit.verify(swapped).broken_at == 3
    rehashed = list(records)  # an attacker who recomputes one hash still breaks the next link
    body = {**records[1].body(), "detail": {"fen": 7}}
    rehashed[1] = dataclasses.replace(
        records[1], detail={"fen": 7}, hash=audit.record_hash(records[1].prev_hash, body)
    )
    assert audit.verify(rehashed).broken_at == 3
