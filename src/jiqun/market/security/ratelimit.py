"""Per-key token buckets (a buyer's presses), fed the time by the caller.

A bucket holds at most ``burst`` tokens and refills ``rate_per_s`` tokens a second; each
press takes one. Time comes in as integer milliseconds, so the limiter is deterministic and
testable, and the server passes its own clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    rate_per_s: int
    burst: int
    _buckets: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (milli-tokens, at)

    def allow(self, key: str, now_ms: int) -> bool:
        """Take a token for ``key`` at ``now_ms``; False when the bucket is empty."""
        capacity = self.burst * 1000
        tokens, at = self._buckets.get(key, (capacity, now_ms))
        tokens = min(capacity, tokens + max(0, now_ms - at) * self.rate_per_s)
        if tokens < 1000:
            self._buckets[key] = (tokens, max(at, now_ms))
            return False
        self._buckets[key] = (tokens - 1000, max(at, now_ms))
        return True
