"""``jiqun market loadtest``: N simulated buyers over real WebSockets against a live server.

Against a demo server (``jiqun demo``, or one this module starts in a subprocess on a free
port when no URL is given) nothing needs preparing: with the demo's administrator, cashier and
auctioneer log-ins it creates the buyers it needs (``T00001`` …, kept for the next run), pays
in their deposits, queues lots in the idle hall 2 whenever its queue runs low and opens the
hall. Then every buyer logs in, connects, estimates the server's clock and presses where it
likes the price (:class:`~.bots.Bot`), for ``duration`` seconds; presses still unanswered 5 s
after the end are ``lost``. The result is one JSON object (see :func:`run`).

The buyers are played by one or more client processes (:class:`Fleet`; one event loop and one
:class:`aiohttp.ClientSession` each); only loopback servers are accepted (the figures measure
the server, not a network, and the clock error relies on one machine's clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import ipaddress
import multiprocessing
import os
import queue
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from jiqun.market.service import bots, demo

T = TypeVar("T")
USER_PREFIX = "T"
DEPOSIT_FEN = 50_000_000  # 50 万元: no load-test buyer runs out during a run
LOT_UNITS = 200
ACK_GRACE_S = 5.0
# A clock estimate every 5–10 s per buyer, as a browser page does (every 10 s): at 5,000 buyers
# every 2–4 s was 1,700 sync round trips a second (at 2,000 buyers the sync sends alone took a
# quarter of the bots' time in the client process).
LOAD_BEHAVIOUR = bots.Behaviour(
    like_steps=(3, 30),
    reaction_ms=(100, 350),
    window_steps=3,
    share_probability=0.5,
    sync_every_s=(5.0, 10.0),
)
# The share of lots a buyer bids on. A wholesaler buys a few varieties, not every lot: at
# 0.1 a lot has ~500 bidders among 5,000 buyers. ``--interest 1`` is the stress model in
# which every buyer bids on every lot (≈ 1,500 presses at each stop with 5,000 buyers).
DEFAULT_INTEREST = 0.1


class LoadTestError(RuntimeError):
    pass


@dataclass(frozen=True)
class Staff:
    admin: str = "ADMIN"
    cashier: str = "CASH"
    auctioneer: str = "AUC"
    password: str = demo.PASSWORD


def loopback_only(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        raise LoadTestError(f"{url}: an http:// URL")
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise LoadTestError(f"{url}: only loopback addresses (127.0.0.1, ::1, localhost)")
    return url.rstrip("/")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[k], 1)


# ---------------------------------------------------------------------------- server CPU


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process, from /proc/PID/stat (None: it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listening_pid(port: int) -> int | None:
    """The process listening on a TCP port of this machine (one of ours), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in targets:
                        return int(proc.name)
    return None


# ---------------------------------------------------------------------------- setup


async def _gather_limited(
    items: Iterable[T], fn: Callable[[T], Awaitable[Any]], limit: int = 32
) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> None:
        async with gate:
            await fn(item)

    await asyncio.gather(*(one(i) for i in items))


