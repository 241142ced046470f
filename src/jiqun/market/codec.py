"""Engine inputs and engine state as JSON: the journal's payloads and the snapshots.

A journal row keeps the input's kind and time in columns and the rest here, as compact as a
plain JSON object allows (recovery decodes a million of them). A snapshot is the state of every
hall of a market and the accounts they share; decoding it and replaying the journal after it
must give exactly what replaying the whole journal gives, which the tests check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from typing import Any

from jiqun.market.core.engine import Accounts, HallState, LotState
from jiqun.market.core.events import (
    AddLot,
    AddMember,
    Advance,
    BlockLot,
    Deposit,
    Input,
    NewDay,
    Open,
    Pause,
    Payout,
    Press,
    ReorderLots,
    Resume,
    SealedAward,
    SetClock,
    SetDailyLimit,
    Suspend,
    Withdrawal,
    WithdrawLot,
)
from jiqun.market.core.model import Lot, Member, Role


class CodecError(ValueError):
    """A journal row or snapshot this version cannot read."""


JSONScalar = str | int | float | bool | None


def _qty(value: object) -> JSONScalar:
    """A press's quantity as received; what JSON cannot hold is kept as text (the rulebook
    rejects it as ``bad_quantity`` either way, so the replay decides the same)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def member_json(m: Member) -> dict[str, Any]:
    return {
        "id": m.id,
        "role": m.role.value,
        "suspended": m.suspended,
        "daily_limit_fen": m.daily_limit_fen,
    }


def member_from(d: Mapping[str, Any]) -> Member:
    return Member(d["id"], Role(d["role"]), d["suspended"], d["daily_limit_fen"])


def lot_json(lot: Lot) -> dict[str, Any]:
    return asdict(lot)


def lot_from(d: Mapping[str, Any]) -> Lot:
    return Lot(**d)


def encode(event: Input) -> tuple[str, dict[str, Any]]:
    """(kind, payload) of an input; ``at_ms`` is stored beside them, not in the payload."""
    if isinstance(event, Press):
        payload: dict[str, Any] = {"b": event.buyer, "l": event.lot, "q": _qty(event.qty)}
        if event.round is not None:
            payload["r"] = event.round
        if event.tick is not None:
            payload["t"] = event.tick
        return "Press", payload
    if isinstance(event, Deposit | Withdrawal | Payout):
        return type(event).__name__, {"m": event.member, "a": event.amount_fen}
    if isinstance(event, AddLot):
        return "AddLot", lot_json(event.lot)
    if isinstance(event, AddMember):
        return "AddMember", member_json(event.member)
    if isinstance(event, Suspend):
        return "Suspend", {"m": event.member, "s": event.suspended}
    if isinstance(event, SetDailyLimit):
        return "SetDailyLimit", {"m": event.member, "l": event.limit_fen}
    if isinstance(event, Open) and event.lead_ms:
        return "Open", {"d": event.lead_ms}
    if isinstance(event, Open | Advance | NewDay | Pause | Resume):
        return type(event).__name__, {}
    if isinstance(event, SetClock):
        return "SetClock", {"k": event.tick_ms, "s": event.step_fen}
    if isinstance(event, WithdrawLot):
        return "WithdrawLot", {"l": event.lot}
    if isinstance(event, ReorderLots):
        return "ReorderLots", {"l": list(event.lots)}
    if isinstance(event, BlockLot):
        return "BlockLot", {"l": event.lot, "r": event.reason}
    if isinstance(event, SealedAward):
        return "SealedAward", {
            "i": event.item,
            "b": event.buyer,
            "s": event.seller,
            "a": event.amount_fen,
            "c": event.commission_bps,
        }
    raise CodecError(f"no journal encoding for {type(event).__name__}")


def _press(at: int, p: Mapping[str, Any]) -> Input:
    return Press(at, p["b"], p["l"], p["q"], p.get("r"), p.get("t"))


