"""The live channel's JSON messages (one WebSocket per client; PRODUCT.md M5).

Client → server::

    {"t": "sync", "c": client_ms}
    {"t": "press", "id": client_id, "lot": "L001", "round": 1, "tick": 12, "qty": 5}

Server → client::

    {"t": "sync", "c": client_ms, "s": server_ms}        at once: offset = s − (c + rtt/2)
    {"t": "ack", "id": …, "result": "sale", "price_fen": …, "qty": …}      after the commit
    {"t": "ack", "id": …, "result": "rejected", "reason": "wrong_lot"}
    {"t": "state", "hall", "s", "seq", "phase", "held", "lot", "round", "stopped", "starts_at",
     "next", "lots_left", "clock", "results"}       on (re)connect, and when the lot or the
                                                    hall's settings change (pause, speed …)
    {"t": "round", "hall", "seq", "lot", "round", "at", "start_fen", "step_fen", "tick_ms",
     "ends_at"}
    {"t": "stopped", "hall", "seq", "lot", "round", "at", "price_fen", "window_closes_at"}
    {"t": "sold", "hall", "seq", "lot", "round", "price_fen", "qty", "remaining",
     "sales": [{"t": "sale", "lot", "round", "buyer", "variety", "grade", "qty", "price_fen",
                "at"}, …]}                          once, when a stop window closes
    {"t": "queue", "hall", "seq", "next", "lots_left"}  a lot was added among the next ones
    {"t": "withdrawn", "hall", "seq", "lot", "units", "at"}
    {"t": "closed", "hall", "seq", "at"}
    {"t": "error", "code": "bad_json" | "bad_message" | "too_big" | "binary", "id"?: …}

The price is never streamed: a client draws S − ⌊(t − at) / tick⌋ · step from ``round`` and its
estimate of the server's time. A round is announced as soon as it is due (when the stop window
or the lapse before it ends: rulebook §2 and §4 start it ``pause_ms`` later), so ``at`` is
usually in the future: clients show the start price until then, and every buyer has the round
when its price begins to fall, however long the broadcast takes to reach him. It is not sent
again when it starts. An input that changes the announced round before it starts (pause,
speed, queue, withdrawal) sends a ``state`` whose ``round`` replaces it (``null``: none is due);
a ``state`` in the waiting phase carries the announced round. A lot's reserve price appears in
no message (:func:`lot_public`).
The sales of a stop window go out as ONE ``sold`` message when the window closes (the buyer who
bought has his ``ack`` at once): with thousands of sockets, one message per sale per socket was
most of the server's work. ``seq`` is the journal input a message comes from: a client drops a
broadcast whose ``seq`` is not above that of the ``state`` it holds (the state already has it).
Broadcasts are encoded and framed once (:func:`frame`) and written as the same bytes to every
socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jiqun.market.core.engine import RUNNING, WINDOW, HallEngine
from jiqun.market.core.events import (
    ClockStopped,
    HallClosed,
    Output,
    RoundStarted,
    Sale,
    Withdrawn,
)
from jiqun.market.core.model import Lot

MAX_MESSAGE = 4096  # bytes: a longer message closes the connection (1009)
NEXT_LOTS = 6
MAX_ID = 64


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def frame(text: str) -> bytes:
    """``text`` as one unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2), as a
    server sends it: encoded once, the same bytes go to every subscriber of a hall."""
    data = text.encode("utf-8")
    n = len(data)
    if n < 126:
        return bytes((0x81, n)) + data
    if n < 1 << 16:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + data


def encode(message: dict[str, Any]) -> bytes:
    """A message as its WebSocket frame."""
    return frame(dumps(message))


def sync_reply(c: int | float, s: int) -> bytes:
    """The frame of ``{"t": "sync", "c": c, "s": s}`` without the JSON encoder: the most
    frequent message (every client, every few seconds). ``c`` is a finite number (checked by
    :func:`parse`), whose ``repr`` is its JSON, as ``json.dumps`` writes it."""
    return frame(f'{{"t":"sync","c":{c!r},"s":{s}}}')


def lot_public(lot: Lot, remaining: int | None = None) -> dict[str, Any]:
    """What buyers may see of a lot: everything but the reserve price."""
    out: dict[str, Any] = {
        "id": lot.id,
        "supplier": lot.supplier,
        "variety": lot.variety,
        "grade": lot.grade,
        "origin": lot.origin,
        "package": lot.package,
        "category": lot.category,
        "units": lot.units,
        "unit_net_g": lot.unit_net_g,
        "start_price_fen": lot.start_price_fen,
        "min_purchase": lot.min_purchase,
    }
    if remaining is not None:
        out["remaining"] = remaining
    return out


def hall_view(hall: str, engine: HallEngine) -> dict[str, Any]:
    """The hall's public state (call on the writer thread: it reads the engine)."""
    s, c = engine.state, engine.clock
    current = s.lots[s.current] if s.current < len(s.lots) else None
    round_: dict[str, Any] | None = None
    stopped: dict[str, Any] | None = None
    if current is not None and s.phase in (RUNNING, WINDOW):
        round_ = {  # the speed and step this round started with (SetClock: the next round's)
            "lot": current.lot.id,
            "round": current.rounds,
            "at": s.round_start,
            "start_fen": s.start_price,
            "step_fen": s.round_step,
            "tick_ms": s.round_tick,
            "ends_at": s.round_end,
        }
    elif (upcoming := engine.upcoming_round()) is not None:  # announced before it starts
        round_ = round_fields(upcoming)
    if current is not None and s.phase == WINDOW:
        stopped = {
            "at": s.stop_at,
            "price_fen": s.stop_price,
            "window_closes_at": s.stop_at + c.same_stop_ms,
        }
    following = [ls for ls in s.lots[s.current + 1 :] if ls.remaining > 0]
    return {
        "hall": hall,
        "phase": s.phase,
        "held": s.held,
        "lot": None if current is None else lot_public(current.lot, current.remaining),
        "round": round_,
        "stopped": stopped,
        "starts_at": s.start_at if s.phase == "waiting" else None,
        "next": [lot_public(ls.lot) for ls in following[:NEXT_LOTS]],
        "lots_left": len(following),
        # the speed and step of the next round (the auctioneer's SetClock), and the window
        "clock": {"tick_ms": s.tick_ms, "step_fen": s.step_fen, "same_stop_ms": c.same_stop_ms},
    }