class Api:
    """One staff log-in's JSON API calls (its own cookie; the shared session has no jar)."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        self.headers: dict[str, str] = {}

    async def login(self, user: str, password: str) -> Api:
        async with self.http.post(
            f"{self.base}/api/login", json={"user": user, "password": password}
        ) as r:
            if r.status != 200:
                raise LoadTestError(f"log-in {user}: HTTP {r.status} {await r.text()}")
            morsel = r.cookies[bots.COOKIE]
            csrf = (await r.json())["csrf"]
        self.headers = {"Cookie": f"{bots.COOKIE}={morsel.value}", "X-CSRF-Token": csrf}
        return self

    async def get(self, path: str) -> Any:
        async with self.http.get(self.base + path, headers=self.headers) as r:
            if r.status != 200:
                raise LoadTestError(f"GET {path}: HTTP {r.status} {await r.text()}")
            return await r.json()

    async def post(self, path: str, body: dict[str, Any], ok: Iterable[int] = (200, 201)) -> Any:
        async with self.http.post(self.base + path, json=body, headers=self.headers) as r:
            if r.status not in ok:
                raise LoadTestError(f"POST {path}: HTTP {r.status} {await r.text()}")
            return await r.json()


def load_lot(lot_id: str, rng: random.Random) -> dict[str, Any]:
    start = 2 * rng.randint(250, 350)
    return {
        "id": lot_id,
        "supplier": demo.SUPPLIERS[0][0],
        "variety": "黄瓜",
        "grade": "一级",
        "origin": "寿光市稻田镇",
        "package": "纸箱",
        "category": "瓜类",
        "units": LOT_UNITS,
        "unit_net_g": 10_000,
        "start_price_fen": start,
        "reserve_price_fen": start - 100,  # 50 ticks: a lapse takes 5 s
        "min_purchase": 5,
        "certificate_no": f"HG-{lot_id}",  # 承诺达标合格证: released at intake (M8)
    }


async def prepare(
    http: aiohttp.ClientSession, base: str, hall: str, users: list[str], staff: Staff
) -> Api:
    """Buyers (created if missing) with deposits; returns the auctioneer's API."""
    admin = await Api(http, base).login(staff.admin, staff.password)
    cashier = await Api(http, base).login(staff.cashier, staff.password)
    auctioneer = await Api(http, base).login(staff.auctioneer, staff.password)

    async def create(user: str) -> None:
        body = {"user": user, "role": "buyer", "password": staff.password, "name": "压力测试"}
        await admin.post("/api/members", body, ok=(201, 409))

    async def deposit(user: str) -> None:
        await cashier.post("/api/deposits", {"member": user, "amount_fen": DEPOSIT_FEN})

    await _gather_limited(users, create)
    await _gather_limited(users, deposit)
    return auctioneer


async def feed_lots(auctioneer: Api, hall: str, stop: asyncio.Event, run_id: str) -> None:
    """Keep two lots or more queued; open the hall if it was never opened. A server that
    went away (the crash test) is asked again until it is back."""
    rng = random.Random(run_id)
    n = 0
    while not stop.is_set():
        try:
            state = await auctioneer.get(f"/api/halls/{hall}/state")
            current = state.get("lot")
            queued = state["lots_left"] + (1 if current and current.get("remaining") else 0)
            while queued < 3:
                n += 1
                lot = load_lot(f"{run_id}-{n:03d}", rng)
                await auctioneer.post(f"/api/halls/{hall}/lots", lot)
                queued += 1
            if state["phase"] == "idle":
                await auctioneer.post(f"/api/halls/{hall}/open", {}, ok=(200, 409))
        except (OSError, aiohttp.ClientError, LoadTestError):
            pass  # the server is restarting, or the lot of a lost reply exists: look again
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# ---------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Buyers:
    """Who the load test's buyers are and how they bid (sent to client processes as is)."""

    base: str
    hall: str
    users: list[str]
    password: str
    behaviour: bots.Behaviour

    def part(self, i: int, of: int) -> Buyers:
        """The ``i``-th of ``of`` shares of the buyers."""
        return dataclasses.replace(self, users=self.users[i::of])


