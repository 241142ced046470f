"""Sealed-bid auctions in the running market (M11): the rulebook of :mod:`.engine` on the
market's tables and ledger. Every function here runs on the market's single writer thread
(``service.runner.call``), so that bids, closes and the clock's own inputs never interleave.

**Decisions.** A bid is decided by :class:`~.engine.Book` — the same code as ``jiqun market
sealed replay`` — built from the open items, their standing bids (``sealed_bids.standing``)
and the engines' balances (which the journal keeps equal to the ledger's). The bid's time is
the server's arrival time. The money a standing bid holds is not spendable by another sealed
bid; the clock does not know about it (a buyer can still spend it at the clock, and then may
not be able to pay at the close: the item is then ``unpaid``, nobody's money moves).

**Closing is lazy.** An item whose ``closes_ms`` has passed is closed by the first sealed-bid
request (page or API, any user) that arrives after it, before that request is decided — so a
close always comes before a bid at or after it, in the order of ``closes_ms``, then listing
order. No periodic task runs: nothing depends on a close happening earlier than the next time
someone looks, since results are shown only after the close and holds only matter to bids.

**Settlement** is a :class:`~jiqun.market.core.events.SealedAward` input journaled and applied
through :meth:`DurableMarket.submit`: the engine moves the money in its accounts and the
journal books one double-entry transaction in fen (wallet → seller's proceeds and
``revenue:commission``) under the idempotency key ``sealed:<item>``, in the same database
transaction as the journal row. An item can therefore be paid once only; if the server stops
between the payment and the item's status update, the next close finds the payment in the
ledger and records it instead of paying again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jiqun.market.core.events import CommandRefused, SealedAward, SealedSettled
from jiqun.market.core.model import Role
from jiqun.market.core.postings import COMMISSION, Entry, sealed_key
from jiqun.market.journal import DurableMarket
from jiqun.market.sealed.engine import Bid, Book, Held, Item, Rejected
from jiqun.market.sealed.tables import sealed_bids, sealed_items

ID_MAX = 64
TITLE_MAX = 200
SUSPENDED = "suspended"  # a live-market reason beside the rulebook's (see place_bid)
AMOUNT_MAX = 10**13  # fen: a hundred billion yuan, far above any wallet, far below BIGINT


class Refusal(ValueError):
    """A request about items that cannot be taken (an HTTP status and an error code)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Decision:
    """What became of a bid: accepted (``reason`` None) or the rulebook's reason."""

    item: str
    bidder: str
    at_ms: int
    amount_fen: object
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "bidder": self.bidder,
            "at_ms": self.at_ms,
            "amount_fen": self.amount_fen,
            "accepted": self.reason is None,
            "reason": self.reason,
        }


def _item(row: Any) -> Item:
    return Item(row.id, row.seller, int(row.reserve_fen), int(row.opens_ms), int(row.closes_ms))


def _book(m: DurableMarket, conn: Connection) -> Book:
    """The rulebook's state: every listed item (the closed ones marked closed), the standing
    bids on open items, the members' roles and balances as the engines keep them."""
    items = conn.execute(sa.select(sealed_items)).all()
    book = Book(
        seller_commission_bps=0,  # each item's own rate is paid by the engine at the close
        roles={mid: member.role for mid, member in m.accounts.members.items()},
        balances=dict(m.accounts.balances),
        items={row.id: _item(row) for row in items},
        closed={row.id for row in items if row.status != "open"},
    )
    for b in conn.execute(sa.select(sealed_bids).where(sealed_bids.c.standing.is_(True))):
        held = Held(int(b.at_ms), int(b.id), b.bidder, b.item, int(b.amount_fen))
        book.standing.setdefault(b.item, {})[b.bidder] = held
    return book


