"""The live market's single writer: one thread submits every input, timers drive the halls.

:class:`MarketRunner` owns one :class:`DurableMarket`. Every input is stamped with the server's
time on the event loop and handed, in that order, to ONE writer thread (a single-worker
executor), which journals, applies and commits it (LMAX: one writer, no shared mutable state).
:meth:`MarketRunner.submit` returns the outputs after the commit, and only then are the
public ones (round started, stopped, sale, withdrawn, hall closed — never price ticks) sent to
the hall's subscribers. Everything that reads the engines' state runs on the writer thread too
(:meth:`MarketRunner.call`), so that nothing reads an engine while it changes.

A timer task per hall sleeps until the hall's next due transition (a round's start, its lapse,
the end of a stop window + 1 ms: the window includes its end) and submits ``Advance(now)``, so
that round starts and lapses are announced when they happen, not at the next press.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

from jiqun.market.core.engine import RUNNING, WAITING, WINDOW, HallEngine
from jiqun.market.core.events import (
    Advance,
    ClockStopped,
    HallClosed,
    Input,
    Output,
    RoundStarted,
    Sale,
    Withdrawn,
)
from jiqun.market.journal import DurableMarket
from jiqun.market.service import protocol

T = TypeVar("T")

PUBLIC = (RoundStarted, ClockStopped, Sale, Withdrawn, HallClosed)
RESULTS_KEPT = 5


class ServerClock:
    """Integer ms since the Unix epoch that never goes backwards.

    The wall clock is read once; after that time advances with the monotonic clock, so a
    wall-clock step (NTP, an operator) moves nothing. ``floor`` keeps it at or after the
    newest input already journaled (a restart after the wall clock went back)."""

    def __init__(self, floor_ms: int = 0, wall: Callable[[], float] = time.time) -> None:
        self._base = int(wall() * 1000)
        self._mono = time.monotonic_ns()
        self._last = floor_ms
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            t = self._base + (time.monotonic_ns() - self._mono) // 1_000_000
            if t < self._last:
                t = self._last
            self._last = t
            return t

    def raise_floor(self, floor_ms: int) -> None:
        with self._lock:
            self._last = max(self._last, floor_ms)


class Subscriber(Protocol):
    def deliver(self, text: str) -> None:
        """Queue one encoded message; must not block."""


@dataclass
class _Hall:
    due: int | None = None  # the next transition's instant (ms), None when nothing is due
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: set[Subscriber] = field(default_factory=set)
    results: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RESULTS_KEPT))
    task: asyncio.Task[None] | None = None


def next_due(engine: HallEngine) -> int | None:
    """When the hall's next time-driven transition happens (read on the writer thread)."""
    s = engine.state
    if s.phase == WAITING:
        return None if s.held else s.start_at  # a held hall waits for the auctioneer
    if s.phase == RUNNING:
        return s.round_end
    if s.phase == WINDOW:
        return s.stop_at + engine.clock.same_stop_ms + 1  # [t1, t1 + W] includes its end
    return None


def _due_of(market: DurableMarket, hall: str) -> int | None:
    return next_due(market.halls[hall])