class Fleet:
    """The buyers one client process plays, from log-in to close, and what they measured."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        buyers: Buyers,
        rng: random.Random,
        metrics: bots.Metrics | None = None,
    ) -> None:
        self.metrics = metrics or bots.Metrics()
        self.stop = asyncio.Event()
        self.readers: list[asyncio.Future[None]] = []
        b = buyers
        self.bots = [
            bots.Bot(
                http,
                b.base,
                b.hall,
                u,
                b.password,
                self.metrics,
                b.behaviour,
                random.Random(rng.random()),
            )
            for u in b.users
        ]
        self.connected: list[bots.Bot] = []

    async def join(self) -> int:
        """Log every buyer in, connect and read at once (reconnecting after a drop): a socket
        not read while thousands of others connect misses the server's heartbeat and is
        closed. Nobody presses yet. Returns how many are connected."""

        async def one(bot: bots.Bot) -> None:
            bot.pressing = False
            with contextlib.suppress(*bots.CONNECT_ERRORS):
                await bot.login()
                await bot.connect()
                self.readers.append(asyncio.ensure_future(bot.life(self.stop)))

        await _gather_limited(self.bots, one, limit=64)
        self.connected = [b for b in self.bots if b.connected]
        return len(self.connected)

    def start(self) -> None:
        """Everyone presses from now on. This process only measures: no garbage collector
        pause in its figures (its set-up frozen, collection off until :meth:`finish`)."""
        for b in self.bots:
            b.pressing = True
        gc.collect()
        gc.freeze()
        gc.disable()
        self.readers.append(
            asyncio.ensure_future(bots.loop_lag(self.metrics.loop_lag_ms, self.stop))
        )

    async def finish(self) -> None:
        """Stop pressing, wait up to ``ACK_GRACE_S`` for the answers, close."""
        for b in self.bots:
            b.pressing = False
            if b.planned is not None:
                b.planned.cancel()
        deadline = time.monotonic() + ACK_GRACE_S
        while any(b.pending for b in self.connected) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.stop.set()
        for b in self.connected:
            with contextlib.suppress(Exception):
                await b.close()
        for r in self.readers:
            r.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        gc.unfreeze()
        gc.enable()

    def share(self) -> dict[str, Any]:
        """The raw measurements, to be merged with other processes' (:func:`merge`); the
        clock-derived ones against this process's own clock reference."""
        m = self.metrics
        return {
            "connected": len(self.connected),
            "lost": sum(len(b.pending) for b in self.bots),
            "presses": m.presses,
            "sales": m.sales,
            "rejected": m.rejected,
            "reasons": m.reasons,
            "rounds": sorted(m.rounds),
            "reconnects": m.reconnects,
            "ack_ms": m.ack_ms,
            "fanout_ms": m.fanout_ms(),
            "stop_fanout_ms": m.stop_fanout_ms(),
            "clock_error_ms": m.clock_error_ms(),
            "loop_lag_ms": m.loop_lag_ms,
        }


def merge(shares: list[dict[str, Any]]) -> dict[str, Any]:
    """Several client processes' measurements as one."""
    total: dict[str, Any] = {"reasons": {}, "rounds": set()}
    for share in shares:
        for key, value in share.items():
            if key == "reasons":
                for reason, n in value.items():
                    total["reasons"][reason] = total["reasons"].get(reason, 0) + n
            elif key == "rounds":
                total["rounds"].update(tuple(r) for r in value)
            else:
                total[key] = total.get(key, 0 if isinstance(value, int) else []) + value
    return total


