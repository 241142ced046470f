"""One hall's Dutch clock: a single-threaded state machine (clock rulebook v1, PRODUCT.md M3).

The engine is fed inputs in time order and answers each with the outputs it causes. Between
inputs, time-driven transitions happen at their instants: a round starts at T, lapses at
T + (K + 1)·tick_ms, a stop window closes at t1 + W. Transitions at an instant t are applied
before the presses of instant t, except the closing of a stop window, which comes after them
because the window [t1, t1 + W] includes its end.

Phases of the clock: ``waiting`` (a round is due at ``start_at``), ``running`` (the price
falls), ``window`` (stopped at ``stop_price``, presses in the window buy at it), ``closed``
(no lot left). Wallet balances, daily purchases and the market's revenue live here too, since
the press checks need them; the ledger books the same events as double entries.

Quality control (PRODUCT.md M8): a :class:`BlockLot` input records that a lot failed its tests.
The blocked lot ids are kept in the :class:`Accounts` the halls share, so the block holds in
every hall: an :class:`AddLot` with a blocked id is refused with
``CommandRefused(at, "AddLot", "lot_blocked")`` and changes nothing; a blocked lot still
waiting in the hall's queue (not started) is withdrawn from it at once (``LotBlocked``, then
``Withdrawn`` and ``QueueChanged`` as for the auctioneer's withdrawal). A lot whose first round
has started is not stopped by a block (the rules release a lot before it reaches a clock);
blocking a lot twice is refused (``already_blocked``). A market without blocks runs exactly
as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from jiqun.market.core.events import (
    AddLot,
    AddMember,
    Advance,
    BlockLot,
    CashMoved,
    CashRefused,
    ClockPaused,
    ClockStopped,
    CommandRefused,
    Deposit,
    HallClosed,
    HallHeld,
    Input,
    LotBlocked,
    NewDay,
    Open,
    Output,
    Pause,
    Payout,
    Press,
    QueueChanged,
    Rejected,
    ReorderLots,
    Resume,
    RoundStarted,
    Sale,
    SealedAward,
    SealedSettled,
    SetClock,
    SetDailyLimit,
    Suspend,
    Withdrawal,
    WithdrawLot,
    Withdrawn,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.core.money import fee, lot_amount

REVENUE = "market:revenue"

WAITING, RUNNING, WINDOW, CLOSED, IDLE = "waiting", "running", "window", "closed", "idle"


class EngineError(ValueError):
    """An input the engine cannot take (out of time order, or a malformed fact)."""


@dataclass
class LotState:
    lot: Lot
    remaining: int
    sold: int = 0
    withdrawn: int = 0
    rounds: int = 0


@dataclass
class Accounts:
    """Members, their one-card balances, today's purchases and the market's revenue.

    Shared by every hall of a market: a buyer has one wallet whichever hall he buys in. The
    halls' engines that share an instance are driven from one input sequence (one thread).
    """

    members: dict[str, Member] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=lambda: {REVENUE: 0})
    spent_today: dict[str, int] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)  # lot id → why it was blocked (M8)

    def add_member(self, member: Member) -> None:
        if member.id == REVENUE or member.id in self.members:
            raise EngineError(f"member {member.id} is already known")
        self.members[member.id] = member
        self.balances[member.id] = 0


@dataclass
class HallState:
    """Everything one hall's engine knows; a snapshot is this, copied."""

    now: int = 0
    phase: str = IDLE
    lots: list[LotState] = field(default_factory=list)
    current: int = 0  # index into lots of the lot on the clock
    start_at: int = 0  # waiting: when the next round starts
    start_price: int = 0  # waiting / running: the round's start price
    round_start: int = 0  # running: T
    round_end: int = 0  # running: T + (K + 1)·tick, the lapse instant
    stop_at: int = 0  # window: t1
    stop_price: int = 0  # window: p1
    held: bool = False  # the auctioneer holds the hall: no round starts
    tick_ms: int = 0  # the clock's speed and step for the next round (0: the hall's settings)
    step_fen: int = 0
    round_tick: int = 0  # running: the speed and step the round started with
    round_step: int = 0
    accounts: Accounts = field(default_factory=Accounts)


