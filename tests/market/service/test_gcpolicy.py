"""Full garbage collections only at quiet moments (jiqun.market.service.gcpolicy)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from jiqun.market.core.events import Press
from jiqun.market.service import gcpolicy
from jiqun.market.service.gcpolicy import FULL_EVERY_S, QUIET_MS, THAW_EVERY_S, FullCollector
from tests.market.service.conftest import HALL, live, run, started


class Node:
    other: Any = None


def cycle() -> weakref.ref[Node]:
    """A garbage cycle (only the collector frees it): a weak reference to watch it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def clean_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_install_freezes_start_up_and_stops_automatic_full_collections(clean_gc: None) -> None:
    gcpolicy.install()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == gcpolicy.NEVER


def test_collects_at_a_quiet_moment_at_most_every_full_every_s(clean_gc: None) -> None:
    c = FullCollector(monotonic=0.0)
    watched = cycle()
    assert not c.consider(QUIET_MS * 2, monotonic=FULL_EVERY_S - 1)  # too soon
    assert not c.consider(None, monotonic=FULL_EVERY_S + 1)  # a clock is running
    assert not c.consider(QUIET_MS - 1, monotonic=FULL_EVERY_S + 1)  # not quiet for long enough
    assert watched() is not None
    assert c.consider(QUIET_MS, monotonic=FULL_EVERY_S + 1)
    assert watched() is None  # the cycle was freed
    assert c.runs == 1
    assert not c.consider(QUIET_MS, monotonic=FULL_EVERY_S + 2)  # the next one waits again


def test_survivors_are_frozen_until_the_next_thaw(clean_gc: None) -> None:
    """What lives through a quiet collection is not scanned again; what dies later (a closed
    connection) is freed at the thaw, every THAW_EVERY_S."""
    c = FullCollector(monotonic=0.0)
    a, b = Node(), Node()
    a.other, b.other = b, a
    watched = weakref.ref(a)
    assert c.consider(QUIET_MS, monotonic=FULL_EVERY_S)  # a and b alive: frozen
    del a, b
    assert c.consider(QUIET_MS, monotonic=2 * FULL_EVERY_S)
    assert watched() is not None  # frozen: not collected by a quiet collection
    assert c.consider(QUIET_MS, monotonic=THAW_EVERY_S)
    assert (c.thaws, watched()) == (1, None)


def test_halls_that_never_pause_together_still_get_a_full_collection(clean_gc: None) -> None:
    c = FullCollector(monotonic=0.0)
    watched = cycle()
    assert not c.consider(None, monotonic=2 * THAW_EVERY_S - 1)
    assert c.consider(None, monotonic=2 * THAW_EVERY_S)
    assert watched() is None


def test_the_runner_asks_when_its_clock_stops(tmp_path: Any) -> None:
    """A hall leaving its round (the pause after a sale) lets the collector look, with how
    long nothing is due."""
    seen: list[float | None] = []

    class Spy(FullCollector):
        def consider(self, quiet_for_ms: float | None, monotonic: float | None = None) -> bool:
            seen.append(quiet_for_ms)
            return False

    async def go() -> None:
        async with live(f"sqlite:///{tmp_path / 'm.db'}") as env:
            runner = env.service.runner
            runner.collector = Spy()
            auctioneer = await env.client("AUC")
            r = await env.post(auctioneer, f"/api/halls/{HALL}/open")
            assert r.status == 200
            await started(env, (await r.json())["round"])  # announced pause_ms ahead
            await runner.submit(HALL, lambda now: Press(now, "B01", "L001", 20))
            for _ in range(100):  # the stop window closes, the pause begins
                if seen:
                    break
                await asyncio.sleep(0.02)

    run(go())
    assert seen, "the collector was never asked"
    pause = 300  # the test hall's pause_ms (conftest.CLOCK)
    assert seen[0] is not None and 0 <= seen[0] <= pause
