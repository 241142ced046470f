"""Where the observatory pages keep uploaded registers: in memory, for a while, per user.

An upload is loaded at once and its files deleted (:mod:`web`); what stays is the computed
:class:`~jiqun.observatory.web_work.Analysis` under a random id, bound to the user who
uploaded it. Entries expire ``JIQUN_OBSERVATORY_TTL_S`` seconds (default one hour) after their
last use, and at most ``JIQUN_OBSERVATORY_KEEP`` (default 16) are kept: the least recently
used goes first. Nothing is written to the market's database.

The heavy work runs on :data:`WORKER`, one thread for the whole process: loading a register,
drawing charts and writing a PDF take seconds of CPU, and on the event loop they would delay
the live clock's traffic. One thread also bounds what the observatory can take from the
market (requests queue behind each other) and keeps matplotlib single-threaded.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from jiqun.observatory.web_work import Analysis

WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="observatory")
T = TypeVar("T")


async def off_loop(fn: Callable[[], T]) -> T:
    """Run ``fn`` on :data:`WORKER`, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(WORKER, fn)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


@dataclass
class Entry:
    owner: str | None  # the uploading user; None for the public demo
    analysis: Analysis
    used: float


class Store:
    """Analyses by id: the uploads (expiring, least recently used dropped) and the demo."""

    def __init__(self, ttl_s: float | None = None, keep: int | None = None) -> None:
        self.ttl_s = ttl_s if ttl_s is not None else _env_int("JIQUN_OBSERVATORY_TTL_S", 3600)
        self.keep = keep if keep is not None else _env_int("JIQUN_OBSERVATORY_KEEP", 16)
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._demo: Analysis | None = None
        self._demo_lock = asyncio.Lock()
        self._lock = threading.Lock()

    def put(self, owner: str, analysis: Analysis) -> str:
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._expire(time.monotonic())
            self._entries[key] = Entry(owner, analysis, time.monotonic())
            while len(self._entries) > self.keep:
                self._entries.popitem(last=False)
        return key

    def get(self, key: str, user: str | None) -> Analysis | None:
        """The analysis ``key`` if it is still kept and ``user`` uploaded it."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is None or entry.owner is None or entry.owner != user:
                return None
            entry.used = now
            self._entries.move_to_end(key)
            return entry.analysis

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self._entries.items() if now - e.used > self.ttl_s]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

    async def demo(self, make: Callable[[], Analysis]) -> Analysis:
        """The demo analysis, made once (on :data:`WORKER`) and kept for the app's life."""
        async with self._demo_lock:
            if self._demo is None:
                self._demo = await off_loop(make)
            return self._demo


_STORES: weakref.WeakKeyDictionary[web.Application, Store] = weakref.WeakKeyDictionary()


def store_of(app: web.Application) -> Store:
    """The application's store (made on first use: the app is frozen by then)."""
    store = _STORES.get(app)
    if store is None:
        store = _STORES[app] = Store()
    return store