class HallEngine:
    """The clock of one hall and the wallets it checks presses against."""

    def __init__(
        self,
        clock: ClockSettings,
        market: MarketSettings,
        members: Iterable[Member] = (),
        lots: Iterable[Lot] = (),
        state: HallState | None = None,
    ) -> None:
        _check_clock(clock)
        self.clock = clock
        self.market = market
        self.state = state if state is not None else HallState()
        self.accounts = self.state.accounts
        if not self.state.tick_ms:
            self.state.tick_ms, self.state.step_fen = clock.tick_ms, clock.step_fen
        self._lot_ids = {s.lot.id for s in self.state.lots}  # derived: the queue's ids
        for member in members:
            self.accounts.add_member(member)
        for lot in lots:
            self._append(lot)

    # ------------------------------------------------------------------ facts

    def _append(self, lot: Lot) -> None:
        _check_lot(lot, self.clock)
        members = self.accounts.members
        if lot.supplier not in members:
            raise EngineError(f"lot {lot.id}: unknown supplier {lot.supplier}")
        if members[lot.supplier].role is not Role.SUPPLIER:
            raise EngineError(f"lot {lot.id}: {lot.supplier} is not a supplier")
        if lot.id in self._lot_ids:
            raise EngineError(f"lot {lot.id} is already queued")
        self.state.lots.append(LotState(lot, lot.units))
        self._lot_ids.add(lot.id)

    # ------------------------------------------------------------------ inputs

    def apply(self, event: Input) -> list[Output]:
        """Apply one input; return the outputs it causes, transitions due before it first."""
        at = event.at_ms
        s = self.state
        if at < s.now:
            raise EngineError(f"input at {at} ms is earlier than the engine's time {s.now} ms")
        out: list[Output] = []
        if isinstance(event, Press):
            self._advance(at, out, close_windows_at=False)
            self._press(event, out)
        elif isinstance(event, Advance):
            self._advance(at, out, close_windows_at=False)
        elif isinstance(event, Deposit | Withdrawal | Payout):
            self._advance(at, out, close_windows_at=False)
            self._cash(event, out)
        elif isinstance(event, Open):
            if s.phase != IDLE:
                raise EngineError("the hall is already open")
            if type(event.lead_ms) is not int or event.lead_ms < 0:
                raise EngineError(f"bad opening lead {event.lead_ms!r}")
            s.now = at
            self._next_lot(0, at + event.lead_ms, out)
            self._advance(at, out, close_windows_at=False)
        elif isinstance(event, AddLot):
            self._advance(at, out, close_windows_at=False)
            if event.lot.id in self.accounts.blocked:
                out.append(CommandRefused(at, "AddLot", "lot_blocked"))
                s.now = at
                return out
            self._append(event.lot)
            if s.phase == CLOSED:  # the queue had run dry: the new lot starts now
                self._next_lot(len(s.lots) - 1, at, out)
                self._advance(at, out, close_windows_at=False)
        elif isinstance(event, AddMember):
            self.accounts.add_member(event.member)
        elif isinstance(event, SealedAward):  # the accounts only, like AddMember: no clock
            self._sealed(event, out)
        elif isinstance(event, Suspend):
            self._advance(at, out, close_windows_at=False)
            member = self.accounts.members.get(event.member)
            if member is None:
                raise EngineError(f"unknown member {event.member}")
            self.accounts.members[event.member] = Member(
                member.id, member.role, event.suspended, member.daily_limit_fen
            )
        elif isinstance(event, SetDailyLimit):
            self._advance(at, out, close_windows_at=False)
            member = self.accounts.members.get(event.member)
            if member is None:
                raise EngineError(f"unknown member {event.member}")
            if event.limit_fen is not None and event.limit_fen < 0:
                raise EngineError(f"negative daily limit {event.limit_fen}")
            self.accounts.members[event.member] = Member(
                member.id, member.role, member.suspended, event.limit_fen
            )
        elif isinstance(event, NewDay):
            self._advance(at, out, close_windows_at=False)
            self.accounts.spent_today.clear()
        elif isinstance(event, BlockLot):
            self._advance(at, out, close_windows_at=False)
            self._block(event, out)
        else:
            self._advance(at, out, close_windows_at=False)
            self._command(event, out)
        s.now = at
        return out

    def finish(self) -> list[Output]:
        """Run the clock out: every remaining round lapses (the end of a replay)."""
        out: list[Output] = []
        s = self.state
        while s.phase in (WAITING, RUNNING, WINDOW) and not (s.phase == WAITING and s.held):
            due = {WAITING: s.start_at, RUNNING: s.round_end, WINDOW: self._window_end()}[s.phase]
            self._advance(due, out, close_windows_at=True)
        return out

    # ------------------------------------------------------------------ time

    def _window_end(self) -> int:
        return self.state.stop_at + self.clock.same_stop_ms

    def _advance(self, t: int, out: list[Output], close_windows_at: bool) -> None:
        """Apply the transitions due by ``t``; a window ending at ``t`` closes only if asked."""
        s, c = self.state, self.clock
        while True:
            if s.phase == WAITING and s.start_at <= t and not s.held:
                self._start_round(out)
            elif s.phase == RUNNING and s.round_end <= t:
                state = s.lots[s.current]
                units, state.remaining = state.remaining, 0
                state.withdrawn += units
                out.append(Withdrawn(state.lot.id, units, s.round_end))
                self._next_lot(s.current + 1, s.round_end + c.pause_ms, out)
            elif s.phase == WINDOW and (
                self._window_end() < t or (close_windows_at and self._window_end() == t)
            ):
                end = self._window_end()
                state = s.lots[s.current]
                if state.remaining == 0:
                    self._next_lot(s.current + 1, end + c.pause_ms, out)
                else:
                    restart = s.stop_price + c.restart_steps * s.step_fen
                    s.phase, s.start_at = WAITING, end + c.pause_ms
                    s.start_price = min(state.lot.start_price_fen, restart)
            else:
                return

    def _next_lot(self, index: int, at: int, out: list[Output]) -> None:
        s = self.state
        while index < len(s.lots) and s.lots[index].remaining == 0:
            index += 1  # a lot with no units has nothing to sell
        s.current = index
        if index >= len(s.lots):
            s.phase = CLOSED
            out.append(HallClosed(at))
            return
        s.phase, s.start_at = WAITING, at
        s.start_price = s.lots[index].lot.start_price_fen

    def upcoming_round(self) -> RoundStarted | None:
        """The round that starts at ``start_at`` unless an input comes first that changes it
        (the auctioneer's pause, speed or queue, a withdrawal): what the live market announces
        before the round starts, so that every buyer has it when the price begins to fall."""
        s = self.state
        if s.phase != WAITING or s.held or s.current >= len(s.lots):
            return None
        state = s.lots[s.current]
        steps = (s.start_price - state.lot.reserve_price_fen) // s.step_fen  # K
        return RoundStarted(
            state.lot.id,
            state.rounds + 1,
            s.start_at,
            s.start_price,
            s.step_fen,
            s.tick_ms,
            s.start_at + (steps + 1) * s.tick_ms,  # rulebook §1: T + (K + 1)·tick_ms
        )

    def _start_round(self, out: list[Output]) -> None:
        s = self.state
        started = self.upcoming_round()
        assert started is not None  # (called only while waiting, not held, a lot on the clock)
        s.lots[s.current].rounds = started.round
        s.round_tick, s.round_step = started.tick_ms, started.step_fen
        s.phase, s.round_start, s.round_end = RUNNING, started.at_ms, started.ends_at_ms
        out.append(started)

    # ------------------------------------------------------------------ presses

    def _press(self, press: Press, out: list[Output]) -> None:
        """Rulebook v1 §5: the checks in order; the first that fails rejects the press."""
        s, c, accounts = self.state, self.clock, self.accounts
        at, buyer = press.at_ms, press.buyer

        def reject(reason: str) -> None:
            out.append(Rejected(at, buyer, press.lot, press.qty, reason))

        member = accounts.members.get(buyer)
        if member is None:
            return reject("unknown_member")
        if member.role is not Role.BUYER:
            return reject("not_a_buyer")
        if member.suspended:
            return reject("suspended")
        if s.phase != RUNNING and s.phase != WINDOW:
            return reject("no_running_clock")
        state = s.lots[s.current]
        lot = state.lot
        if press.lot != lot.id:
            return reject("wrong_lot")
        remaining = state.remaining
        if remaining == 0:
            return reject("sold_out")
        qty = press.qty
        if type(qty) is not int or qty <= 0:
            return reject("bad_quantity")
        if qty < (lot.min_purchase if remaining >= lot.min_purchase else remaining):
            return reject("below_minimum")
        price = self._price_at(at) if s.phase == RUNNING else s.stop_price
        granted = qty if qty < remaining else remaining
        amount = lot_amount(price, granted, lot.unit_net_g)
        buyer_fee = fee(amount, self.market.buyer_fee_bps)
        balances = accounts.balances
        if balances[buyer] < amount + buyer_fee:
            return reject("insufficient_funds")
        spent = accounts.spent_today.get(buyer, 0)
        if member.daily_limit_fen is not None and spent + amount > member.daily_limit_fen:
            return reject("over_daily_limit")

        if s.phase == RUNNING:
            s.phase, s.stop_at, s.stop_price = WINDOW, at, price
            out.append(ClockStopped(lot.id, state.rounds, at, price, at + c.same_stop_ms))
        commission = fee(amount, self.market.seller_commission_bps)
        state.remaining = remaining - granted
        state.sold += granted
        balances[buyer] -= amount + buyer_fee
        balances[lot.supplier] += amount - commission
        balances[REVENUE] += commission + buyer_fee
        accounts.spent_today[buyer] = spent + amount
        out.append(
            Sale(
                lot.id,
                state.rounds,
                buyer,
                lot.supplier,
                granted,
                price,
                amount,
                buyer_fee,
                commission,
                at,
                lot.variety,
                lot.grade,
                lot.unit_net_g,
            )
        )

    def _price_at(self, t: int) -> int:
        """Rulebook v1 §1: S − ⌊(t − T) / tick⌋ · step, for a running round."""
        s = self.state
        return s.start_price - ((t - s.round_start) // s.round_tick) * s.round_step

    # ------------------------------------------------------------------ the auctioneer

    def _pending(self) -> list[int]:
        """Indices of the lots not started yet, in queue order."""
        s = self.state
        first = s.current if s.phase in (IDLE, WAITING) else s.current + 1
        return [
            i
            for i in range(first, len(s.lots))
            if s.lots[i].rounds == 0 and s.lots[i].remaining > 0
        ]

    def _command(self, event: Input, out: list[Output]) -> None:
        """Pause, Resume, SetClock, WithdrawLot, ReorderLots (extensions of rulebook v1 that
        leave v1 results unchanged: a day without them runs exactly as before)."""
        s, at = self.state, event.at_ms
        name = type(event).__name__

        def refuse(reason: str) -> None:
            out.append(CommandRefused(at, name, reason))

        if isinstance(event, Pause):
            if s.phase in (IDLE, CLOSED):
                return refuse("hall_not_running")
            if s.held:
                return refuse("already_held")
            s.held = True
            out.append(HallHeld(at, True))
            if s.phase == RUNNING:
                price = self._price_at(at)
                lot = s.lots[s.current]
                out.append(ClockPaused(lot.lot.id, lot.rounds, at, price))
                s.phase, s.start_price, s.start_at = WAITING, price, at
        elif isinstance(event, Resume):
            if not s.held:
                return refuse("not_held")
            s.held = False
            out.append(HallHeld(at, False))
            if s.phase == WAITING:
                s.start_at = max(s.start_at, at)
            self._advance(at, out, close_windows_at=False)
        elif isinstance(event, SetClock):
            if type(event.tick_ms) is not int or type(event.step_fen) is not int:
                return refuse("bad_setting")
            if event.tick_ms <= 0 or event.step_fen <= 0:
                return refuse("bad_setting")
            s.tick_ms, s.step_fen = event.tick_ms, event.step_fen
        elif isinstance(event, WithdrawLot):
            index = self._index(event.lot)
            if index is None:
                return refuse("unknown_lot")
            if index not in self._pending():
                return refuse("already_started")
            self._withdraw_pending(index, at, out)
        elif isinstance(event, ReorderLots):
            pending = self._pending()
            ids = [s.lots[i].lot.id for i in pending]
            if sorted(event.lots) != sorted(ids) or len(set(event.lots)) != len(event.lots):
                return refuse("not_the_pending_lots")
            by_id = {s.lots[i].lot.id: s.lots[i] for i in pending}
            for i, lot_id in zip(pending, event.lots, strict=True):
                s.lots[i] = by_id[lot_id]
            if s.phase == WAITING and pending and pending[0] == s.current:
                s.start_price = s.lots[s.current].lot.start_price_fen
            out.append(QueueChanged(at, tuple(event.lots)))
        else:
            raise EngineError(f"unknown input {name}")

    def _index(self, lot_id: str) -> int | None:
        return next((i for i, ls in enumerate(self.state.lots) if ls.lot.id == lot_id), None)

    def _withdraw_pending(self, index: int, at: int, out: list[Output]) -> None:
        """Take a lot that has not started out of the queue (its units are withdrawn)."""
        s = self.state
        state = s.lots[index]
        units, state.remaining = state.remaining, 0
        state.withdrawn += units
        out.append(Withdrawn(state.lot.id, units, at))
        if s.phase == WAITING and index == s.current:
            self._next_lot(s.current + 1, s.start_at, out)
        out.append(QueueChanged(at, tuple(s.lots[i].lot.id for i in self._pending())))

    # ------------------------------------------------------------------ quality control

    def _block(self, event: BlockLot, out: list[Output]) -> None:
        """M8: record the block (every hall refuses the lot from now on) and withdraw the lot
        from this hall's queue if it has not started."""
        at, blocked = event.at_ms, self.accounts.blocked
        if type(event.lot) is not str or not event.lot or type(event.reason) is not str:
            out.append(CommandRefused(at, "BlockLot", "bad_lot"))
            return
        if event.lot in blocked:
            out.append(CommandRefused(at, "BlockLot", "already_blocked"))
            return
        blocked[event.lot] = event.reason
        out.append(LotBlocked(at, event.lot, event.reason))
        index = self._index(event.lot)
        if index is not None and index in self._pending():
            self._withdraw_pending(index, at, out)

    # ------------------------------------------------------------------ cash

    def _cash(self, event: Deposit | Withdrawal | Payout, out: list[Output]) -> None:
        accounts = self.accounts
        kind = {Deposit: "deposit", Withdrawal: "withdrawal", Payout: "payout"}[type(event)]
        member = accounts.members.get(event.member)

        def refuse(reason: str) -> None:
            out.append(CashRefused(kind, event.member, event.amount_fen, event.at_ms, reason))

        if member is None:
            return refuse("unknown_member")
        wanted = Role.SUPPLIER if kind == "payout" else Role.BUYER
        if member.role is not wanted:
            return refuse("wrong_role")
        amount = event.amount_fen
        if type(amount) is not int or amount <= 0:
            return refuse("bad_amount")
        sign = 1 if kind == "deposit" else -1
        balances = accounts.balances
        if balances[member.id] + sign * amount < 0:
            return refuse("insufficient_funds")
        balances[member.id] += sign * amount
        out.append(CashMoved(kind, member.id, amount, event.at_ms, balances[member.id]))

    def _sealed(self, event: SealedAward, out: list[Output]) -> None:
        """Pay a sealed-bid award (M11) from the buyer's wallet, or refuse it."""
        accounts = self.accounts
        buyer = accounts.members.get(event.buyer)
        seller = accounts.members.get(event.seller)
        amount, bps = event.amount_fen, event.commission_bps

        def refuse(reason: str) -> None:
            out.append(CommandRefused(event.at_ms, "SealedAward", reason))

        if buyer is None or seller is None:
            return refuse("unknown_member")
        if buyer.role is not Role.BUYER or seller.role is not Role.SUPPLIER:
            return refuse("wrong_role")
        if type(amount) is not int or amount <= 0 or type(bps) is not int or not 0 <= bps <= 10000:
            return refuse("bad_amount")
        balances = accounts.balances
        if balances[buyer.id] < amount:
            return refuse("insufficient_funds")
        commission = fee(amount, bps)
        balances[buyer.id] -= amount
        balances[seller.id] += amount - commission
        balances[REVENUE] += commission
        out.append(
            SealedSettled(event.item, buyer.id, seller.id, amount, commission, bps, event.at_ms)
        )


def _check_clock(c: ClockSettings) -> None:
    if c.tick_ms <= 0 or c.step_fen <= 0:
        raise EngineError("tick_ms and step_fen must be positive")
    if min(c.pause_ms, c.restart_steps, c.same_stop_ms) < 0:
        raise EngineError("pause_ms, restart_steps and same_stop_ms must not be negative")


def _check_lot(lot: Lot, clock: ClockSettings) -> None:
    if lot.units < 0 or lot.unit_net_g <= 0 or lot.min_purchase <= 0:
        raise EngineError(f"lot {lot.id}: units ≥ 0, unit_net_g > 0 and min_purchase > 0")
    if not 0 <= lot.reserve_price_fen <= lot.start_price_fen:
        raise EngineError(f"lot {lot.id}: 0 ≤ reserve price ≤ start price")
