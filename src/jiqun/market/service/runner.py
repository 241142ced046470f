"""The live market's single writer: one thread submits every input, timers drive the halls.

:class:`MarketRunner` owns one :class:`DurableMarket`. Every input is stamped with the server's
time on the event loop and handed, in that order, to ONE writer thread (through a C
``queue.SimpleQueue``: no Python lock that the loop could wait on), which journals, applies and
commits it (LMAX: one writer, no shared mutable state).
:meth:`MarketRunner.submit` returns the outputs after the commit, and only then are the
public ones (round started, stopped, sale, withdrawn, hall closed — never price ticks) sent to
the hall's subscribers. Everything that reads the engines' state runs on the writer thread too
(:meth:`MarketRunner.call`), so that nothing reads an engine while it changes.

A timer task per hall sleeps until the hall's next due transition (a round's start, its lapse,
the end of a stop window + 1 ms: the window includes its end) and submits ``Advance(now)``, so
that round starts and lapses happen on time, not at the next press. A round is announced as
soon as it is due (:meth:`HallEngine.upcoming_round`, with the summary of the stop window or the
lapse before it, ``pause_ms`` ahead of its start) and not again when it starts: the broadcast's
time to reach thousands of sockets is spent while the clock does not run.

Fan-out to thousands of sockets (PRODUCT.md M5, DESIGN.md's figures): the messages an input
causes are encoded and framed ONCE, the frames of one loop turn for a hall are joined, and the
same bytes are written to every subscriber (one ``transport.write`` per socket per turn, not
one per message); a stop window's sales go out as one ``sold`` summary when it closes; the full
``state`` goes out on (re)connect and when the lot or the hall's settings change. A press's
reply (``reply`` of :meth:`MarketRunner.enqueue`) is written before its broadcast is queued.
A broadcast is written ``WRITE_SLICE`` (256) subscribers a loop turn, with presses read and
answered in between: one write to 5,000 loopback sockets holds the loop ~85 ms, and a press
that came meanwhile waited for all of it. (Before rounds were announced ahead, a round's start
and its first presses came together, and slices made the news of a stop so late that buyers
kept pressing on a clock they still saw running; the stop is now the one broadcast that meets
presses, and at 5,000 buyers who all bid on every lot the presses went down, not up.) While the
writer thread runs a job, the next slice waits for it to end (one slice per job at least, so a
broadcast always moves on): both threads need the GIL, and a commit that met a slice took ten
times as long, every statement of it waiting for the GIL to come back (bench/RESULTS.md, "Fifth
session").

The writer commits presses and timer ticks that wait together in one transaction (a group
commit, :meth:`DurableMarket.submit_many`): the burst of presses at a stop costs a few durable
commits instead of one each (DESIGN.md: ≈ 1,900 single commits/s against ≈ 47,000 sales/s
grouped), and every press is still acknowledged only after the commit that holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

from jiqun import aio
from jiqun.market.core.engine import RUNNING, WAITING, WINDOW, HallEngine
from jiqun.market.core.events import (
    AddLot,
    Advance,
    ClockPaused,
    ClockStopped,
    HallClosed,
    HallHeld,
    Input,
    Open,
    Output,
    Press,
    QueueChanged,
    RoundStarted,
    Sale,
    SetClock,
    Withdrawn,
)
from jiqun.market.journal import DurableMarket
from jiqun.market.service import gcpolicy, protocol
from jiqun.market.service.results import recent_results

T = TypeVar("T")

PUBLIC = (RoundStarted, ClockStopped, Sale, Withdrawn, HallClosed)
RESULTS_KEPT = 5
# Outputs and inputs after which the whole board (``state``) is sent: the lot on the clock, the
# queue or the hall's settings changed.
NEW_STATE = (HallClosed, Withdrawn, ClockPaused, HallHeld, QueueChanged)
STATE_INPUTS = (Open, SetClock)
WRITE_SLICE = 256  # subscribers written per loop turn, presses answered in between
BATCH = 64  # inputs committed together at most (a group commit)


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
    def deliver(self, data: bytes) -> None:
        """Write one or more WebSocket frames (bytes as sent); must not block."""


@dataclass
class _Hall:
    due: int | None = None  # the next transition's instant (ms), None when nothing is due
    running: bool = False  # a round or a stop window is on the clock
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: dict[Subscriber, None] = field(default_factory=dict)  # in order of arrival
    results: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RESULTS_KEPT))
    task: asyncio.Task[None] | None = None
    window: list[dict[str, Any]] = field(default_factory=list)  # the open stop window's sales
    outbox: list[bytes] = field(default_factory=list)  # frames of this loop turn, not yet sent
    jobs: deque[tuple[bytes, list[Subscriber]]] = field(default_factory=deque)
    writing: bool = False  # a slice of jobs[0] is scheduled
    announced: RoundStarted | None = None  # the round told to the subscribers before it starts


class _Job:
    """One input stamped on the event loop, waiting for the writer thread (or, with ``call``
    set, a function to run there in turn: :meth:`MarketRunner.call`)."""

    __slots__ = ("call", "check", "event", "future", "hall", "reply")

    def __init__(
        self,
        hall: str,
        event: Input | None,
        check: Callable[[DurableMarket], None] | None,
        reply: Callable[[list[Output]], None] | None,
        future: asyncio.Future[Any],
        call: Callable[[DurableMarket], Any] | None = None,
    ) -> None:
        self.hall, self.event, self.check, self.reply = hall, event, check, reply
        self.future, self.call = future, call


_STOP = object()  # tells the writer thread to end


@dataclass(frozen=True)
class _Failed:
    """A job's error, raised to whoever waits for it on the loop."""

    error: BaseException


