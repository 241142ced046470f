"""Garbage collection that does not stop a running clock.

CPython's collector stops the whole process while it scans; a full collection (the oldest
generation) scanned the market's state and thousands of sockets' objects in 0.2–0.6 s on this
machine and came several times a minute under load — a press that arrived during one was
stamped that much late, and nothing was sent meanwhile (bench/RESULTS.md, "Live market"). So a
server:

* collects once and freezes what start-up built (modules, the market's state: never scanned
  again, :func:`gc.freeze`);
* leaves the young generations to the interpreter (a few ms each);
* runs the full collection itself, only at a quiet moment — no hall's clock running and
  nothing due for ``QUIET_MS`` — at most every ``FULL_EVERY_S`` seconds, and freezes what
  survives it, so that the next one scans only what is newer (milliseconds, not the thousands
  of sockets that stay connected all morning);
* every ``THAW_EVERY_S`` seconds unfreezes everything first, so that what died since (a
  closed connection's objects) is freed too: a scan of everything, at a quiet moment, or at
  the end of a round when the halls never pause together.
"""

from __future__ import annotations

import gc
import time

QUIET_MS = 800
FULL_EVERY_S = 30.0
THAW_EVERY_S = 600.0
NEVER = 2**31 - 1  # the oldest generation's threshold: the interpreter never starts it


def install() -> None:
    """Freeze what start-up built and take full collections away from the interpreter."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)


class FullCollector:
    """Decides when to run the full collection (see the module's docstring)."""

    def __init__(self, monotonic: float | None = None) -> None:
        now = time.monotonic() if monotonic is None else monotonic
        self.last = self.thawed = now
        self.runs = self.thaws = 0

    def consider(self, quiet_for_ms: float | None, monotonic: float | None = None) -> bool:
        """``quiet_for_ms``: how long from now no clock runs and nothing is due (None: a clock
        is running). Collects and returns True when it is time."""
        now = time.monotonic() if monotonic is None else monotonic
        thaw = now - self.thawed >= THAW_EVERY_S
        if quiet_for_ms is not None and quiet_for_ms >= QUIET_MS:
            if not thaw and now - self.last < FULL_EVERY_S:
                return False
        elif now - self.thawed < 2 * THAW_EVERY_S:  # (a clock always runs somewhere: at last)
            return False
        if thaw:
            gc.unfreeze()
            self.thawed, self.thaws = now, self.thaws + 1
        gc.collect()
        gc.freeze()
        self.last, self.runs = now, self.runs + 1
        return True
