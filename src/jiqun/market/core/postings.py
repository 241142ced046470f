"""Double-entry postings of the market's business events (PRODUCT.md M4), in integer fen.

An entry's amount is positive for a debit and negative for a credit; the entries of one
transaction sum to zero. Members' accounts are liabilities of the market (it holds their
money), so a member's balance is the negated sum of the account's entries and never below 0.

Accounts:

- ``wallet:<buyer>`` — a buyer's one-card wallet (liability)
- ``proceeds:<supplier>`` — a supplier's proceeds awaiting payout (liability)
- ``revenue:commission``, ``revenue:buyer_fee`` — the market's income, one account per fee
- ``cash`` — the cashier's cash and bank (asset); ``clearing`` — transfers in transit (asset)
- ``card_deposits`` — deposits paid for one-card cards (押金, liability)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiqun.market.core import RULE_VERSION
from jiqun.market.core.events import Sale, SealedSettled
from jiqun.market.core.model import MarketSettings

CASH = "cash"
CLEARING = "clearing"
CARD_DEPOSITS = "card_deposits"
COMMISSION = "revenue:commission"
BUYER_FEE = "revenue:buyer_fee"
REVENUE_ACCOUNTS = (COMMISSION, BUYER_FEE)


def wallet(member: str) -> str:
    return f"wallet:{member}"


def proceeds(member: str) -> str:
    return f"proceeds:{member}"


@dataclass(frozen=True)
class Entry:
    account: str
    amount_fen: int  # > 0 debit, < 0 credit


@dataclass(frozen=True)
class Transaction:
    """One business event, all or nothing; ``key`` is its idempotency key."""

    kind: str
    key: str
    entries: tuple[Entry, ...]
    at_ms: int
    meta: dict[str, str | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if sum(e.amount_fen for e in self.entries) != 0:
            raise ValueError(f"transaction {self.key}: entries do not sum to zero")
        if any(e.amount_fen == 0 for e in self.entries):
            raise ValueError(f"transaction {self.key}: an entry of zero")

    def reversal(self, key: str, at_ms: int, reason: str) -> Transaction:
        """The correcting transaction: the same entries with opposite signs."""
        entries = tuple(Entry(e.account, -e.amount_fen) for e in self.entries)
        return Transaction(
            "reversal", key, entries, at_ms, {"reverses": self.key, "reason": reason}
        )


def _nonzero(*entries: Entry) -> tuple[Entry, ...]:
    return tuple(e for e in entries if e.amount_fen != 0)


def sale(s: Sale, market: MarketSettings, key: str) -> Transaction:
    """Rulebook v1 §6: the buyer pays amount + fee, the supplier gets amount − commission,
    the market earns commission and fee."""
    return Transaction(
        "sale",
        key,
        _nonzero(
            Entry(wallet(s.buyer), s.amount_fen + s.buyer_fee_fen),
            Entry(proceeds(s.supplier), -(s.amount_fen - s.commission_fen)),
            Entry(COMMISSION, -s.commission_fen),
            Entry(BUYER_FEE, -s.buyer_fee_fen),
        ),
        s.at_ms,
        {
            "rule_version": RULE_VERSION,
            "seller_commission_bps": market.seller_commission_bps,
            "buyer_fee_bps": market.buyer_fee_bps,
            "lot": s.lot,
            "round": s.round,
            "qty": s.qty,
            "price_fen": s.price_fen,
            "unit_net_g": s.unit_net_g,
            "buyer": s.buyer,
            "supplier": s.supplier,
            "variety": s.variety,
            "grade": s.grade,
        },
    )


def sealed_award(s: SealedSettled, key: str) -> Transaction:
    """A sealed-bid award (M11): the buyer pays the amount, the seller gets it less the
    commission, the market earns the commission (no buyer fee)."""
    return Transaction(
        "sealed_award",
        key,
        _nonzero(
            Entry(wallet(s.buyer), s.amount_fen),
            Entry(proceeds(s.seller), -(s.amount_fen - s.commission_fen)),
            Entry(COMMISSION, -s.commission_fen),
        ),
        s.at_ms,
        {
            "rule_version": "sealed-v1",
            "seller_commission_bps": s.commission_bps,
            "item": s.item,
            "buyer": s.buyer,
            "seller": s.seller,
            "amount_fen": s.amount_fen,
        },
    )


def sealed_key(item: str) -> str:
    """An item is settled at most once: its award's ledger key is the item's own."""
    return f"sealed:{item}"


def deposit(member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH) -> Transaction:
    """Money in: cash (or a bank transfer in ``clearing``) against the buyer's wallet."""
    return Transaction(
        "deposit", key, (Entry(via, amount_fen), Entry(wallet(member), -amount_fen)), at_ms
    )


def withdrawal(member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH) -> Transaction:
    return Transaction(
        "withdrawal", key, (Entry(wallet(member), amount_fen), Entry(via, -amount_fen)), at_ms
    )


def payout(member: str, amount_fen: int, at_ms: int, key: str, via: str = CASH) -> Transaction:
    return Transaction(
        "payout", key, (Entry(proceeds(member), amount_fen), Entry(via, -amount_fen)), at_ms
    )


def card_deposit(member: str, amount_fen: int, at_ms: int, key: str) -> Transaction:
    """The deposit (押金) paid when a one-card card is issued."""
    return Transaction(
        "card_deposit",
        key,
        (Entry(CASH, amount_fen), Entry(CARD_DEPOSITS, -amount_fen)),
        at_ms,
        {"member": member},
    )
