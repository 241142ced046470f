"""The live channel's messages: frames as RFC 6455 lays them out, the board's state after the
auctioneer's clock settings, a stop window's summary."""

from __future__ import annotations

import json

import pytest

from jiqun.market.core.engine import HallEngine
from jiqun.market.core.events import AddLot, AddMember, Deposit, Open, Press, SetClock
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.service import protocol

CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=300, restart_steps=10, same_stop_ms=150)
FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)


def _unframe(data: bytes) -> tuple[int, int, bytes]:
    """(first byte, payload length, payload) read by RFC 6455 §5.2, independently."""
    first, second = data[0], data[1]
    assert second & 0x80 == 0  # a server's frames are not masked
    n, at = second & 0x7F, 2
    if n == 126:
        n, at = int.from_bytes(data[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(data[2:10], "big"), 10
    return first, n, data[at:]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_frame_header_lengths(size: int) -> None:
    text = "x" * size
    first, n, payload = _unframe(protocol.frame(text))
    assert first == 0x81  # FIN, text, no RSV bits (not compressed)
    assert n == size and payload == text.encode()
    header = {0: 2, 1: 2, 125: 2, 126: 4, 127: 4, 65535: 4, 65536: 10, 70000: 10}[size]
    assert len(protocol.frame(text)) == header + size


def test_frame_counts_utf8_bytes_not_characters() -> None:
    text = "黄瓜" * 30  # 60 characters, 180 bytes: the 16-bit length form
    _, n, payload = _unframe(protocol.frame(text))
    assert n == 180 and payload.decode() == text


def test_encode_is_compact_json() -> None:
    data = protocol.encode({"t": "sync", "c": 1, "s": 2, "v": "寿光"})
    assert _unframe(data)[2] == '{"t":"sync","c":1,"s":2,"v":"寿光"}'.encode()


def _hall() -> HallEngine:
    engine = HallEngine(CLOCK, FEES)
    engine.apply(AddMember(0, Member("B01", Role.BUYER)))
    engine.apply(AddMember(0, Member("S01", Role.SUPPLIER)))
    engine.apply(Deposit(0, "B01", 1_000_000))
    for lot_id in ("L001", "L002"):
        lot = Lot(lot_id, "S01", "黄瓜", "一级", 50, 10_000, 600, 199, 5, "寿光市", "纸箱")
        engine.apply(AddLot(0, lot))
    return engine


def test_hall_view_follows_the_auctioneers_clock_settings() -> None:
    engine = _hall()
    engine.apply(Open(1000))
    before = protocol.hall_view("A", engine)
    assert before["clock"]["tick_ms"] == 100 and before["round"]["tick_ms"] == 100
    engine.apply(SetClock(1050, 40, 5))  # speed and step for the next round
    view = protocol.hall_view("A", engine)
    assert view["clock"] == {"tick_ms": 40, "step_fen": 5, "same_stop_ms": 150}
    # the running round keeps what it started with: the client draws it as before
    assert view["round"]["tick_ms"] == 100 and view["round"]["step_fen"] == 2
    engine.apply(Press(1250, "B01", "L001", 10))  # stop at 600 − 2·2 = 596
    engine.apply(Press(1500, "B01", "L001", 5))  # the window closed: rejected, waiting
    after_pause = 1250 + 150 + 300
    restart = min(600, 596 + 10 * 5)  # restart_steps · the step now in force
    round_2 = {
        "lot": "L001",
        "round": 2,
        "at": after_pause,
        "start_fen": restart,
        "step_fen": 5,
        "tick_ms": 40,
        "ends_at": after_pause + ((restart - 199) // 5 + 1) * 40,
    }
    waiting = protocol.hall_view("A", engine)  # the next round is due: announced
    assert waiting["phase"] == "waiting" and waiting["round"] == round_2
    engine.apply(Press(after_pause + 10, "B01", "L002", 5))  # the next round has started
    view = protocol.hall_view("A", engine)
    assert view["phase"] == "running" and view["round"] == round_2
    assert "reserve_price_fen" not in json.dumps(view) and "199" not in json.dumps(view)


def test_hall_view_shows_a_held_hall() -> None:
    from jiqun.market.core.events import Pause

    engine = _hall()
    engine.apply(Open(0))
    engine.apply(Pause(500))
    view = protocol.hall_view("A", engine)
    assert view["held"] is True and view["phase"] == "waiting" and view["round"] is None


def test_sold_message_sums_the_window() -> None:
    sales = [
        {"t": "sale", "lot": "L1", "round": 2, "buyer": "B01", "qty": 20, "price_fen": 576},
        {"t": "sale", "lot": "L1", "round": 2, "buyer": "B02", "qty": 7, "price_fen": 576},
    ]
    m = protocol.sold_message("A", sales, remaining=23)
    assert m == {
        "t": "sold",
        "hall": "A",
        "lot": "L1",
        "round": 2,
        "price_fen": 576,
        "qty": 27,
        "remaining": 23,
        "sales": sales,
    }


@pytest.mark.parametrize("c", [0, 1_795_000_000_123, 1_795_000_000_123.25, -3.5e-7, 2**53])
def test_sync_reply_is_the_json_of_the_message(c: int | float) -> None:
    payload = _unframe(protocol.sync_reply(c, 1_795_000_000_200))[2]
    assert json.loads(payload) == {"t": "sync", "c": c, "s": 1_795_000_000_200}
    assert payload == protocol.dumps({"t": "sync", "c": c, "s": 1_795_000_000_200}).encode()