_DECODERS: dict[str, Callable[[int, Mapping[str, Any]], Input]] = {
    "Press": _press,
    "Advance": lambda at, p: Advance(at),
    "Open": lambda at, p: Open(at, p.get("d", 0)),
    "NewDay": lambda at, p: NewDay(at),
    "Deposit": lambda at, p: Deposit(at, p["m"], p["a"]),
    "Withdrawal": lambda at, p: Withdrawal(at, p["m"], p["a"]),
    "Payout": lambda at, p: Payout(at, p["m"], p["a"]),
    "AddLot": lambda at, p: AddLot(at, lot_from(p)),
    "AddMember": lambda at, p: AddMember(at, member_from(p)),
    "Suspend": lambda at, p: Suspend(at, p["m"], p["s"]),
    "SetDailyLimit": lambda at, p: SetDailyLimit(at, p["m"], p["l"]),
    "Pause": lambda at, p: Pause(at),
    "Resume": lambda at, p: Resume(at),
    "SetClock": lambda at, p: SetClock(at, p["k"], p["s"]),
    "WithdrawLot": lambda at, p: WithdrawLot(at, p["l"]),
    "ReorderLots": lambda at, p: ReorderLots(at, tuple(p["l"])),
    "BlockLot": lambda at, p: BlockLot(at, p["l"], p["r"]),
    "SealedAward": lambda at, p: SealedAward(at, p["i"], p["b"], p["s"], p["a"], p["c"]),
}


def decode(kind: str, at_ms: int, payload: Mapping[str, Any]) -> Input:
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise CodecError(f"unknown journal input kind {kind!r}")
    try:
        return decoder(at_ms, payload)
    except (KeyError, TypeError, ValueError) as e:
        raise CodecError(f"malformed {kind} payload: {e}") from None


# ---------------------------------------------------------------------------- state

_HALL_SCALARS = tuple(f.name for f in fields(HallState) if f.name not in ("lots", "accounts"))
_LOT_COUNTERS = tuple(f.name for f in fields(LotState) if f.name != "lot")


def hall_json(state: HallState) -> dict[str, Any]:
    """A hall's state without the accounts (the halls of a market share one)."""
    out: dict[str, Any] = {name: getattr(state, name) for name in _HALL_SCALARS}
    out["lots"] = [
        {"lot": lot_json(s.lot), **{name: getattr(s, name) for name in _LOT_COUNTERS}}
        for s in state.lots
    ]
    return out


def hall_from(d: Mapping[str, Any], accounts: Accounts) -> HallState:
    lots = [
        LotState(lot_from(s["lot"]), **{name: s[name] for name in _LOT_COUNTERS}) for s in d["lots"]
    ]
    # A snapshot written before a field existed takes the field's default.
    scalars = {name: d[name] for name in _HALL_SCALARS if name in d}
    return HallState(lots=lots, accounts=accounts, **scalars)


def accounts_json(accounts: Accounts) -> dict[str, Any]:
    return {
        "members": [member_json(m) for m in accounts.members.values()],
        "balances": dict(accounts.balances),
        "spent_today": dict(accounts.spent_today),
        "blocked": dict(accounts.blocked),
    }


def accounts_from(d: Mapping[str, Any]) -> Accounts:
    members = {m["id"]: member_from(m) for m in d["members"]}
    # A snapshot written before blocked lots existed (M8) has none.
    return Accounts(
        members, dict(d["balances"]), dict(d["spent_today"]), dict(d.get("blocked", {}))
    )


def market_json(halls: Mapping[str, HallState], accounts: Accounts) -> dict[str, Any]:
    """The whole market's state: what a snapshot holds and what the tests compare."""
    return {
        "accounts": accounts_json(accounts),
        "halls": {hall: hall_json(state) for hall, state in sorted(halls.items())},
    }


def market_from(d: Mapping[str, Any]) -> tuple[dict[str, HallState], Accounts]:
    try:
        accounts = accounts_from(d["accounts"])
        return {h: hall_from(s, accounts) for h, s in d["halls"].items()}, accounts
    except (KeyError, TypeError, ValueError) as e:
        raise CodecError(f"malformed snapshot: {e}") from None