def close_due(m: DurableMarket, now: int) -> list[str]:
    """Close every open item whose window ended by ``now`` (see the module's docstring);
    the ids closed, in closing order."""
    closed: list[str] = []
    halls = sorted(m.halls)
    if not halls:
        return closed  # no engine to pay through yet: the items wait
    hall = halls[0]  # every hall shares the accounts; the award is an accounts-only input
    with m.engine.connect() as conn:
        due = conn.execute(
            sa.select(sealed_items)
            .where(sealed_items.c.status == "open", sealed_items.c.closes_ms <= now)
            .order_by(sealed_items.c.closes_ms, sealed_items.c.listed_at_ms, sealed_items.c.id)
        ).all()
    for row in due:
        with m.engine.connect() as conn:
            best = _book(m, conn).winner(row.id)
        values: dict[str, Any] = {"closed_at_ms": now, "status": "unsold"}
        if best is not None:
            values |= {"winner": best.bidder, "amount_fen": best.amount_fen}
            values |= _pay(m, hall, row, best, now)
        with m.engine.begin() as conn:
            conn.execute(sealed_items.update().where(sealed_items.c.id == row.id).values(values))
            conn.execute(
                sealed_bids.update()
                .where(sealed_bids.c.item == row.id, sealed_bids.c.standing.is_(True))
                .values(standing=False)
            )
        closed.append(row.id)
    return closed


def _pay(m: DurableMarket, hall: str, row: Any, best: Held, now: int) -> dict[str, Any]:
    paid = m.ledger.get(sealed_key(row.id))
    if paid is not None:  # paid before a restart cut the status update short: as paid
        return {
            "status": "sold",
            "winner": str(paid.meta["buyer"]),
            "amount_fen": int(paid.meta["amount_fen"]),
            "commission_fen": _commission_of(paid.entries),
        }
    at = max(now, m.halls[hall].state.now)
    award = SealedAward(at, row.id, best.bidder, row.seller, best.amount_fen, row.commission_bps)
    outputs = m.submit(hall, award)
    result = outputs[-1] if outputs else None
    if isinstance(result, SealedSettled):
        return {"status": "sold", "commission_fen": result.commission_fen}
    assert result is None or isinstance(result, CommandRefused)
    return {"status": "unpaid", "commission_fen": None}


def _commission_of(entries: tuple[Entry, ...]) -> int:
    return -sum(e.amount_fen for e in entries if e.account == COMMISSION)


def place_bid(m: DurableMarket, now: int, bidder: str, item: str, amount: object) -> Decision:
    """Close what is due, then decide the bid and record it (a bid on an item that was never
    listed is answered ``unknown_item`` and not recorded)."""
    close_due(m, now)
    with m.engine.begin() as conn:
        book = _book(m, conn)
        member = m.accounts.members.get(bidder)
        reason: str | None
        if member is not None and member.role is Role.BUYER and member.suspended:
            # the market's own rule for a suspended member (M1; the clock's order, M3 §5:
            # after not_a_buyer), beside the rulebook's checks
            reason = SUSPENDED
        else:
            decided = book.bid(Bid(now, bidder, item, amount), seq=0)
            reason = decided.reason.value if isinstance(decided, Rejected) else None
        if reason is not None:
            if item in book.items:
                stored = amount if type(amount) is int and abs(amount) <= AMOUNT_MAX else None
                conn.execute(
                    sealed_bids.insert().values(
                        item=item,
                        bidder=bidder,
                        amount_fen=stored,
                        at_ms=now,
                        reason=reason,
                        standing=False,
                    )
                )
            return Decision(item, bidder, now, amount, reason)
        conn.execute(
            sealed_bids.update()
            .where(
                sealed_bids.c.item == item,
                sealed_bids.c.bidder == bidder,
                sealed_bids.c.standing.is_(True),
            )
            .values(standing=False)
        )
        conn.execute(
            sealed_bids.insert().values(
                item=item, bidder=bidder, amount_fen=amount, at_ms=now, reason=None, standing=True
            )
        )
    return Decision(item, bidder, now, amount, None)


