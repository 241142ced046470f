"""Reading a sealed-bid scenario (issue 6, M11) into the engine's types, with clear errors.

The scenario::

    {"market": {"seller_commission_bps": 300},
     "members": [{"id": "B01", "role": "buyer", "deposit_fen": 500000},
                 {"id": "S01", "role": "supplier"}],
     "items": [{"id": "J01", "seller": "S01", "reserve_fen": 100000,
                "opens_ms": 0, "closes_ms": 60000}],
     "bids": [{"at_ms": 1000, "bidder": "B01", "item": "J01", "amount_fen": 120000}]}

A malformed file is reported as ``FILE：path.to.field：reason`` in the manner of the clock's
scenarios (:mod:`jiqun.market.scenario`), never as a traceback. Fields the engine does not use
(a member's name, a ``buyer_fee_bps``) are ignored. A bid's ``bidder``, ``item`` and
``amount_fen`` are taken as they come: an unknown bidder or item or a bad amount is the
rulebook's rejection of that bid, not a malformed file; its ``at_ms`` must be an integer ≥ 0.

What a schema cannot say is checked too: unique member and item ids, ``market:revenue`` is not
a member id, every seller is a known supplier, ``opens_ms < closes_ms``. A supplier may carry
a deposit (his balance starts there; he can never bid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jiqun.i18n import current_lang
from jiqun.market.core.model import Role
from jiqun.market.scenario import ScenarioError, read_json, validation_error
from jiqun.market.sealed.engine import REVENUE, Auction, Bid, Item, Member

__all__ = ["ScenarioError", "load_auction", "parse_auction"]

NonNegative = Annotated[int, Field(ge=0, strict=True)]
Bps = Annotated[int, Field(ge=0, le=10_000, strict=True)]
Text = Annotated[str, Field(min_length=1, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Market(_Model):
    seller_commission_bps: Bps = 0


class _Member(_Model):
    id: Text
    role: Literal["buyer", "supplier"]
    deposit_fen: NonNegative = 0


class _Item(_Model):
    id: Text
    seller: Text
    reserve_fen: NonNegative
    opens_ms: NonNegative
    closes_ms: NonNegative


class _Bid(_Model):
    at_ms: NonNegative
    bidder: Annotated[str, Field(strict=True)]
    item: Annotated[str, Field(strict=True)]
    amount_fen: Any


class _Scenario(_Model):
    market: _Market = _Market()
    members: list[_Member]
    items: list[_Item]
    bids: list[_Bid] = []


# Reasons this file's fields add to (or say differently from) the clock scenario's.
_ZH = {
    "less_than_equal": "不能大于 10000（100 %）",
    "literal_error": "应为 buyer 或 supplier",
}


def parse_auction(data: object, source: str = "scenario") -> Auction:
    """Check a decoded scenario and build the engine's :class:`Auction`."""
    try:
        model = _Scenario.model_validate(data)
    except ValidationError as e:
        raise validation_error(source, e, _ZH) from None
    auction = Auction(
        seller_commission_bps=model.market.seller_commission_bps,
        members=tuple(Member(m.id, Role(m.role), m.deposit_fen) for m in model.members),
        items=tuple(
            Item(i.id, i.seller, i.reserve_fen, i.opens_ms, i.closes_ms) for i in model.items
        ),
        bids=tuple(Bid(b.at_ms, b.bidder, b.item, b.amount_fen) for b in model.bids),
    )
    _check_facts(auction, source)
    return auction


def _check_facts(auction: Auction, source: str) -> None:
    zh = current_lang() == "zh"
    problems: list[tuple[str, str]] = []
    roles: dict[str, Role] = {}
    for i, m in enumerate(auction.members):
        if m.id == REVENUE:
            problems.append(
                (f"members[{i}].id", f"{REVENUE} 是市场收入账户，不能作为会员编号")
                if zh
                else (f"members[{i}].id", f"{REVENUE} is the market's revenue account")
            )
        elif m.id in roles:
            problems.append(
                (f"members[{i}].id", f"会员编号 {m.id} 重复" if zh else f"duplicate member {m.id}")
            )
        roles.setdefault(m.id, m.role)
    seen: set[str] = set()
    for i, item in enumerate(auction.items):
        if item.id in seen:
            again = f"拍品编号 {item.id} 重复" if zh else f"duplicate item {item.id}"
            problems.append((f"items[{i}].id", again))
        seen.add(item.id)
        role = roles.get(item.seller)
        if role is None:
            problems.append(
                (
                    f"items[{i}].seller",
                    f"未知的会员 {item.seller}" if zh else f"unknown member {item.seller}",
                )
            )
        elif role is not Role.SUPPLIER:
            problems.append(
                (
                    f"items[{i}].seller",
                    f"{item.seller} 不是供货方（supplier）"
                    if zh
                    else f"{item.seller} is not a supplier",
                )
            )
        if item.closes_ms <= item.opens_ms:
            problems.append(
                (
                    f"items[{i}].closes_ms",
                    f"截止时间 {item.closes_ms} 应晚于开始时间 {item.opens_ms}"
                    if zh
                    else f"{item.closes_ms} must be after opens_ms {item.opens_ms}",
                )
            )
    if problems:
        raise ScenarioError(source, problems)


def load_auction(path: Path) -> Auction:
    """Read and check a scenario file (UTF-8 JSON)."""
    return parse_auction(read_json(path), str(path))