class MarketRunner:
    """See the module's docstring. Create and use it on the event loop that serves."""

    def __init__(self, market: DurableMarket, clock: ServerClock | None = None) -> None:
        self.market = market
        floor = max((e.state.now for e in market.halls.values()), default=0)
        self.clock = clock or ServerClock(floor)
        self.clock.raise_floor(floor)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jiqun-writer")
        self._halls: dict[str, _Hall] = {}
        self._started = False
        self.timer_errors: list[BaseException] = []

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start one timer per hall (halls added later get theirs in :meth:`add_hall`)."""
        self._started = True
        for hall in await self.call(lambda m: list(m.halls)):
            self._hall(hall)
        for hall in list(self._halls):
            self._halls[hall].due = await self.call(partial(_due_of, hall=hall))
            self._start_timer(hall)

    async def close(self) -> None:
        for h in self._halls.values():
            if h.task is not None:
                h.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await h.task
        await asyncio.get_running_loop().run_in_executor(self._writer, self.market.close)
        self._writer.shutdown(wait=True)

    def _hall(self, hall: str) -> _Hall:
        h = self._halls.get(hall)
        if h is None:
            h = self._halls[hall] = _Hall()
        return h

    def _start_timer(self, hall: str) -> None:
        h = self._hall(hall)
        if self._started and h.task is None:
            h.task = asyncio.get_running_loop().create_task(self._timer(hall))

    # ------------------------------------------------------------------ the writer

    def now(self) -> int:
        return self.clock.now()

    async def call(self, fn: Callable[[DurableMarket], T]) -> T:
        """Run ``fn(market)`` on the writer thread, after every input queued before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, fn, self.market)

    def enqueue(
        self,
        hall: str,
        make: Callable[[int], Input],
        check: Callable[[DurableMarket], None] | None = None,
    ) -> asyncio.Future[list[Output]]:
        """Stamp ``make(now)`` and queue it on the writer thread at once (no ``await``), so
        that inputs reach the writer in the order of their stamps. The future resolves to the
        outputs after the commit and after the public ones were published. ``check(market)``
        runs on the writer thread first and may raise to refuse the input (not journaled)."""
        loop = asyncio.get_running_loop()
        event = make(self.clock.now())
        done = loop.run_in_executor(self._writer, self._apply, hall, event, check)
        return asyncio.ensure_future(self._finish(hall, done))

    async def submit(
        self,
        hall: str,
        make: Callable[[int], Input],
        check: Callable[[DurableMarket], None] | None = None,
    ) -> list[Output]:
        """:meth:`enqueue` and wait for the outputs."""
        return await self.enqueue(hall, make, check)

    async def _finish(
        self,
        hall: str,
        done: asyncio.Future[tuple[list[Output], int | None, dict[str, Any] | None]],
    ) -> list[Output]:
        outputs, due, view = await done
        self._after(hall, outputs, due, view)
        return outputs

    def _apply(
        self, hall: str, event: Input, check: Callable[[DurableMarket], None] | None
    ) -> tuple[list[Output], int | None, dict[str, Any] | None]:
        if check is not None:
            check(self.market)
        outputs = self.market.submit(hall, event)
        engine = self.market.halls[hall]
        changes_lot = any(isinstance(o, RoundStarted | HallClosed | Withdrawn) for o in outputs)
        view = protocol.hall_view(hall, engine) if changes_lot else None
        return outputs, next_due(engine), view

    def _after(
        self, hall: str, outputs: list[Output], due: int | None, view: dict[str, Any] | None
    ) -> None:
        h = self._hall(hall)
        self._start_timer(hall)
        if due != h.due:
            h.due = due
            h.wake.set()
        texts: list[str] = []
        for out in outputs:
            if not isinstance(out, PUBLIC):
                continue
            message = protocol.event_message(hall, out)
            if isinstance(out, Sale | Withdrawn):
                h.results.appendleft(message)
            texts.append(protocol.dumps(message))
        if view is not None:  # a new lot is on the clock (or none is): the whole board
            texts.append(protocol.dumps(self.state_message(hall, view)))
        for text in texts:
            for sub in list(h.subscribers):
                sub.deliver(text)

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, hall: str, sub: Subscriber) -> None:
        self._hall(hall).subscribers.add(sub)

    def unsubscribe(self, hall: str, sub: Subscriber) -> None:
        self._hall(hall).subscribers.discard(sub)

    def subscribers(self, hall: str) -> int:
        return len(self._hall(hall).subscribers)

    def results(self, hall: str) -> list[dict[str, Any]]:
        return list(self._hall(hall).results)

    async def state(self, hall: str) -> dict[str, Any]:
        """The ``state`` message of a hall: what a client needs on (re)connect."""
        view = await self.call(lambda m: protocol.hall_view(hall, m.halls[hall]))
        return self.state_message(hall, view)

    def state_message(self, hall: str, view: dict[str, Any]) -> dict[str, Any]:
        return {**view, "t": "state", "s": self.now(), "results": self.results(hall)}

    # ------------------------------------------------------------------ timers

    async def _timer(self, hall: str) -> None:
        h = self._halls[hall]
        while True:
            try:
                h.wake.clear()
                due = h.due
                if due is None:
                    await h.wake.wait()
                    continue
                wait_ms = due - self.now()
                if wait_ms > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(h.wake.wait(), wait_ms / 1000)
                    continue  # woken early (or timed out): look at the due time again
                await self.submit(hall, Advance)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep the hall's clock going; the error is kept
                self.timer_errors.append(e)
                await asyncio.sleep(0.05)
