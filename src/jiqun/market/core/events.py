"""What goes into a hall's engine and what comes out (PRODUCT.md M3, M5).

Inputs carry the time they happened (a press: the server's arrival time), so that the engine
never reads a clock. Outputs are the state changes the hall announces and the ledger books.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from jiqun.market.core.model import Lot, Member

# ---------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Open:
    """The auctioneer starts the hall: the first lot's first round starts ``lead_ms`` after
    ``at_ms``. A replay opens at 0 with no lead (rulebook v1: the first round starts at 0); the
    live market leads by the hall's ``pause_ms``, the pause it keeps between any two lots, so
    that buyers see the first lot, and have its round announced, before its price falls."""

    at_ms: int
    lead_ms: int = 0


@dataclass(frozen=True, slots=True)
class Advance:
    """The timer: apply every transition due by ``at_ms`` (round starts, lapses, windows)."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class Press:
    """A buyer's press. ``qty`` is as received (checked by the rulebook: ``bad_quantity``).

    ``round`` and ``tick`` are what the client saw; they are journaled, not trusted.
    """

    at_ms: int
    buyer: str
    lot: str
    qty: object
    round: int | None = None
    tick: int | None = None


@dataclass(frozen=True, slots=True)
class AddLot:
    """A lot joins the end of the hall's queue."""

    at_ms: int
    lot: Lot


@dataclass(frozen=True, slots=True)
class AddMember:
    """A member joins the market (with a zero balance)."""

    at_ms: int
    member: Member


@dataclass(frozen=True, slots=True)
class Deposit:
    """The cashier takes ``amount_fen`` into a buyer's one-card wallet."""

    at_ms: int
    member: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A buyer takes money out of the wallet."""

    at_ms: int
    member: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Payout:
    """A supplier's proceeds are paid out."""

    at_ms: int
    member: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Suspend:
    """An administrator suspends (or, with ``suspended=False``, reinstates) a member."""

    at_ms: int
    member: str
    suspended: bool = True


@dataclass(frozen=True, slots=True)
class SetDailyLimit:
    """An administrator sets a buyer's daily purchase limit in fen (M1), or lifts it with
    ``None``; it holds from this instant, against what he has bought today already."""

    at_ms: int
    member: str
    limit_fen: int | None


@dataclass(frozen=True, slots=True)
class Pause:
    """The auctioneer holds the hall: a running clock stops without a sale (its price is kept
    for the resumption), and no round starts until :class:`Resume`."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class Resume:
    """The auctioneer releases the hall: a held round starts now."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class SetClock:
    """The auctioneer's speed and step; the running round keeps the ones it started with."""

    at_ms: int
    tick_ms: int
    step_fen: int


@dataclass(frozen=True, slots=True)
class WithdrawLot:
    """The auctioneer withdraws a lot before its first round starts."""

    at_ms: int
    lot: str


@dataclass(frozen=True, slots=True)
class ReorderLots:
    """The auctioneer orders the lots that have not started yet (all of them, once each)."""

    at_ms: int
    lots: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BlockLot:
    """The testing centre blocks a lot that failed quality control (PRODUCT.md M8): from now on
    an :class:`AddLot` with this id is refused (``lot_blocked``) in every hall of the market,
    and the lot, if it waits in this hall's queue and has not started, is withdrawn from it."""

    at_ms: int
    lot: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SealedAward:
    """A sealed-bid auction's award (PRODUCT.md M11): the winning buyer pays ``amount_fen``
    from his wallet, the seller's proceeds get it less the seller commission at
    ``commission_bps`` (M3 §6), the market's revenue the commission. The sealed module decides
    the winner; the engine moves the money, so that engines and ledger never disagree."""

    at_ms: int
    item: str
    buyer: str
    seller: str
    amount_fen: int
    commission_bps: int


@dataclass(frozen=True, slots=True)
class NewDay:
    """A new trading day: daily purchase limits start again."""

    at_ms: int


Input = (
    Open
    | Advance
    | Press
    | AddLot
    | AddMember
    | Deposit
    | Withdrawal
    | Payout
    | Suspend
    | SetDailyLimit
    | NewDay
    | Pause
    | Resume
    | SetClock
    | WithdrawLot
    | ReorderLots
    | BlockLot
    | SealedAward
)

# ---------------------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class RoundStarted:
    """Clients draw the falling price from this: S − ⌊(t − at) / tick⌋ · step until ``ends_at``."""

    lot: str
    round: int
    at_ms: int
    start_price_fen: int
    step_fen: int
    tick_ms: int
    ends_at_ms: int


@dataclass(frozen=True, slots=True)
class ClockStopped:
    lot: str
    round: int
    at_ms: int
    price_fen: int
    window_closes_at_ms: int


@dataclass(frozen=True, slots=True)
class Sale:
    lot: str
    round: int
    buyer: str
    supplier: str
    qty: int
    price_fen: int
    amount_fen: int
    buyer_fee_fen: int
    commission_fen: int
    at_ms: int
    variety: str
    grade: str
    unit_net_g: int


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The lot's remaining units lapse unsold (流拍)."""

    lot: str
    units: int
    at_ms: int


@dataclass(frozen=True, slots=True)
class Rejected:
    at_ms: int
    buyer: str
    lot: str
    qty: object
    reason: str


@dataclass(frozen=True, slots=True)
class ClockPaused:
    """The auctioneer stopped a running clock at ``price_fen``; nothing was sold."""

    lot: str
    round: int
    at_ms: int
    price_fen: int


@dataclass(frozen=True, slots=True)
class HallHeld:
    """The hall is held (``held``) or released by the auctioneer."""

    at_ms: int
    held: bool


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """The lots not yet started, in their new order (after a withdrawal or a reordering)."""

    at_ms: int
    lots: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommandRefused:
    """An auctioneer's command that the hall's state does not allow, and why."""

    at_ms: int
    command: str
    reason: str


@dataclass(frozen=True, slots=True)
class LotBlocked:
    """A lot was blocked by the testing centre (a :class:`Withdrawn` follows when it was still
    waiting in the queue)."""

    at_ms: int
    lot: str
    reason: str


@dataclass(frozen=True, slots=True)
class HallClosed:
    """No lot is left in the queue."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class CashMoved:
    """A deposit, withdrawal or payout was applied; ``balance_fen`` is the account after it."""

    kind: str  # "deposit" | "withdrawal" | "payout"
    member: str
    amount_fen: int
    at_ms: int
    balance_fen: int


@dataclass(frozen=True, slots=True)
class CashRefused:
    kind: str
    member: str
    amount_fen: int
    at_ms: int
    reason: str  # unknown_member | wrong_role | bad_amount | insufficient_funds


@dataclass(frozen=True, slots=True)
class SealedSettled:
    """A :class:`SealedAward` was paid (a refused one is a :class:`CommandRefused`)."""

    item: str
    buyer: str
    seller: str
    amount_fen: int
    commission_fen: int
    commission_bps: int
    at_ms: int


Output = (
    RoundStarted
    | ClockStopped
    | Sale
    | Withdrawn
    | Rejected
    | HallClosed
    | CashMoved
    | CashRefused
    | ClockPaused
    | HallHeld
    | QueueChanged
    | CommandRefused
    | LotBlocked
    | SealedSettled
)


def to_dict(event: Input | Output) -> dict[str, Any]:
    """An event as a JSON-ready dict with its type name under ``"type"``."""
    return {"type": type(event).__name__, **asdict(event)}
