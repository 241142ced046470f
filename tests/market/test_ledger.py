"""The ledger's contract (PRODUCT.md M4), one abstract class run against every backend:
the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from jiqun.market.core import postings
from jiqun.market.core.events import Sale
from jiqun.market.core.model import MarketSettings, Member, Role
from jiqun.market.core.postings import Entry, Transaction
from jiqun.market.ledger import (
    CHECKS,
    IdempotencyConflict,
    InsufficientFunds,
    Ledger,
    LedgerError,
    MemberConflict,
    MemoryLedger,
    SqlLedger,
    UnknownAccount,
)
from jiqun.market.store import migrate

MARKET = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
# PRODUCT.md M3's example: B01 buys 20 units of 10 kg at 576 fen/kg.
M3_SALE = Sale("L001", 1, "B01", "S01", 20, 576, 115_200, 576, 3_456, 1_260, "黄瓜", "一级", 10_000)


def sale(qty: int = 20, price: int = 576, buyer: str = "B01", at: int = 1_260) -> Sale:
    from jiqun.market.core.money import fee, lot_amount

    amount = lot_amount(price, qty, 10_000)
    return Sale(
        "L001", 1, buyer, "S01", qty, price, amount, fee(amount, 50), fee(amount, 300), at,
        "黄瓜", "一级", 10_000,
    )  # fmt: skip


class LedgerContract:
    """Everything a ledger must do, whatever it stores in. Subclasses give ``ledger`` and a
    way to tamper with a stored entry behind its back."""

    @pytest.fixture
    def ledger(self) -> Iterator[Ledger]:
        raise NotImplementedError

    def tamper_entry(self, ledger: Any, key: str, account: str, delta: int) -> None:
        raise NotImplementedError

    def tamper_balance(self, ledger: Any, account: str, delta: int) -> None:
        raise NotImplementedError

    @pytest.fixture
    def opened(self, ledger: Ledger) -> Ledger:
        ledger.open_member(Member("B01", Role.BUYER), 0)
        ledger.open_member(Member("B02", Role.BUYER), 0)
        ledger.open_member(Member("S01", Role.SUPPLIER), 0)
        return ledger

    # ------------------------------------------------------------------ members and cards

    def test_open_member_and_card(self, ledger: Ledger) -> None:
        ledger.open_member(Member("B01", Role.BUYER, daily_limit_fen=100_000), 0)
        ledger.open_member(Member("B01", Role.BUYER), 5)  # a terminal's retry: the same member
        assert ledger.member("B01") == Member("B01", Role.BUYER, daily_limit_fen=100_000)
        assert ledger.balance("wallet:B01") == 0
        with pytest.raises(MemberConflict):
            ledger.open_member(Member("B01", Role.SUPPLIER), 0)
        txn = ledger.issue_card("B01", "6200001", 2_000, 10)
        assert txn is not None and txn.kind == "card_deposit"
        assert ledger.issue_card("B01", "6200001", 2_000, 11) == txn  # the same card again
        assert ledger.balance("card_deposits") == 2_000
        assert ledger.balance("cash") == 2_000
        assert ledger.balance("wallet:B01") == 0  # the 押金 is not spendable money
        with pytest.raises(MemberConflict):
            ledger.issue_card("B01", "6200001", 3_000, 12)
        with pytest.raises(UnknownAccount):
            ledger.issue_card("B99", "6200002", 2_000, 12)
        assert ledger.reconcile().ok

    def test_suspend(self, opened: Ledger) -> None:
        opened.suspend("B01", True)
        assert opened.member("B01") == Member("B01", Role.BUYER, suspended=True)
        with pytest.raises(UnknownAccount):
            opened.suspend("B99", True)

    # ------------------------------------------------------------------ posting

    def test_m3_example_settles_to_the_fen(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "dep-1")
        txn = opened.settle(M3_SALE, MARKET, "sale-1")
        assert sum(e.amount_fen for e in txn.entries) == 0
        assert txn.meta["rule_version"] == "v1"
        assert (txn.meta["seller_commission_bps"], txn.meta["buyer_fee_bps"]) == (300, 50)
        assert opened.balance("wallet:B01") == 500_000 - 115_200 - 576
        assert opened.balance("proceeds:S01") == 115_200 - 3_456
        assert opened.balance("revenue:commission") == 3_456
        assert opened.balance("revenue:buyer_fee") == 576
        assert opened.balance("cash") == 500_000
        assert opened.get("sale-1") == txn

    def test_cash_operations(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        opened.withdraw("B01", 100_000, 1, "w1")
        opened.settle(M3_SALE, MARKET, "s1")
        opened.payout("S01", 100_000, 2_000, "p1")
        opened.deposit("B02", 7_000, 3_000, "d2", via="clearing")  # a bank transfer
        assert opened.balance("wallet:B01") == 400_000 - 115_776
        assert opened.balance("proceeds:S01") == 111_744 - 100_000
        assert opened.balance("cash") == 500_000 - 100_000 - 100_000
        assert opened.balance("clearing") == 7_000
        result = opened.reconcile()
        assert result.ok, result.to_json()
        assert result.transactions == 5
        assert [c.name for c in result.checks] == list(CHECKS)

    def test_never_below_zero(self, opened: Ledger) -> None:
        opened.deposit("B01", 100_000, 0, "d1")
        with pytest.raises(InsufficientFunds):
            opened.withdraw("B01", 100_001, 1, "w1")
        with pytest.raises(InsufficientFunds):
            opened.settle(M3_SALE, MARKET, "s1")  # 115,776 fen > 100,000
        with pytest.raises(InsufficientFunds):
            opened.payout("S01", 1, 2, "p1")
        assert opened.get("w1") is None and opened.get("s1") is None and opened.get("p1") is None
        assert opened.balance("wallet:B01") == 100_000
        assert opened.balance("cash") == 100_000
        opened.withdraw("B01", 100_000, 3, "w2")  # down to exactly zero is allowed
        assert opened.balance("wallet:B01") == 0
        assert opened.reconcile().ok

    def test_money_is_integer_fen(self, opened: Ledger) -> None:
        for bad in (0, -5, 1.5, True):
            with pytest.raises(LedgerError):
                opened.deposit("B01", bad, 0, f"d{bad}")  # type: ignore[arg-type]

    def test_unknown_accounts_are_refused(self, opened: Ledger) -> None:
        with pytest.raises(UnknownAccount):
            opened.deposit("B99", 1_000, 0, "d1")
        with pytest.raises(UnknownAccount):
            opened.post(Transaction("x", "x1", (Entry("cash", 1), Entry("nowhere", -1)), 0))
        assert opened.get("d1") is None

    def test_a_sale_must_equal_its_meta(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        bad = Sale(
            "L001", 1, "B01", "S01", 20, 576, 115_201, 576, 3_456, 1_260, "黄瓜", "一级", 10_000
        )
        with pytest.raises(LedgerError, match="sale"):
            opened.settle(bad, MARKET, "s1")
        assert opened.get("s1") is None

    # ------------------------------------------------------------------ idempotency

    def test_same_key_same_content_is_the_same_transaction(self, opened: Ledger) -> None:
        first = opened.deposit("B01", 5_000, 0, "terminal-7:req-1")
        again = opened.deposit("B01", 5_000, 99, "terminal-7:req-1")  # retried, stamped anew
        assert again == first and again.at_ms == 0
        assert opened.balance("wallet:B01") == 5_000
        one = sale(qty=1, price=40)  # 400 fen and a fee of 2
        assert opened.settle(one, MARKET, "s1") == opened.settle(one, MARKET, "s1")
        assert opened.balance("wallet:B01") == 5_000 - 402
        assert opened.reconcile().transactions == 2

    def test_same_key_other_content_is_a_conflict(self, opened: Ledger) -> None:
        opened.deposit("B01", 5_000, 0, "k1")
        with pytest.raises(IdempotencyConflict):
            opened.deposit("B01", 5_001, 0, "k1")
        with pytest.raises(IdempotencyConflict):
            opened.deposit("B02", 5_000, 0, "k1")
        with pytest.raises(IdempotencyConflict):
            opened.withdraw("B01", 5_000, 0, "k1")
        assert opened.balance("wallet:B01") == 5_000
        assert opened.balance("wallet:B02") == 0

    # ------------------------------------------------------------------ corrections

    def test_corrections_are_reversals(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        original = opened.settle(M3_SALE, MARKET, "s1")
        rev = opened.reverse("s1", "s1-rev", 2_000, "wrong packaging")
        assert rev.kind == "reversal" and rev.meta["reverses"] == "s1"
        assert {e.account: e.amount_fen for e in rev.entries} == {
            e.account: -e.amount_fen for e in original.entries
        }
        assert opened.get("s1") == original  # the original stays as it was
        assert opened.balance("wallet:B01") == 500_000
        assert opened.balance("proceeds:S01") == 0
        assert opened.reconcile().ok
        with pytest.raises(LedgerError):
            opened.reverse("s1-rev", "again", 2_001, "x")
        with pytest.raises(LedgerError):
            opened.reverse("nothing", "again", 2_001, "x")
        assert opened.reverse("s1", "s1-rev", 2_500, "wrong packaging") == rev  # idempotent

    def test_a_reversal_cannot_take_paid_out_proceeds(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        opened.settle(M3_SALE, MARKET, "s1")
        opened.payout("S01", 111_744, 1_500, "p1")
        with pytest.raises(InsufficientFunds):
            opened.reverse("s1", "s1-rev", 2_000, "late")

    # ------------------------------------------------------------------ statements

    def test_statement_shows_every_fee_on_its_own_line(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        opened.settle(M3_SALE, MARKET, "s1")
        opened.withdraw("B01", 4_224, 1_300, "w1")
        opened.reverse("s1", "r1", 1_400, "correction")
        s = opened.statement("B01", 0, 10_000)
        assert s.account == "wallet:B01" and s.opening_fen == 0
        rows = [(line.item, line.amount_fen, line.reversal) for line in s.lines]
        assert rows == [
            ("deposit", 500_000, False),
            ("purchase", -115_200, False),
            ("buyer_fee", -576, False),
            ("withdrawal", -4_224, False),
            ("purchase", 115_200, True),
            ("buyer_fee", 576, True),
        ]
        assert s.lines[1].detail == "L001 ×20 @576"
        assert s.closing_fen == opened.balance("wallet:B01") == 495_776
        assert [line.balance_fen for line in s.lines][-1] == s.closing_fen

        supplier = opened.statement("S01", 0, 1_350)
        assert [(line.item, line.amount_fen) for line in supplier.lines] == [
            ("sale", 115_200),
            ("commission", -3_456),
        ]
        assert supplier.closing_fen == 111_744

    def test_statement_period_has_opening_and_closing(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        opened.settle(M3_SALE, MARKET, "s1")  # at 1,260
        opened.settle(sale(qty=5, at=5_000), MARKET, "s2")
        s = opened.statement("B01", 1_261, 5_000)  # [from, to): neither sale
        assert (s.opening_fen, s.closing_fen, s.lines) == (384_224, 384_224, ())
        s = opened.statement("B01", 1_261, 5_001)
        assert s.opening_fen == 384_224
        assert s.closing_fen == opened.balance("wallet:B01")
        assert s.closing_fen - s.opening_fen == sum(line.amount_fen for line in s.lines)
        with pytest.raises(UnknownAccount):
            opened.statement("B99", 0, 1)

    # ------------------------------------------------------------------ reconciliation

    def test_reconcile_names_a_tampered_entry(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        opened.settle(M3_SALE, MARKET, "s1")
        assert opened.reconcile().ok
        self.tamper_entry(opened, "s1", "wallet:B01", 1)
        result = opened.reconcile()
        assert set(result.broken) == {
            "journal_sums_to_zero",
            "balances_equal_entries",
            "sales_equal_postings",
        }
        details = {c.name: c.details for c in result.checks}
        assert any("s1" in d for d in details["journal_sums_to_zero"])
        assert any("wallet:B01" in d for d in details["balances_equal_entries"])
        assert any(d.startswith("s1:") for d in details["sales_equal_postings"])

    def test_reconcile_names_a_tampered_balance(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        self.tamper_balance(opened, "cash", -1)
        result = opened.reconcile()
        assert result.broken == ["balances_equal_entries", "cash_equals_movements"]
        self.tamper_balance(opened, "wallet:B01", -600_000)
        assert "wallets_not_negative" in opened.reconcile().broken

    def test_reconcile_finds_cash_moved_outside_cash_events(self, opened: Ledger) -> None:
        opened.deposit("B01", 500_000, 0, "d1")
        # balanced, every account equal to its entries — but cash came from nowhere
        opened.post(
            Transaction("adjustment", "a1", (Entry("cash", 100), Entry("revenue:other", -100)), 5)
        )
        result = opened.reconcile()
        assert result.broken == ["cash_equals_movements"]

    def test_random_operations_agree_with_the_model(self, opened: Ledger) -> None:
        """Against the fake as the model (for the fake itself: a check of determinism)."""
        model = MemoryLedger()
        for m in ("B01", "B02"):
            model.open_member(Member(m, Role.BUYER), 0)
        model.open_member(Member("S01", Role.SUPPLIER), 0)
        rng = random.Random(11)
        for i in range(120):
            op = rng.choice(("deposit", "withdraw", "sale", "payout", "retry", "reverse"))
            key = f"k{i}" if op != "retry" else f"k{rng.randrange(max(i, 1))}"
            buyer = rng.choice(("B01", "B02"))
            amount, qty, target_key = (
                rng.randrange(1, 300_000),
                rng.randrange(1, 30),
                rng.randrange(max(i, 1)),
            )
            outcomes = []
            for ledger in (model, opened):
                try:
                    if op == "deposit":
                        ledger.deposit(buyer, amount, i, key)
                    elif op == "withdraw":
                        ledger.withdraw(buyer, amount // 2, i, key)
                    elif op == "sale":
                        ledger.settle(sale(qty, 500, buyer, i), MARKET, key)
                    elif op == "payout":
                        ledger.payout("S01", amount // 6, i, key)
                    elif op == "retry":
                        ledger.deposit(buyer, 1_000, i, key)
                    else:
                        ledger.reverse(f"k{target_key}", key, i, "test")
                    outcomes.append("ok")
                except LedgerError as e:
                    outcomes.append(type(e).__name__)
            assert outcomes[0] == outcomes[1], (i, op, outcomes)
        for account in ("wallet:B01", "wallet:B02", "proceeds:S01", "cash", "revenue:commission"):
            assert opened.balance(account) == model.balance(account), account
        assert opened.reconcile().ok and model.reconcile().ok


class TestMemoryLedger(LedgerContract):
    @pytest.fixture
    def ledger(self) -> Iterator[Ledger]:
        yield MemoryLedger()

    def tamper_entry(self, ledger: Any, key: str, account: str, delta: int) -> None:
        row = next(r for r in ledger.txns[key].rows if r.account == account)
        row.amount_fen += delta

    def tamper_balance(self, ledger: Any, account: str, delta: int) -> None:
        ledger.balances[account] += delta


class SqlContract(LedgerContract):
    url: str

    @pytest.fixture
    def ledger(self) -> Iterator[Ledger]:
        engine = migrate(self.url)
        yield SqlLedger(engine)
        engine.dispose()

    def _execute(self, ledger: Any, sql: str, **params: Any) -> None:
        with ledger.engine.begin() as conn:
            assert conn.execute(sa.text(sql), params).rowcount == 1

    def tamper_entry(self, ledger: Any, key: str, account: str, delta: int) -> None:
        self._execute(
            ledger,
            "UPDATE entries SET amount_fen = amount_fen + :d WHERE txn_id = "
            "(SELECT id FROM transactions WHERE key = :k) AND account_id = "
            "(SELECT id FROM accounts WHERE name = :a)",
            d=delta,
            k=key,
            a=account,
        )

    def tamper_balance(self, ledger: Any, account: str, delta: int) -> None:
        self._execute(
            ledger,
            "UPDATE balances SET balance_fen = balance_fen + :d "
            "WHERE account_id = (SELECT id FROM accounts WHERE name = :a)",
            d=delta,
            a=account,
        )

    def test_concurrent_withdrawals_cannot_both_spend_the_last_yuan(self, opened: Ledger) -> None:
        opened.deposit("B01", 100_000, 0, "d1")
        other = SqlLedger(
            sa.create_engine(self.url) if "postgresql" in self.url else migrate(self.url)
        )
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def withdraw(ledger: Ledger, key: str) -> None:
            barrier.wait()
            try:
                ledger.withdraw("B01", 60_000, 1, key)
                outcomes.append("ok")
            except InsufficientFunds:
                outcomes.append("refused")

        threads = [
            threading.Thread(target=withdraw, args=(opened, "w1")),
            threading.Thread(target=withdraw, args=(other, "w2")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        other.engine.dispose()
        assert sorted(outcomes) == ["ok", "refused"]
        assert opened.balance("wallet:B01") == 40_000
        assert opened.reconcile().ok

    def test_concurrent_posts_of_one_key_book_once(self, opened: Ledger) -> None:
        other = SqlLedger(
            sa.create_engine(self.url) if "postgresql" in self.url else migrate(self.url)
        )
        barrier = threading.Barrier(2)
        results: list[Transaction] = []

        def deposit(ledger: Ledger) -> None:
            barrier.wait()
            results.append(ledger.deposit("B01", 1_000, 0, "same-request"))

        threads = [threading.Thread(target=deposit, args=(lg,)) for lg in (opened, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        other.engine.dispose()
        assert len(results) == 2 and results[0] == results[1]
        assert opened.balance("wallet:B01") == 1_000

    def _post_group(self, ledger: Any, txns: list[Transaction]) -> None:
        """A group commit's postings: written together in one database transaction."""
        with ledger.begin() as work:
            work.post_fresh(txns)

    def test_a_group_of_postings_equals_posting_them_one_at_a_time(self, opened: Ledger) -> None:
        """The journal writes a group commit's postings together (few statements for all):
        against the in-memory fake posting the same transactions one at a time, in groups of
        1 to 300 (a group of 300 sales is more than one statement of each kind)."""
        model = MemoryLedger()
        for m in ("B01", "B02"):
            model.open_member(Member(m, Role.BUYER), 0)
        model.open_member(Member("S01", Role.SUPPLIER), 0)
        rng = random.Random(5)
        txns: list[Transaction] = []
        for i in range(900):
            buyer, at = rng.choice(("B01", "B02")), 10 + i
            op = rng.choice(("deposit", "sale", "sale", "sale", "withdraw", "payout"))
            if op == "deposit":
                txn = postings.deposit(buyer, rng.randrange(1, 400_000), at, f"g{i}")
            elif op == "sale":
                txn = postings.sale(sale(rng.randrange(1, 30), 500, buyer, at), MARKET, f"g{i}")
            elif op == "withdraw":
                txn = postings.withdrawal(buyer, rng.randrange(1, 50_000), at, f"g{i}")
            else:
                txn = postings.payout("S01", rng.randrange(1, 30_000), at, f"g{i}")
            try:
                model.post(txn)  # the fake refuses what would take an account below zero
            except InsufficientFunds:
                continue
            txns.append(txn)
        assert sum(t.kind == "sale" for t in txns[:300]) > 100
        start = 0
        for size in (300, 1, 2, *[rng.randrange(1, 80) for _ in range(40)]):
            self._post_group(opened, txns[start : start + size])
            start += size
        self._post_group(opened, txns[start:])
        for account in ("wallet:B01", "wallet:B02", "proceeds:S01", "cash", "revenue:commission"):
            assert opened.balance(account) == model.balance(account), account
        for txn in txns[::7]:
            assert opened.get(txn.key) == txn  # entries in their order, meta, time
        assert opened.reconcile().ok

    def test_a_group_is_checked_in_order_and_written_all_or_nothing(self, opened: Ledger) -> None:
        """Two sales that the wallet covers only with the deposit after them: refused (the
        group's total would be positive), nothing of the group written; in the other order
        accepted."""
        opened.deposit("B01", 100_000, 0, "d0")
        spend = postings.sale(sale(10, 576, "B01", 1), MARKET, "s1")
        cost = next(e.amount_fen for e in spend.entries if e.account == "wallet:B01")
        assert 100_000 - cost >= 0 > 100_000 - 2 * cost
        again = postings.sale(sale(10, 576, "B01", 2), MARKET, "s2")
        top_up = postings.deposit("B01", 2 * cost, 3, "d1")
        with pytest.raises(InsufficientFunds, match="wallet:B01"):
            self._post_group(opened, [spend, again, top_up])
        assert opened.balance("wallet:B01") == 100_000
        assert opened.get("s1") is None and opened.get("d1") is None
        self._post_group(opened, [top_up, spend, again])
        assert opened.balance("wallet:B01") == 100_000
        assert opened.balance("proceeds:S01") == 2 * sum(
            -e.amount_fen for e in spend.entries if e.account == "proceeds:S01"
        )
        assert opened.reconcile().ok


class TestSqliteLedger(SqlContract):
    @pytest.fixture(autouse=True)
    def _url(self, sqlite_url: str) -> None:
        self.url = sqlite_url


class TestPostgresLedger(SqlContract):
    @pytest.fixture(autouse=True)
    def _url(self, pg_url: str) -> None:
        self.url = pg_url
