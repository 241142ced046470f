"""The event loop that the live market and its load test run on.

uvloop (libuv, in C) where it is installed — a dependency on Linux and macOS — because with
thousands of sockets the loop's own work is most of the server's: writing a broadcast to 5,000
transports, reading presses, waking futures (bench/RESULTS.md, "Live market"). The standard
loop is the fallback (Windows) and can be asked for with ``JIQUN_LOOP=asyncio`` (to compare).

A server also shortens the interpreter's thread switch interval to 0.2 ms (5 ms by default):
the writer thread journals in Python and gives up the GIL in every SQLite call; while the loop
writes a broadcast, each time it wants the GIL back it waits up to the switch interval, and the
loop waits the same way for a writer that holds it. Measured at 5,000 buyers (an instrumented
server, bench/RESULTS.md): a group commit took 2 ms p50 / 23 ms p90 with 1 ms, 1.4 / 8 ms with
0.2 ms.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
SERVER_SWITCH_INTERVAL_S = 0.0002


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for the standard loop."""
    if os.environ.get("JIQUN_LOOP", "uvloop") == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def new_loop() -> asyncio.AbstractEventLoop:
    factory = loop_factory()
    return factory() if factory is not None else asyncio.new_event_loop()


_serving = False


def tune_for_serving() -> None:
    """This process is a server: let the event loop thread get the GIL back within a
    millisecond (see above), and let the market runner take over the full garbage
    collections (:mod:`jiqun.market.service.gcpolicy`)."""
    global _serving
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL_S)
    _serving = True


def serving() -> bool:
    """Whether :func:`tune_for_serving` was called in this process."""
    return _serving


def run(main: Coroutine[Any, Any, T], *, server: bool = False) -> T:
    """``asyncio.run`` on :func:`loop_factory`'s loop; ``server`` also :func:`tune_for_serving`."""
    if server:
        tune_for_serving()
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
