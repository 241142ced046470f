"""Simulated remote buyers: real WebSocket clients of the live market (demo and load test).

One :class:`aiohttp.ClientSession` (no cookie jar: each buyer sends its own session cookie)
logs in any number of :class:`Bot` s on one event loop. A bot logs in over the JSON API, opens
``/ws/{hall}`` with its CSRF token (a picows connection: frames are parsed in C and handed to a
callback, no task per message — with 5,000 buyers in one client process aiohttp's reader tasks
made the client, not the server, the slowest part of every figure), estimates the server's
clock NTP-style over the same socket (the minimum-delay sample of the last few kept,
re-estimated periodically), draws the falling price itself from the ``round`` messages and
presses when the price reaches the one it likes, after a human reaction time. It records what
the load test reports: ack latency, fan-out of round starts, clock-estimate error, presses
without an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aiohttp
import picows

COOKIE = "jiqun_session"
SKIPPED = (b'{"t":"sold"', b'{"t":"withdrawn"', b'{"t":"queue"')  # never parsed (many clients)
MAX_FRAME = 1 << 20
TIGHT_RTT_MS = 20.0  # a clock sample with a round trip this short pins the offset to ±10 ms
TIGHT_RETRY_S = 1.0  # how soon to sample again while no sample was that tight
# what a failed (re)connection raises
CONNECT_ERRORS = (OSError, RuntimeError, ValueError, aiohttp.ClientError, picows.WSError)


_WALL_BASE_MS = time.time() * 1000.0 - time.monotonic() * 1000.0


def now_ms() -> float:
    """Wall-clock ms read once, then advanced by the monotonic clock — as the server's clock
    (``ServerClock``) is: on one machine the two then differ by a constant, which the load
    test recovers from the fastest clock sample of all (see :meth:`Metrics.reference_offset`)."""
    return _WALL_BASE_MS + time.monotonic() * 1000.0


@dataclass
class Metrics:
    """Shared by all bots of a run (one event loop, so no locks)."""

    presses: int = 0
    sales: int = 0
    rejected: int = 0
    acks: int = 0
    ack_ms: list[float] = field(default_factory=list)
    # each buyer's clock offset estimate (server − local, ms) each time it drew the clock;
    # and the fastest clock sample of all (round trip, offset)
    offsets: list[float] = field(default_factory=list)
    best_sample: tuple[float, float] = (float("inf"), 0.0)
    round_seen_local_ms: list[float] = field(default_factory=list)  # arrival − round's ``at``
    stop_seen_local_ms: list[float] = field(default_factory=list)  # arrival − the stop's ``at``
    reasons: dict[str, int] = field(default_factory=dict)
    rounds: set[tuple[str, int]] = field(default_factory=set)
    loop_lag_ms: list[float] = field(default_factory=list)
    acked_sales: list[dict[str, Any]] = field(default_factory=list)  # as each buyer saw them
    reconnects: int = 0

    def reference_offset(self) -> float:
        """Server clock − local clock, from the sample with the shortest round trip of all:
        on one machine both clocks run at the monotonic clock's rate, so the difference is a
        constant, known to within half that round trip (a fraction of a ms on loopback)."""
        return self.best_sample[1]

    def clock_error_ms(self) -> list[float]:
        """How far each buyer's drawn clock was from the server's: |estimate − reference|."""
        ref = self.reference_offset()
        return [abs(o - ref) for o in self.offsets]

    def fanout_ms(self) -> list[float]:
        """How late each buyer learnt of a round's start (``at``, server time): 0 when the
        announcement reached him before the price began to fall."""
        ref = self.reference_offset()
        return [max(0.0, seen + ref) for seen in self.round_seen_local_ms]

    def stop_fanout_ms(self) -> list[float]:
        """A stop (the first valid press's arrival, server time) → the buyer reading it: the
        whole path of a state change that cannot be announced ahead — commit, broadcast,
        delivery."""
        ref = self.reference_offset()
        return [seen + ref for seen in self.stop_seen_local_ms]


@dataclass
class Behaviour:
    """How a simulated buyer bids: it wants a lot with probability ``interest`` (drawn once
    per lot: a wholesaler buys some varieties, not every lot), likes a price ``like_steps``
    steps below the round's start and presses ``reaction_ms`` after the clock reaches it;
    seeing the clock stopped at a price within ``window_steps`` of its own, it presses at once
    to share the stop."""

    like_steps: tuple[int, int] = (3, 30)
    reaction_ms: tuple[int, int] = (120, 400)
    window_steps: int = 3
    share_probability: float = 0.5
    sync_every_s: tuple[float, float] = (2.0, 4.0)
    interest: float = 1.0


class Bot:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        base: str,
        hall: str,
        user: str,
        password: str,
        metrics: Metrics,
        behaviour: Behaviour | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.http, self.base, self.hall = http, base.rstrip("/"), hall
        self.user, self.password = user, password
        self.metrics = metrics
        self.behaviour = behaviour or Behaviour()
        self.rng = rng or random.Random()
        self.ws: picows.WSTransport | None = None
        self.cookie = ""
        self.csrf = ""
        self.offset: float | None = None  # server time − local time, ms
        self.samples: deque[tuple[float, float]] = deque(maxlen=8)  # (rtt, offset)
        self.pending: dict[int, tuple[float, str]] = {}  # press id → (local send time, lot)
        self.next_id = 0
        self.pressing = True
        self.lot: dict[str, Any] | None = None
        self.round: dict[str, Any] | None = None
        self.planned: asyncio.TimerHandle | None = None
        self.connected = False
        self.wanted: tuple[str, bool] = ("", False)  # (lot, whether this buyer wants it)

    # ------------------------------------------------------------------ connection

    async def login(self) -> None:
        async with self.http.post(
            f"{self.base}/api/login", json={"user": self.user, "password": self.password}
        ) as r:
            if r.status != 200:
                raise RuntimeError(f"login {self.user}: {r.status} {await r.text()}")
            self.csrf = (await r.json())["csrf"]
            morsel = r.cookies.get(COOKIE)
            if morsel is None:
                raise RuntimeError(f"login {self.user}: no session cookie")
            self.cookie = morsel.value

    async def connect(self) -> None:
        url = self.base.replace("http", "ws", 1) + f"/ws/{self.hall}?csrf={self.csrf}"
        self.ws, _ = await picows.ws_connect(
            partial(_Listener, self),
            url,
            extra_headers={"Cookie": f"{COOKIE}={self.cookie}"},
            max_frame_size=MAX_FRAME,
        )
        self.connected = True

    async def run(self, stop: asyncio.Event) -> None:
        """Take messages (in :class:`_Listener`'s callback) until the connection ends."""
        assert self.ws is not None
        syncer = asyncio.get_running_loop().create_task(self._sync_loop(stop))
        try:
            await self.ws.wait_disconnected()
        finally:
            syncer.cancel()
            self.connected = False

    async def life(self, stop: asyncio.Event, retry_s: float = 0.2) -> None:
        """:meth:`run`, and after a dropped connection connect again (with the same session:
        a restarted server with the same key accepts it) until ``stop``; the ``state`` that
        a new connection starts with puts the bot back on the clock."""
        while True:
            with contextlib.suppress(*CONNECT_ERRORS):
                await self.run(stop)
            while not stop.is_set():
                await asyncio.sleep(retry_s * (0.5 + self.rng.random()))
                try:
                    await self.connect()
                except CONNECT_ERRORS:
                    continue
                self.metrics.reconnects += 1
                break
            if stop.is_set():
                return

    async def close(self) -> None:
        if self.planned is not None:
            self.planned.cancel()
        ws = self.ws
        if ws is not None and not ws.is_disconnected:
            ws.send_close(picows.WSCloseCode.OK)
            ws.disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ws.wait_disconnected(), 5)

    # ------------------------------------------------------------------ clock

    def _send(self, message: dict[str, Any]) -> None:
        ws = self.ws
        if ws is None or ws.is_disconnected:
            return
        ws.send(picows.WSMsgType.TEXT, json.dumps(message, separators=(",", ":")).encode())

    def sync(self) -> None:
        self._send({"t": "sync", "c": now_ms()})

    async def _sync_loop(self, stop: asyncio.Event) -> None:
        for _ in range(4):  # a first estimate at once
            self.sync()
            await asyncio.sleep(0.05 + self.rng.random() * 0.05)
        lo, hi = self.behaviour.sync_every_s
        while not stop.is_set():
            tight = min(self.samples)[0] <= TIGHT_RTT_MS if self.samples else False
            # no tight sample yet (all taken while the server or this machine was busy):
            # ask again soon, as the page does
            await asyncio.sleep(lo + self.rng.random() * (hi - lo) if tight else TIGHT_RETRY_S)
            self.sync()

    def server_now(self) -> float:
        """The server's time as this buyer draws the clock (the offset it drew with is
        recorded: the load test's clock error)."""
        offset = self.offset or 0.0
        self.metrics.offsets.append(offset)
        return now_ms() + offset

    def _on_sync(self, m: dict[str, Any], arrived: float) -> None:
        c, s = float(m["c"]), float(m["s"])
        sample = (arrived - c, s - (c + arrived) / 2)  # (round trip, offset)
        self.samples.append(sample)
        self.offset = min(self.samples)[1]  # the minimum-delay sample of the recent ones
        met = self.metrics
        if sample < met.best_sample:
            met.best_sample = sample

    # ------------------------------------------------------------------ market

    def _on(self, m: dict[str, Any]) -> None:
        kind = m.get("t")
        arrived = now_ms()
        if kind == "sync":
            self._on_sync(m, arrived)
        elif kind == "ack":
            pressed = self.pending.pop(m.get("id", -1), None)
            if pressed is not None:
                sent, lot = pressed
                met = self.metrics
                met.acks += 1
                met.ack_ms.append(arrived - sent)
                if m.get("result") == "sale":
                    met.sales += 1
                    met.acked_sales.append(
                        {
                            "buyer": self.user,
                            "lot": lot,
                            "qty": m.get("qty"),
                            "price_fen": m.get("price_fen"),
                            "amount_fen": m.get("amount_fen"),
                        }
                    )
                else:
                    met.rejected += 1
                    reason = str(m.get("reason"))
                    met.reasons[reason] = met.reasons.get(reason, 0) + 1
        elif kind == "round":
            self.metrics.round_seen_local_ms.append(arrived - m["at"])
            self.metrics.rounds.add((m["lot"], m["round"]))
            self.round = m
            self._plan(m)
        elif kind == "stopped":
            self.metrics.stop_seen_local_ms.append(arrived - m["at"])
            self._on_stopped(m)
        elif kind == "state":
            self.lot = m.get("lot")
            rnd = m.get("round")
            if rnd is not None and m.get("phase") in ("running", "waiting"):
                self.round = {**rnd, "t": "round"}  # on the clock, or announced
                self._plan(self.round)
            elif self.planned is not None:  # held, stopped or closed: no press planned
                self.planned.cancel()
                self.planned = None

    def _lot_matches(self, lot_id: str) -> bool:
        return self.lot is not None and self.lot.get("id") == lot_id

    def _plan(self, rnd: dict[str, Any]) -> None:
        if self.planned is not None:
            self.planned.cancel()
            self.planned = None
        if not self.pressing or not self._wants(rnd["lot"]):
            return
        b = self.behaviour
        steps = self.rng.randint(*b.like_steps)
        like_at = rnd["at"] + steps * rnd["tick_ms"]
        if like_at >= rnd["ends_at"]:
            return  # the price never falls to what this buyer likes: he waits
        press_at = like_at + self.rng.randint(*b.reaction_ms)
        delay = max(0.0, press_at - self.server_now()) / 1000
        self.planned = asyncio.get_running_loop().call_later(delay, self._press, rnd, steps)

    def _on_stopped(self, m: dict[str, Any]) -> None:
        rnd = self.round
        if rnd is None or rnd["lot"] != m["lot"] or rnd["round"] != m["round"]:
            return
        if self.planned is not None:
            self.planned.cancel()
            self.planned = None
        if not self.pressing or not self._wants(rnd["lot"]):
            return
        b = self.behaviour
        stop_steps = (rnd["start_fen"] - m["price_fen"]) // max(1, rnd["step_fen"])
        steps = self.rng.randint(*b.like_steps)
        if steps <= stop_steps + b.window_steps and self.rng.random() < b.share_probability:
            self._press(rnd, stop_steps)

    def _wants(self, lot: str) -> bool:
        if self.wanted[0] != lot:
            self.wanted = (lot, self.rng.random() < self.behaviour.interest)
        return self.wanted[1]

    def _quantity(self) -> int:
        lot = self.lot or {}
        low = max(1, int(lot.get("min_purchase") or 1))
        return self.rng.randint(low, 3 * low)

    def _press(self, rnd: dict[str, Any], steps: int) -> None:
        self.planned = None
        if not self.pressing or self.ws is None or self.ws.is_disconnected:
            return
        tick = int(max(0.0, self.server_now() - rnd["at"]) // rnd["tick_ms"])
        self.next_id += 1
        self.pending[self.next_id] = (now_ms(), rnd["lot"])
        self.metrics.presses += 1
        self._send(
            {
                "t": "press",
                "id": self.next_id,
                "lot": rnd["lot"],
                "round": rnd["round"],
                "tick": tick,
                "qty": self._quantity(),
            }
        )


async def loop_lag(samples: list[float], stop: asyncio.Event, every_s: float = 0.01) -> None:
    """How late this event loop wakes up (ms): the clients' own delay in every figure."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + every_s
        await asyncio.sleep(every_s)
        samples.append((loop.time() - due) * 1000)


class _Listener(picows.WSListener):
    """A bot's connection: each text message is handed to :meth:`Bot._on` as it is parsed
    (the server sends every message as one unfragmented frame; fragments are joined)."""

    def __init__(self, bot: Bot) -> None:
        super().__init__()
        self.bot = bot
        self.parts: list[bytes] = []

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        kind = frame.msg_type
        if kind == picows.WSMsgType.TEXT or (kind == picows.WSMsgType.CONTINUATION):
            data = frame.get_payload_as_bytes()
            if not frame.fin or self.parts:
                self.parts.append(data)
                if not frame.fin:
                    return
                data, self.parts = b"".join(self.parts), []
            if not data.startswith(SKIPPED):  # the board's news: a bot has no use for it
                self.bot._on(json.loads(data))
        elif kind == picows.WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


def session(limit: int = 0) -> aiohttp.ClientSession:
    """One client session for many bots: no connection limit, no shared cookies."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, force_close=False),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
    )
