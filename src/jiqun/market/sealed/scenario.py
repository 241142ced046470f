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
a member id, every seller is a known member (of any role: an association's buyer may sell an
item too; his proceeds go to his balance). A member's deposit may also be written ``deposit``
or ``balance_fen``, and role ``seller`` means supplier. An item whose window is empty
(``closes_ms <= opens_ms``) is legal: every bid on it is ``window_closed`` and it closes
unsold. A supplier may carry a deposit (his balance starts there; he can never bid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

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
    # "seller" is read as supplier: the items' field is called seller.
    role: Literal["buyer", "supplier", "seller"]
    # The clock scenarios' name (M3), or a plain "deposit"/"balance_fen".
    deposit_fen: NonNegative = Field(
        default=0, validation_alias=AliasChoices("deposit_fen", "deposit", "balance_fen")
    )


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


_ROLES = {"buyer": Role.BUYER, "supplier": Role.SUPPLIER, "seller": Role.SUPPLIER}

# Reasons this file's fields add to (or say differently from) the clock scenario's.
_ZH = {
    "less_than_equal": "不能大于 10000（100 %）",
    "literal_error": "应为 buyer 或 supplier（或 seller）",
}


def parse_auction(data: object, source: str = "scenario") -> Auction:
    """Check a decoded scenario and build the engine's :class:`Auction`."""
    try:
        model = _Scenario.model_validate(data)
    except ValidationError as e:
        raise validation_error(source, e, _ZH) from None
    auction = Auction(
        seller_commission_bps=model.market.seller_commission_bps,
        members=tuple(Member(m.id, _ROLES[m.role], m.deposit_fen) for m in model.members),
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
    if problems:
        raise ScenarioError(source, problems)


def load_auction(path: Path) -> Auction:
    """Read and check a scenario file (UTF-8 JSON)."""
    return parse_auction(read_json(path), str(path))
