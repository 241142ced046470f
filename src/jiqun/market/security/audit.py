"""An append-only, hash-chained audit log (PRODUCT.md M7).

Each record's hash is SHA-256 over the previous record's hash and the record's canonical JSON
(sorted keys, no spaces, UTF-8), so changing, inserting, deleting or reordering any record
breaks every hash after it; :func:`verify` names the first record that no longer fits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at_ms: int
    actor: str
    action: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at_ms": self.at_ms,
            "actor": self.actor,
            "action": self.action,
            "detail": self.detail,
        }


def record_hash(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def next_record(
    previous: AuditRecord | None, at_ms: int, actor: str, action: str, detail: dict[str, Any]
) -> AuditRecord:
    """The record that follows ``previous`` (or starts the chain)."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.hash
    body = {"seq": seq, "at_ms": at_ms, "actor": actor, "action": action, "detail": detail}
    return AuditRecord(seq, at_ms, actor, action, detail, prev_hash, record_hash(prev_hash, body))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    records: int
    broken_at: int | None = None  # the seq of the first record that does not fit
    reason: str = ""


def verify(records: Iterable[AuditRecord]) -> Verdict:
    """Check the chain from the start: sequence, links and hashes."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for r in records:
        count += 1
        if r.seq != expected_seq:
            return Verdict(False, count, r.seq, f"sequence: expected {expected_seq}, found {r.seq}")
        if r.prev_hash != prev_hash:
            return Verdict(False, count, r.seq, "link to the previous record broken")
        if record_hash(prev_hash, r.body()) != r.hash:
            return Verdict(False, count, r.seq, "record altered: its hash does not match")
        prev_hash, expected_seq = r.hash, expected_seq + 1
    return Verdict(True, count)