def add_item(m: DurableMarket, now: int, by: str, data: dict[str, Any]) -> dict[str, Any]:
    """List an item (auctioneer or administrator). The commission rate is the market's seller
    commission (M3) of its first hall, fixed now for this item."""
    item_id, seller, title = data.get("id"), data.get("seller"), data.get("title", "")
    if not isinstance(item_id, str) or not 0 < len(item_id) <= ID_MAX:
        raise Refusal(400, "bad_item")
    if not isinstance(title, str) or len(title) > TITLE_MAX:
        raise Refusal(400, "bad_item")
    ints = {}
    for key in ("reserve_fen", "opens_ms", "closes_ms"):
        value = data.get(key)
        if type(value) is not int or not 0 <= value <= AMOUNT_MAX * 10:
            raise Refusal(400, "bad_item")
        ints[key] = value
    if ints["opens_ms"] >= ints["closes_ms"] or ints["closes_ms"] <= now:
        raise Refusal(400, "bad_window")
    member = m.accounts.members.get(seller) if isinstance(seller, str) else None
    if member is None or member.role is not Role.SUPPLIER:
        raise Refusal(400, "bad_seller")
    if not m.configs:
        raise Refusal(409, "no_hall")
    bps = m.configs[sorted(m.configs)[0]].market.seller_commission_bps
    with m.engine.begin() as conn:
        if conn.execute(sa.select(sealed_items.c.id).where(sealed_items.c.id == item_id)).first():
            raise Refusal(409, "item_exists")
        conn.execute(
            sealed_items.insert().values(
                id=item_id,
                seller=seller,
                title=title,
                commission_bps=bps,
                listed_by=by,
                listed_at_ms=now,
                status="open",
                **ints,
            )
        )
    return {"id": item_id, "seller": seller, "title": title, "commission_bps": bps, **ints}


def overview(m: DurableMarket, now: int, viewer: str, staff: bool) -> dict[str, Any]:
    """Every item as ``viewer`` may see it (after closing what is due): the window, whether
    it is open, the reserve (its amount to staff and the seller only: a buyer learns whether
    there is one), his own standing bid, and the result once closed. Other bids never."""
    close_due(m, now)
    with m.engine.connect() as conn:
        rows = conn.execute(
            sa.select(sealed_items).order_by(
                sealed_items.c.closes_ms, sealed_items.c.listed_at_ms, sealed_items.c.id
            )
        ).all()
        mine = {
            b.item: int(b.amount_fen)
            for b in conn.execute(
                sa.select(sealed_bids.c.item, sealed_bids.c.amount_fen).where(
                    sealed_bids.c.bidder == viewer, sealed_bids.c.standing.is_(True)
                )
            )
        }
        book = _book(m, conn)
    items = [_public(row, now, viewer, staff) | {"my_bid_fen": mine.get(row.id)} for row in rows]
    out: dict[str, Any] = {"now_ms": now, "items": items}
    member = m.accounts.members.get(viewer)
    if member is not None and member.role is Role.BUYER:
        held = book.held_fen(viewer)
        out["me"] = {
            "balance_fen": book.balances.get(viewer, 0),
            "held_fen": held,
            "available_fen": book.balances.get(viewer, 0) - held,
        }
    return out


def _public(row: Any, now: int, viewer: str, staff: bool) -> dict[str, Any]:
    closed = row.status != "open"
    state = row.status if closed else ("open" if row.opens_ms <= now else "upcoming")
    shown: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "seller": row.seller,
        "opens_ms": int(row.opens_ms),
        "closes_ms": int(row.closes_ms),
        "state": state,
        "has_reserve": row.reserve_fen > 0,
        "reserve_fen": int(row.reserve_fen) if staff or viewer == row.seller or closed else None,
    }
    if closed:
        shown["result"] = {
            "status": row.status,
            "winner": row.winner,
            "amount_fen": None if row.amount_fen is None else int(row.amount_fen),
            "commission_fen": None if row.commission_fen is None else int(row.commission_fen),
        }
    return shown


def item_detail(m: DurableMarket, now: int, item: str, viewer: str, staff: bool) -> dict[str, Any]:
    """One item; its bids: the viewer's own while it is open, everyone's after the close."""
    close_due(m, now)
    with m.engine.connect() as conn:
        row = conn.execute(sa.select(sealed_items).where(sealed_items.c.id == item)).first()
        if row is None:
            raise Refusal(404, "unknown_item")
        query = sa.select(sealed_bids).where(sealed_bids.c.item == item)
        if row.status == "open":
            query = query.where(sealed_bids.c.bidder == viewer)
        bids = conn.execute(query.order_by(sealed_bids.c.id)).all()
    shown = _public(row, now, viewer, staff)
    shown["bids"] = [
        {
            "bidder": b.bidder,
            "amount_fen": None if b.amount_fen is None else int(b.amount_fen),
            "at_ms": int(b.at_ms),
            "accepted": b.reason is None,
            "reason": b.reason,
            "standing": bool(b.standing),
        }
        for b in bids
    ]
    shown["revealed"] = row.status != "open"
    return shown
