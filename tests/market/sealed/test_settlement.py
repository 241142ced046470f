"""Paying a sealed-bid award through the market's core and ledger (the ``SealedAward`` input):
the engine moves the money, the journal books it once per item, statements itemise it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from jiqun.market.codec import decode, encode
from jiqun.market.core.events import (
    AddMember,
    CommandRefused,
    Deposit,
    SealedAward,
    SealedSettled,
)
from jiqun.market.core.model import ClockSettings, MarketSettings, Member, Role
from jiqun.market.core.postings import Entry, Transaction, sealed_key
from jiqun.market.journal import DurableMarket
from jiqun.market.ledger import LedgerError, MemoryLedger

CLOCK = ClockSettings(100, 2, 2000, 10, 150)


@pytest.fixture
def market(tmp_path: Path) -> DurableMarket:
    m = DurableMarket.open(str(tmp_path / "market.db"))
    m.add_hall("A", CLOCK, MarketSettings(300, 50))
    m.submit("A", AddMember(0, Member("B01", Role.BUYER)))
    m.submit("A", AddMember(0, Member("S01", Role.SUPPLIER)))
    m.submit("A", Deposit(1, "B01", 100_000))
    return m


def test_an_award_is_paid_and_booked(market: DurableMarket) -> None:
    # 250 bps of 60,020 = 1,500.5 → 1,501 (half up)
    out = market.submit("A", SealedAward(10, "J01", "B01", "S01", 60_020, 250))
    assert out == [SealedSettled("J01", "B01", "S01", 60_020, 1501, 250, 10)]
    txn = market.ledger.get(sealed_key("J01"))
    assert txn is not None and txn.kind == "sealed_award"
    assert {e.account: e.amount_fen for e in txn.entries} == {
        "wallet:B01": 60_020,
        "proceeds:S01": -58_519,
        "revenue:commission": -1501,
    }
    assert txn.meta["seller_commission_bps"] == 250 and txn.meta["item"] == "J01"
    assert market.accounts.balances["B01"] == 39_980
    assert market.verify() == [] and market.ledger.reconcile().ok
    buyer = market.ledger.statement("B01", 0, 100)
    assert [(x.item, x.amount_fen, x.detail) for x in buyer.lines][-1] == (
        "sealed_purchase",
        -60_020,
        "J01",
    )
    seller = market.ledger.statement("S01", 0, 100)
    assert [(x.item, x.amount_fen) for x in seller.lines] == [
        ("sealed_sale", 60_020),
        ("commission", -1501),
    ]
    market.close()


def test_an_item_is_booked_once(market: DurableMarket) -> None:
    market.submit("A", SealedAward(10, "J01", "B01", "S01", 1000, 300))
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)):  # the key's unique index
        market.submit("A", SealedAward(11, "J01", "B01", "S01", 1000, 300))
    assert market.accounts.balances["B01"] == 99_000  # the engines were rebuilt: paid once
    assert market.verify() == []
    market.close()


@pytest.mark.parametrize(
    ("award", "reason"),
    [
        (SealedAward(10, "J01", "B01", "S01", 100_001, 300), "insufficient_funds"),
        (SealedAward(10, "J01", "B99", "S01", 1, 300), "unknown_member"),
        (SealedAward(10, "J01", "S01", "B01", 1, 300), "wrong_role"),
        (SealedAward(10, "J01", "B01", "S01", 0, 300), "bad_amount"),
        (SealedAward(10, "J01", "B01", "S01", 5, 10_001), "bad_amount"),
    ],
)
def test_refused_awards_move_nothing(
    market: DurableMarket, award: SealedAward, reason: str
) -> None:
    assert market.submit("A", award) == [CommandRefused(10, "SealedAward", reason)]
    assert market.ledger.get(sealed_key("J01")) is None
    assert market.accounts.balances["B01"] == 100_000
    assert market.verify() == []
    market.close()


def test_the_whole_balance_pays(market: DurableMarket) -> None:
    out = market.submit("A", SealedAward(10, "J01", "B01", "S01", 100_000, 10_000))
    assert out == [SealedSettled("J01", "B01", "S01", 100_000, 100_000, 10_000, 10)]
    assert market.ledger.balances()["wallet:B01"] == 0
    assert market.verify() == []
    market.close()


def test_recovery_replays_awards(market: DurableMarket, tmp_path: Path) -> None:
    market.submit("A", SealedAward(10, "J01", "B01", "S01", 30_000, 300))
    market.close()
    again = DurableMarket.open(str(tmp_path / "market.db"))
    assert again.accounts.balances["B01"] == 70_000
    assert again.accounts.balances["S01"] == 29_100
    assert again.verify() == []
    again.close()


def test_journal_encoding_round_trip() -> None:
    award = SealedAward(7, "J01", "B01", "S01", 123, 300)
    kind, payload = encode(award)
    assert decode(kind, 7, payload) == award


def test_a_mis_posted_award_is_refused_by_the_ledger() -> None:
    ledger = MemoryLedger()
    ledger.open_member(Member("B01", Role.BUYER), 0)
    ledger.open_member(Member("S01", Role.SUPPLIER), 0)
    ledger.deposit("B01", 1000, 0, "d1")
    meta: dict[str, str | int] = {
        "seller_commission_bps": 300,
        "item": "J01",
        "buyer": "B01",
        "seller": "S01",
        "amount_fen": 1000,
    }
    wrong = Transaction(
        "sealed_award",
        "sealed:J01",
        (
            Entry("wallet:B01", 1000),
            Entry("proceeds:S01", -980),  # commission should be 30, not 20
            Entry("revenue:commission", -20),
        ),
        5,
        meta,
    )
    with pytest.raises(LedgerError, match="sealed award"):
        ledger.post(wrong)