def _batchable(job: _Job) -> bool:
    """Presses and timer ticks: inputs that are never refused before the journal."""
    return job.check is None and isinstance(job.event, Press | Advance)


@dataclass(frozen=True)
class Applied:
    """What the writer thread hands back for one input (read while nothing changes)."""

    outputs: list[Output]
    due: int | None
    running: bool  # a round or a stop window is on the clock
    seq: int  # the journal's number of the input
    view: dict[str, Any] | None  # the hall's state when the board must be sent again, or
    # the ``queue`` message when only the next lots changed
    window_left: int | None  # a stop window closed: the units of its lot left after it
    upcoming: RoundStarted | None  # the round due next, if one is (waiting, not held)


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


def _running(engine: HallEngine) -> bool:
    return engine.state.phase in (RUNNING, WINDOW)


def _timing(market: DurableMarket, hall: str) -> tuple[int | None, bool]:
    engine = market.halls[hall]
    return next_due(engine), _running(engine)


def _shown_next(engine: HallEngine, lot: str) -> bool:
    """Whether ``lot`` is among the next lots the board shows."""
    s = engine.state
    following = [ls.lot.id for ls in s.lots[s.current + 1 :] if ls.remaining > 0]
    return lot in following[: protocol.NEXT_LOTS]


def _lot_on_clock(engine: HallEngine) -> str | None:
    s = engine.state
    return s.lots[s.current].lot.id if s.current < len(s.lots) else None


def _rounds(engine: HallEngine) -> int:
    s = engine.state
    return s.lots[s.current].rounds if s.current < len(s.lots) else 0


