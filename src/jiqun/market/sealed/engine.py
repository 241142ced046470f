"""The sealed-bid auction rulebook (issue 6, PRODUCT.md M11): pure, deterministic, no I/O.

An item is listed by a seller with a reserve and a bidding window ``[opens_ms, closes_ms)``.
Buyers submit sealed bids; each valid bid holds its amount of the bidder's balance until the
item closes. At the close the highest held bid at or above the reserve wins and pays its own
amount (first price); the market's seller commission is taken from it (M3 §6).

**Events.** Bids and closes run in time order. At one instant every close comes before every
bid (a bid at exactly ``closes_ms`` is late, and it sees the money that close released).
Several closes at one instant run in the items' input order; several bids at one instant in
the bids' input order. The order among closes cannot change any result: a close only touches
its own item's bids, and every hold was covered when it was made (see *conservation*), so it
only orders the ``awards`` and ``unsold`` lists.

**A bid** is checked in this order; the first failing check rejects it with its reason:

1. ``unknown_member`` — the bidder is not a member;
2. ``not_a_buyer`` — the bidder's role is not buyer (a supplier, the seller of any item
   included, never bids);
3. ``unknown_item`` — no such item;
4. ``window_closed`` — not ``opens_ms ≤ at_ms < closes_ms``;
5. ``bad_amount`` — the amount is not an integer ≥ 1 (a JSON ``5.0``, a string, ``true``,
   ``null`` are all bad: only a true integer counts);
6. ``insufficient_funds`` — the bidder's balance minus the amounts held for his bids on
   *other* open items is below the amount (equal is enough).

A valid bid holds its amount. A later valid bid of the same bidder on the same item replaces
his earlier one, up or down, and takes the later bid's time; its funds check ignores the bid
it replaces. A rejected bid changes nothing: an earlier bid stays in place.

**The close.** Among the held bids of the item with ``amount ≥ reserve_fen`` (so a reserve of
0 accepts every bid, and a bid equal to the reserve wins), the highest amount wins; ties go to
the earliest bid, then to the earlier one in input order. The winner's balance pays the
amount, the seller receives amount − commission, ``market:revenue`` the commission
``round_half_up(amount · seller_commission_bps / 10000)``. Every hold on the item is released.
An item with no such bid is unsold.

**Conservation.** A member's held total never exceeds his balance: a bid is accepted only if
it fits beside his other holds, and a winner pays from a balance that covered this hold plus
all his others. So no balance ever goes below zero, and the sum of all balances (members and
``market:revenue``) is the sum of the deposits at every moment.

**A replay** (:func:`run`) runs every bid and every item's close, so no hold is left at its
end: ``balances`` are each member's deposit less what he paid plus what he received (in the
members' input order, then ``market:revenue``); ``awards`` and ``unsold`` are in closing
order; ``rejected`` in the order the bids ran, each with its amount exactly as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from jiqun.market.core.engine import REVENUE
from jiqun.market.core.model import Role
from jiqun.market.core.money import fee

__all__ = [
    "REVENUE",
    "Auction",
    "Award",
    "Bid",
    "Book",
    "Held",
    "Item",
    "Member",
    "Reason",
    "Rejected",
    "Result",
    "Unsold",
    "run",
    "valid_amount",
]


class Reason(StrEnum):
    """Why a bid is rejected, in the order the checks run."""

    UNKNOWN_MEMBER = "unknown_member"
    NOT_A_BUYER = "not_a_buyer"
    UNKNOWN_ITEM = "unknown_item"
    WINDOW_CLOSED = "window_closed"
    BAD_AMOUNT = "bad_amount"
    INSUFFICIENT_FUNDS = "insufficient_funds"


@dataclass(frozen=True)
class Member:
    id: str
    role: Role
    deposit_fen: int = 0


@dataclass(frozen=True)
class Item:
    """An item for sale; bids count only in ``opens_ms ≤ at_ms < closes_ms``."""

    id: str
    seller: str
    reserve_fen: int
    opens_ms: int
    closes_ms: int

    def is_open(self, at_ms: int) -> bool:
        return self.opens_ms <= at_ms < self.closes_ms


@dataclass(frozen=True)
class Bid:
    """A bid as submitted: ``amount_fen`` is kept as given, a bad one is ``bad_amount``."""

    at_ms: int
    bidder: str
    item: str
    amount_fen: object


@dataclass(frozen=True)
class Auction:
    """A whole replay: the settings, the members with their deposits, the items, the bids."""

    seller_commission_bps: int
    members: tuple[Member, ...]
    items: tuple[Item, ...]
    bids: tuple[Bid, ...]


@dataclass(frozen=True)
class Held:
    """A standing bid: its amount is held until the item closes. ``seq`` is the input order."""

    at_ms: int
    seq: int
    bidder: str
    item: str
    amount_fen: int


@dataclass(frozen=True)
class Rejected:
    at_ms: int
    bidder: str
    item: str
    amount_fen: object
    reason: Reason


@dataclass(frozen=True)
class Award:
    item: str
    bidder: str
    seller: str
    amount_fen: int
    commission_fen: int
    at_ms: int  # the close


@dataclass(frozen=True)
class Unsold:
    item: str
    at_ms: int


def valid_amount(value: object) -> bool:
    """An integer ≥ 1: ``bool`` is an ``int`` subclass in Python but not an amount."""
    return type(value) is int and value >= 1


@dataclass
class Book:
    """The state of one market's sealed auctions: balances, items, standing bids.

    ``bid`` and ``close`` apply the rulebook to one event each and return what happened, so
    the same code decides a replay and the live market (which rebuilds a book from its tables
    and the ledger's balances before each decision).
    """

    seller_commission_bps: int
    roles: dict[str, Role]
    balances: dict[str, int]
    items: dict[str, Item]
    standing: dict[str, dict[str, Held]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls,
        seller_commission_bps: int,
        members: Iterable[Member],
        items: Iterable[Item],
    ) -> Book:
        members = tuple(members)
        balances = {m.id: m.deposit_fen for m in members}
        balances[REVENUE] = 0
        return cls(
            seller_commission_bps,
            {m.id: m.role for m in members},
            balances,
            {i.id: i for i in items},
        )

    def held_fen(self, bidder: str, *, except_item: str | None = None) -> int:
        """The amounts held for the bidder's standing bids on open items (optionally but one)."""
        return sum(
            bids[bidder].amount_fen
            for item, bids in self.standing.items()
            if item != except_item and bidder in bids
        )

    def available_fen(self, bidder: str) -> int:
        return self.balances.get(bidder, 0) - self.held_fen(bidder)

    def check(self, bid: Bid) -> Reason | None:
        """The first failing check of the rulebook, or None for a valid bid."""
        role = self.roles.get(bid.bidder)
        if role is None:
            return Reason.UNKNOWN_MEMBER
        if role is not Role.BUYER:
            return Reason.NOT_A_BUYER
        item = self.items.get(bid.item)
        if item is None:
            return Reason.UNKNOWN_ITEM
        if item.id in self.closed or not item.is_open(bid.at_ms):
            return Reason.WINDOW_CLOSED
        if not valid_amount(bid.amount_fen):
            return Reason.BAD_AMOUNT
        assert isinstance(bid.amount_fen, int)
        free = self.balances[bid.bidder] - self.held_fen(bid.bidder, except_item=item.id)
        if free < bid.amount_fen:
            return Reason.INSUFFICIENT_FUNDS
        return None

    def bid(self, bid: Bid, seq: int) -> Held | Rejected:
        """Check a bid; a valid one holds its amount, replacing the bidder's earlier bid."""
        reason = self.check(bid)
        if reason is not None:
            return Rejected(bid.at_ms, bid.bidder, bid.item, bid.amount_fen, reason)
        assert isinstance(bid.amount_fen, int)
        held = Held(bid.at_ms, seq, bid.bidder, bid.item, bid.amount_fen)
        self.standing.setdefault(bid.item, {})[bid.bidder] = held
        return held

    def winner(self, item_id: str) -> Held | None:
        """The highest standing bid at or above the reserve; ties: earliest, then input order."""
        item = self.items[item_id]
        eligible = [
            h for h in self.standing.get(item_id, {}).values() if h.amount_fen >= item.reserve_fen
        ]
        if not eligible:
            return None
        return min(eligible, key=lambda h: (-h.amount_fen, h.at_ms, h.seq))

    def close(self, item_id: str) -> Award | Unsold:
        """Close an item: settle the winner (if any) and release every hold on it."""
        item = self.items[item_id]
        best = self.winner(item_id)
        self.standing.pop(item_id, None)
        self.closed.add(item_id)
        if best is None:
            return Unsold(item.id, item.closes_ms)
        commission = fee(best.amount_fen, self.seller_commission_bps)
        self.balances[best.bidder] -= best.amount_fen
        self.balances[item.seller] = self.balances.get(item.seller, 0) + (
            best.amount_fen - commission
        )
        self.balances[REVENUE] += commission
        return Award(item.id, best.bidder, item.seller, best.amount_fen, commission, item.closes_ms)


@dataclass(frozen=True)
class Result:
    awards: tuple[Award, ...]
    unsold: tuple[Unsold, ...]
    rejected: tuple[Rejected, ...]
    balances: Mapping[str, int]

    def to_json(self) -> dict[str, object]:
        """The replay's output (issue 6): awards, unsold, rejected, balances."""
        return {
            "awards": [
                {
                    "item": a.item,
                    "bidder": a.bidder,
                    "amount_fen": a.amount_fen,
                    "commission_fen": a.commission_fen,
                }
                for a in self.awards
            ],
            "unsold": [u.item for u in self.unsold],
            "rejected": [
                {
                    "at_ms": r.at_ms,
                    "bidder": r.bidder,
                    "item": r.item,
                    "amount_fen": r.amount_fen,
                    "reason": r.reason.value,
                }
                for r in self.rejected
            ],
            "balances": dict(self.balances),
        }


_CLOSE, _BID = 0, 1  # at one instant, closes before bids


def events(auction: Auction) -> list[tuple[int, int, int]]:
    """(at_ms, kind, input index) of every close and bid, in the order they run."""
    closes = [(item.closes_ms, _CLOSE, i) for i, item in enumerate(auction.items)]
    bids = [(bid.at_ms, _BID, i) for i, bid in enumerate(auction.bids)]
    return sorted(closes + bids)


def run(auction: Auction) -> Result:
    """Replay a whole auction: every bid and every close, in time order (closes first at one
    instant, then input order). Balances list every member in input order, then revenue."""
    book = Book.of(auction.seller_commission_bps, auction.members, auction.items)
    awards: list[Award] = []
    unsold: list[Unsold] = []
    rejected: list[Rejected] = []
    for _, kind, index in events(auction):
        if kind == _CLOSE:
            outcome = book.close(auction.items[index].id)
            if isinstance(outcome, Award):
                awards.append(outcome)
            else:
                unsold.append(outcome)
        else:
            decided = book.bid(auction.bids[index], index)
            if isinstance(decided, Rejected):
                rejected.append(decided)
    balances = {m.id: book.balances[m.id] for m in auction.members}
    balances[REVENUE] = book.balances[REVENUE]
    return Result(tuple(awards), tuple(unsold), tuple(rejected), balances)