def client_processes(buyers: int) -> int:
    """The default: one client process per 2,500 buyers, at most one per core."""
    return max(1, min(os.cpu_count() or 1, -(-buyers // 2500)))


async def run(
    url: str,
    buyers: int,
    duration_s: float,
    *,
    hall: str = demo.LOAD_HALL,
    staff: Staff | None = None,
    server_pid: int | None = None,
    seed: int | None = None,
    during: Callable[[], Awaitable[Any]] | None = None,
    acked_sales: list[dict[str, Any]] | None = None,
    interest: float = DEFAULT_INTEREST,
    processes: int = 1,
) -> dict[str, Any]:
    """Run the load test against ``url``; the result's keys are those of the issue:
    buyers, connected, presses, sales, rejected, lost, ack_p50_ms, ack_p99_ms, fanout_p99_ms,
    clock_error_p99_ms, server_cpu_pct (of one core; 200 is two cores busy).

    On one machine (loopback only) the buyers' clock and the server's run at the monotonic
    clock's rate and differ by a constant, known to a fraction of a ms from the fastest clock
    sample of the run: clock error is how far each buyer's offset estimate (the clock it draws
    the price with, after each re-estimate) is from it, and fan-out is how late a buyer reads
    of a round's start: its ``at`` → the buyer reading the message, both in server time, 0
    when the round was announced to him before it started (:class:`~.bots.Metrics`). Beside
    the issue's keys, ``stop_fanout_p99_ms``: a stop's ``at`` (the first valid press's arrival)
    → the buyers reading it, the state change no announcement can bring forward.

    With ``processes`` > 1 the buyers are shared among that many client processes (real
    buyers are many machines; one Python process reading 5,000 sockets' news is itself the
    slowest part of the figures); this process sets up, feeds lots and measures the server.
    ``during()`` runs beside the presses (the crash test kills and restarts the server in
    it); ``acked_sales`` receives, as they come, the sales the buyers saw acknowledged
    (buyer, lot, qty, price_fen, amount_fen) — both only with one process."""
    if processes > 1 and (during is not None or acked_sales is not None):
        raise ValueError("during and acked_sales need the buyers in this process")
    base = loopback_only(url)
    staff = staff or Staff()
    rng = random.Random(seed)
    run_id = f"LT{secrets.token_hex(3)}"
    users = [f"{USER_PREFIX}{n:05d}" for n in range(1, buyers + 1)]
    pid = server_pid or listening_pid(urlsplit(base).port or 80)
    roster = Buyers(
        base, hall, users, staff.password, dataclasses.replace(LOAD_BEHAVIOUR, interest=interest)
    )
    metrics = bots.Metrics()
    if acked_sales is not None:
        metrics.acked_sales = acked_sales
    stop = asyncio.Event()
    async with bots.session() as http:
        auctioneer = await prepare(http, base, hall, users, staff)
        if processes > 1:
            children = _Children(roster, rng, processes)
            connected = await children.join()
        else:
            fleet = Fleet(http, roster, rng, metrics)
            connected = await fleet.join()
        try:
            if processes > 1:
                children.go()
            else:
                fleet.start()
            await asyncio.sleep(0.5)  # first clock estimates
            cpu0, t0 = (cpu_seconds(pid) if pid else None), time.monotonic()
            feeder = asyncio.ensure_future(feed_lots(auctioneer, hall, stop, run_id))
            try:
                if during is None:
                    await asyncio.sleep(duration_s)
                else:
                    await asyncio.gather(asyncio.sleep(duration_s), during())
            finally:
                cpu1, t1 = (cpu_seconds(pid) if pid else None), time.monotonic()
                if processes > 1:
                    found = merge(await children.shares())
                else:
                    await fleet.finish()
                    found = merge([fleet.share()])
                stop.set()
                with contextlib.suppress(Exception):
                    await feeder
        finally:
            if processes > 1:
                children.end()
    return {
        "buyers": buyers,
        "interest": interest,
        "processes": processes,
        "connected": connected,
        "presses": found["presses"],
        "sales": found["sales"],
        "rejected": found["rejected"],
        "lost": found["lost"],
        "ack_p50_ms": percentile(found["ack_ms"], 50),
        "ack_p99_ms": percentile(found["ack_ms"], 99),
        "fanout_p99_ms": percentile(found["fanout_ms"], 99),
        "clock_error_p99_ms": percentile(found["clock_error_ms"], 99),
        "stop_fanout_p99_ms": percentile(found["stop_fanout_ms"], 99),
        "server_cpu_pct": (
            round(100 * (cpu1 - cpu0) / (t1 - t0), 1)
            if cpu0 is not None and cpu1 is not None
            else None  # no server process seen, or not the same one (the crash test)
        ),
        "rounds": len(found["rounds"]),
        "reconnects": found["reconnects"],
        "client_lag_p99_ms": percentile(found["loop_lag_ms"], 99),
        "duration_s": round(t1 - t0, 1),
        "rejections": dict(sorted(found["reasons"].items())),
    }


# ---------------------------------------------------------------------------- client processes

CHILD_JOIN_S = 900.0  # log-ins and connections of one child's buyers, at most


class _Children:
    """Client processes (spawned: no event loop is forked), each playing a share of the
    buyers: they log in and connect, report ready, press from ``go`` for the duration, and
    send back their measurements (:meth:`Fleet.share`)."""

    def __init__(self, buyers: Buyers, rng: random.Random, processes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.queue: Any = ctx.Queue()
        self.start_event: Any = ctx.Event()
        self.procs = [
            ctx.Process(
                target=_child,
                args=(buyers.part(i, processes), rng.random(), self.queue, self.start_event),
                daemon=True,
            )
            for i in range(processes)
        ]
        for proc in self.procs:
            proc.start()

    async def _next(self, kind: str, timeout: float) -> list[Any]:
        found: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(found) < len(self.procs):
            if not all(p.is_alive() for p in self.procs) and self.queue.empty():
                raise LoadTestError("a client process ended before it reported")
            try:
                got, value = await asyncio.to_thread(self.queue.get, True, 1.0)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise LoadTestError(f"client processes: no {kind} in {timeout:.0f} s") from None
                continue
            if got == "error":
                raise LoadTestError(f"a client process failed: {value}")
            found.append(value)
        return found

    async def join(self) -> int:
        return sum(await self._next("ready", CHILD_JOIN_S))

    def go(self) -> None:
        self.start_event.set()

    async def shares(self) -> list[dict[str, Any]]:
        """The duration is over: stop pressing, wait for the answers, report."""
        self.start_event.clear()
        return await self._next("share", 60.0 + ACK_GRACE_S)

    def end(self) -> None:
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


def _child(buyers: Buyers, seed: float, out: Any, go: Any) -> None:
    """A client process (see :class:`_Children`): it presses until the parent's duration is
    over, which it learns as ``go`` being cleared; it ends when its parent does."""
    from jiqun import aio

    parent = os.getppid()

    async def orphaned() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
        os._exit(1)  # the parent is gone (killed): nobody reads the figures, stop pressing

    async def play() -> None:
        watchdog = asyncio.ensure_future(orphaned())  # (kept referenced until the end)
        async with bots.session() as http:
            fleet = Fleet(http, buyers, random.Random(seed))
            out.put(("ready", await fleet.join()))
            await asyncio.to_thread(go.wait)
            fleet.start()
            while go.is_set():
                await asyncio.sleep(0.05)
            await fleet.finish()
            out.put(("share", fleet.share()))
        watchdog.cancel()

    try:
        aio.run(play())
    except Exception as e:  # told to the parent, which reports it
        out.put(("error", f"{type(e).__name__}: {e}"))


@contextlib.asynccontextmanager
async def demo_subprocess() -> AsyncIterator[tuple[str, int]]:
    """A demo server (no bots) in a child process on a free port: (URL, pid)."""
    with tempfile.TemporaryDirectory(prefix="jiqun-loadtest-") as folder:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "jiqun.market.service.demo",
            "--dir",
            folder,
            "--bots",
            "0",
            stdout=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if not line.startswith(b"ready "):
                raise LoadTestError("the demo server did not start")
            yield line.split()[1].decode(), proc.pid
        finally:
            if proc.returncode is None:
                proc.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 10)
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()


async def main(
    url: str | None,
    buyers: int,
    duration_s: float,
    hall: str = demo.LOAD_HALL,
    interest: float = DEFAULT_INTEREST,
    processes: int = 0,
) -> dict[str, Any]:
    """The command: against ``url``, or against a demo server started for the run
    (``processes`` 0: :func:`client_processes`)."""
    options: dict[str, Any] = {
        "hall": hall,
        "interest": interest,
        "processes": processes or client_processes(buyers),
    }
    if url is not None:
        return await run(url, buyers, duration_s, **options)
    async with demo_subprocess() as (started, pid):
        return await run(started, buyers, duration_s, server_pid=pid, **options)