class MarketRunner:
    """See the module's docstring. Create and use it on the event loop that serves."""

    def __init__(self, market: DurableMarket, clock: ServerClock | None = None) -> None:
        self.market = market
        floor = max((e.state.now for e in market.halls.values()), default=0)
        self.clock = clock or ServerClock(floor)
        self.clock.raise_floor(floor)
        self._halls: dict[str, _Hall] = {}
        self._started = False
        self._flush_scheduled = False
        # inputs stamped, not yet committed, in order (a C queue: no Python lock on the loop)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._busy = False  # the writer thread runs a job (set and cleared by it)
        self._yielded: list[tuple[_Hall, int]] = []  # broadcast slices waiting for the job
        self.timer_errors: list[BaseException] = []
        # full garbage collections at quiet moments (a server process: see start)
        self.collector: gcpolicy.FullCollector | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start one timer per hall (halls added later get theirs in :meth:`add_hall`)."""
        self._started = True
        if aio.serving():  # a server process: full collections at quiet moments only
            gcpolicy.install()
            self.collector = gcpolicy.FullCollector()
        for hall in await self.call(lambda m: list(m.halls)):
            self._hall(hall)
        # the board's last results survive a restart: replayed from the journal
        for hall, found in (await self.call(lambda m: recent_results(m, RESULTS_KEPT))).items():
            self._hall(hall).results.extend(found)
        for hall in list(self._halls):
            h = self._halls[hall]
            h.due, h.running = await self.call(partial(_timing, hall=hall))
            self._start_timer(hall)

    async def close(self) -> None:
        for h in self._halls.values():
            if h.task is not None:
                h.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await h.task
        await self.call(lambda m: m.close())
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            await asyncio.get_running_loop().run_in_executor(None, thread.join)
            self._thread = None

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

    def _put(self, job: _Job) -> None:
        """Hand a job to the writer thread (started with the first job)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._writer_loop, name="jiqun-writer", daemon=True
            )
            self._thread.start()
        self._queue.put(job)

    async def call(self, fn: Callable[[DurableMarket], T]) -> T:
        """Run ``fn(market)`` on the writer thread, after every input queued before it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._put(_Job("", None, None, None, future, fn))
        return await future

    def enqueue(
        self,
        hall: str,
        make: Callable[[int], Input],
        check: Callable[[DurableMarket], None] | None = None,
        reply: Callable[[list[Output]], None] | None = None,
    ) -> asyncio.Future[list[Output]]:
        """Stamp ``make(now)`` and queue it for the writer thread at once (no ``await``), so
        that inputs reach the writer in the order of their stamps. The future resolves to the
        outputs after the commit and after the public ones were queued for the subscribers.
        ``check(market)`` runs on the writer thread first and may raise to refuse the input
        (not journaled). ``reply(outputs)`` runs after the commit, before the broadcast.

        Presses and timer ticks waiting together are committed together (a group commit,
        :meth:`DurableMarket.submit_many`): a burst of presses at a stop costs a few durable
        commits, not one each, and each is still acknowledged only after its commit. The
        writer hands a whole group back to the loop at once (one wake-up, not one per press)
        and the loop finishes its jobs in order."""
        future: asyncio.Future[list[Output]] = asyncio.get_running_loop().create_future()
        self._put(_Job(hall, make(self.clock.now()), check, reply, future))
        return future

    async def submit(
        self,
        hall: str,
        make: Callable[[int], Input],
        check: Callable[[DurableMarket], None] | None = None,
    ) -> list[Output]:
        """:meth:`enqueue` and wait for the outputs."""
        return await self.enqueue(hall, make, check)

    def _writer_loop(self) -> None:
        """The writer thread: run the queued jobs in order, committing presses and timer ticks
        that wait together in one transaction (at most ``BATCH``)."""
        jobs = self._queue
        carried: Any = None
        while True:
            job = carried if carried is not None else jobs.get()
            carried = None
            if job is _STOP:
                return
            batch = [job]
            if _batchable(job):
                while len(batch) < BATCH:
                    try:
                        more = jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is not _STOP and _batchable(more):
                        batch.append(more)
                    else:
                        carried = more  # the next job on its own
                        break
            outcomes: list[Any] = []
            self._busy = True
            try:
                if job.call is not None:
                    try:
                        outcomes.append(job.call(self.market))
                    except BaseException as e:
                        outcomes.append(_Failed(e))
                else:
                    self._commit(batch, outcomes)
            finally:
                self._busy = False
            self._hand_back(batch, outcomes)

    def _commit(self, batch: list[_Job], outcomes: list[Any]) -> None:
        """Journal, apply and commit ``batch``; one outcome per job (``Applied`` or
        ``_Failed``) is appended to ``outcomes``."""
        if len(batch) == 1 and batch[0].check is not None:
            try:
                batch[0].check(self.market)
            except BaseException as e:  # refused: not journaled
                outcomes.append(_Failed(e))
                return
        try:
            items = [(j.hall, j.event) for j in batch if j.event is not None]
            outcomes.extend(self.market.submit_many(items, self._observe))
        except BaseException as e:
            if len(batch) == 1:
                outcomes.append(_Failed(e))
                return
            for job in batch:  # nothing of the batch happened: each on its own, to find it
                self._commit([job], outcomes)

    def _hand_back(self, batch: list[_Job], outcomes: list[Any]) -> None:
        """To the loop of the group's futures (all of one loop: the one that serves)."""
        loop = batch[0].future.get_loop()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(self._finish, batch, outcomes)

    def _finish(self, batch: list[_Job], outcomes: list[Any]) -> None:
        """On the loop, in order: each job's reply, its broadcast, then its future. A job
        whose reply fails (its socket broke) does not keep the others of its group waiting.
        Broadcast slices that waited for the job go on."""
        if self._yielded:
            loop = asyncio.get_running_loop()
            for h, start in self._yielded:
                loop.call_soon(self._write, h, start, True)
            self._yielded.clear()
        for job, outcome in zip(batch, outcomes, strict=True):
            future = job.future
            if isinstance(outcome, _Failed):
                if not future.done():
                    future.set_exception(outcome.error)
                continue
            try:
                if job.call is None:
                    if job.reply is not None:
                        job.reply(outcome.outputs)
                    self._after(job.hall, outcome)
                    outcome = outcome.outputs
            except Exception as e:
                if not future.done():
                    future.set_exception(e)
                continue
            if not future.done():
                future.set_result(outcome)

    def _observe(
        self, hall: str, event: Input, seq: int, apply: Callable[[], list[Output]]
    ) -> Applied:
        """Apply one input (inside the commit) and note what the subscribers must be told."""
        engine = self.market.halls[hall]
        s = engine.state
        window = (s.current, _rounds(engine)) if s.phase == WINDOW else None
        current = _lot_on_clock(engine)
        outputs = apply()
        window_left = None
        if window is not None and (s.phase != WINDOW or (s.current, _rounds(engine)) != window):
            window_left = s.lots[window[0]].remaining
        board = (
            _lot_on_clock(engine) != current  # (a lot added to a closed hall starts at once)
            or isinstance(event, STATE_INPUTS)
            or any(isinstance(o, NEW_STATE) for o in outputs)
        )
        view = protocol.hall_view(hall, engine) if board else None
        if view is None and isinstance(event, AddLot) and _shown_next(engine, event.lot.id):
            view = protocol.queue_view(hall, engine)  # only the board's next lots changed
        return Applied(
            outputs,
            next_due(engine),
            _running(engine),
            seq,
            view,
            window_left,
            engine.upcoming_round(),
        )

    def _after(self, hall: str, applied: Applied) -> None:
        h = self._hall(hall)
        self._start_timer(hall)
        if applied.due != h.due:
            h.due = applied.due
            h.wake.set()
        if h.running != applied.running:
            h.running = applied.running
            if not h.running:
                self._maybe_collect()
        messages: list[dict[str, Any]] = []
        if applied.window_left is not None and h.window:
            messages.append(protocol.sold_message(hall, h.window, applied.window_left))
            h.window = []
        for out in applied.outputs:
            if not isinstance(out, PUBLIC) or out == h.announced:
                continue  # (a round that starts as it was announced is not told again)
            message = protocol.event_message(hall, out)
            if isinstance(out, Sale | Withdrawn):
                h.results.appendleft(message)
            if isinstance(out, Sale):
                h.window.append(message)  # told in the window's summary
            else:
                messages.append(message)
        if applied.upcoming != h.announced:
            h.announced = applied.upcoming
            if applied.upcoming is not None:
                messages.append(protocol.event_message(hall, applied.upcoming))
        view = applied.view
        if view is not None and view.get("t") == "queue":
            messages.append(view)
        elif view is not None:  # the whole board, last: it holds everything before it
            messages.append(self.state_message(hall, view))
        if messages:  # (results keep no seq: they are shown again after a restart)
            seq = applied.seq
            h.outbox.append(b"".join(protocol.encode({**m, "seq": seq}) for m in messages))
            self._schedule_flush()

    def _maybe_collect(self) -> None:
        """A clock stopped: a full garbage collection now, if every hall is quiet for a while
        (:mod:`~jiqun.market.service.gcpolicy`)."""
        if self.collector is None:
            return
        now, quiet_for = self.now(), math.inf
        for h in self._halls.values():
            if h.running:
                self.collector.consider(None)
                return
            if h.due is not None:
                quiet_for = min(quiet_for, h.due - now)
        self.collector.consider(quiet_for)

    # ------------------------------------------------------------------ fan-out

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """The end of a loop turn: each hall's frames of the turn become one write job."""
        self._flush_scheduled = False
        for h in self._halls.values():
            if h.outbox:
                h.jobs.append((b"".join(h.outbox), list(h.subscribers)))
                h.outbox.clear()
                if not h.writing:
                    h.writing = True
                    asyncio.get_running_loop().call_soon(self._write, h, 0)

    def _write(self, h: _Hall, start: int, waited: bool = False) -> None:
        """Write ``WRITE_SLICE`` subscribers of the oldest job, then yield to the loop; jobs
        go out one after the other, so every subscriber gets them in order. While the writer
        thread runs a job the slice waits for it to end (:meth:`_finish` goes on), unless it
        ``waited`` already."""
        if self._busy and not waited:
            self._yielded.append((h, start))
            return
        data, subscribers = h.jobs[0]
        end = start + WRITE_SLICE
        for sub in subscribers[start:end]:
            sub.deliver(data)
        loop = asyncio.get_running_loop()
        if end < len(subscribers):
            loop.call_soon(self._write, h, end)
            return
        h.jobs.popleft()
        if h.jobs:
            loop.call_soon(self._write, h, 0)
        else:
            h.writing = False

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, hall: str, sub: Subscriber) -> None:
        self._hall(hall).subscribers[sub] = None

    def unsubscribe(self, hall: str, sub: Subscriber) -> None:
        self._hall(hall).subscribers.pop(sub, None)

    def subscribers(self, hall: str) -> int:
        return len(self._hall(hall).subscribers)

    def results(self, hall: str) -> list[dict[str, Any]]:
        return list(self._hall(hall).results)

    async def state(self, hall: str) -> dict[str, Any]:
        """The ``state`` message of a hall: what a client needs on (re)connect. Its ``seq``
        is the last input it reflects; broadcasts up to that one are already in it."""
        seq, view = await self.call(lambda m: (m.seq, protocol.hall_view(hall, m.halls[hall])))
        return {**self.state_message(hall, view), "seq": seq}

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