def queue_view(hall: str, engine: HallEngine) -> dict[str, Any]:
    """The ``queue`` message: the next lots the board shows, after a lot was added (a buyer's
    console has no use for it; the ``state`` is for changes of the lot on the clock)."""
    s = engine.state
    following = [ls for ls in s.lots[s.current + 1 :] if ls.remaining > 0]
    return {
        "t": "queue",
        "hall": hall,
        "next": [lot_public(ls.lot) for ls in following[:NEXT_LOTS]],
        "lots_left": len(following),
    }


def sold_message(hall: str, sales: list[dict[str, Any]], remaining: int) -> dict[str, Any]:
    """The summary of one stop window: its sales (``sale`` messages, in order), their total
    quantity and the units of the lot left after it."""
    first = sales[0]
    return {
        "t": "sold",
        "hall": hall,
        "lot": first["lot"],
        "round": first["round"],
        "price_fen": first["price_fen"],
        "qty": sum(int(x["qty"]) for x in sales),
        "remaining": remaining,
        "sales": sales,
    }


def round_fields(out: RoundStarted) -> dict[str, Any]:
    """A round as clients draw it (in ``round`` messages and in the state's ``round``)."""
    return {
        "lot": out.lot,
        "round": out.round,
        "at": out.at_ms,
        "start_fen": out.start_price_fen,
        "step_fen": out.step_fen,
        "tick_ms": out.tick_ms,
        "ends_at": out.ends_at_ms,
    }


def event_message(hall: str, out: Output) -> dict[str, Any]:
    """A public output as its message (RoundStarted, ClockStopped, Sale, Withdrawn, closed).
    A ``sale`` is not broadcast alone: it is a result, and part of a :func:`sold_message`."""
    if isinstance(out, RoundStarted):
        return {"t": "round", "hall": hall, **round_fields(out)}
    if isinstance(out, ClockStopped):
        return {
            "t": "stopped",
            "hall": hall,
            "lot": out.lot,
            "round": out.round,
            "at": out.at_ms,
            "price_fen": out.price_fen,
            "window_closes_at": out.window_closes_at_ms,
        }
    if isinstance(out, Sale):
        return {
            "t": "sale",
            "hall": hall,
            "lot": out.lot,
            "round": out.round,
            "buyer": out.buyer,
            "variety": out.variety,
            "grade": out.grade,
            "qty": out.qty,
            "price_fen": out.price_fen,
            "at": out.at_ms,
        }
    if isinstance(out, Withdrawn):
        return {"t": "withdrawn", "hall": hall, "lot": out.lot, "units": out.units, "at": out.at_ms}
    if isinstance(out, HallClosed):
        return {"t": "closed", "hall": hall, "at": out.at_ms}
    raise ValueError(f"{type(out).__name__} is not announced")


# ---------------------------------------------------------------------------- client messages


class BadMessage(ValueError):
    def __init__(self, code: str, id_: object = None) -> None:
        super().__init__(code)
        self.code, self.id = code, id_


@dataclass(frozen=True)
class SyncMsg:
    c: int | float


@dataclass(frozen=True)
class PressMsg:
    id: str | int | None
    lot: str
    qty: object
    round: int | None
    tick: int | None


def _optional_int(value: object, id_: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not -(2**53) <= value <= 2**53:
        raise BadMessage("bad_message", id_)
    return value


def parse(text: str) -> SyncMsg | PressMsg:
    """A client's message, or :class:`BadMessage` with the error code to answer."""
    if len(text.encode("utf-8")) > MAX_MESSAGE:
        raise BadMessage("too_big")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadMessage("bad_json") from None
    if not isinstance(data, dict):
        raise BadMessage("bad_message")
    kind = data.get("t")
    if kind == "sync":
        c = data.get("c")
        if not isinstance(c, int | float) or isinstance(c, bool) or not abs(c) <= 2**53:
            raise BadMessage("bad_message")  # (not ≤ also refuses NaN)
        return SyncMsg(c)
    if kind == "press":
        id_ = data.get("id")
        if not (id_ is None or type(id_) is int or (type(id_) is str and len(id_) <= MAX_ID)):
            raise BadMessage("bad_message")
        lot = data.get("lot")
        if type(lot) is not str or not 0 < len(lot) <= MAX_ID:
            raise BadMessage("bad_message", id_)
        qty = data.get("qty")
        if not (qty is None or type(qty) in (int, float, str, bool)):
            raise BadMessage("bad_message", id_)  # the rulebook's bad_quantity is for scalars
        if type(qty) is str and len(qty) > MAX_ID:
            raise BadMessage("bad_message", id_)
        return PressMsg(
            id_,
            lot,
            qty,
            _optional_int(data.get("round"), id_),
            _optional_int(data.get("tick"), id_),
        )
    raise BadMessage("bad_message")
