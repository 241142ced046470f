"""The durable market's contract (PRODUCT.md M6), run on SQLite and on PostgreSQL:
acknowledged only after commit, nothing ahead of the database after a failure, idempotent
ledger keys, recovery equal to a replay of the journal, snapshot + replay equal to a full
replay, and a reconciliation that names a tampered entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from jiqun.market.core import postings
from jiqun.market.core.engine import EngineError
from jiqun.market.core.events import (
    AddLot,
    AddMember,
    Deposit,
    Open,
    Press,
    Sale,
)
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.core.postings import Entry, Transaction
from jiqun.market.core.replay import Scenario, replay
from jiqun.market.crashtest import CLOCK, MARKET, trading_day
from jiqun.market.journal import DurableMarket, JournalError, RecoveryError, ledger_key
from jiqun.market.ledger import IdempotencyConflict

M3_CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=2000, restart_steps=10, same_stop_ms=150)
M3_MARKET = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
M3_LOT = Lot(
    "L001", "S01", "黄瓜", "一级", 50, 10_000, 600, 200, 5, origin="寿光市", package="纸箱"
)


def m3_setup(market: DurableMarket, hall: str = "A") -> None:
    market.add_hall(hall, M3_CLOCK, M3_MARKET)
    market.submit(hall, AddMember(0, Member("B01", Role.BUYER)))
    market.submit(hall, AddMember(0, Member("S01", Role.SUPPLIER)))
    market.submit(hall, Deposit(0, "B01", 500_000))
    market.submit(hall, AddLot(0, M3_LOT))
    market.submit(hall, Open(0))


def sales(outputs: list[Any]) -> list[Sale]:
    return [o for o in outputs if isinstance(o, Sale)]


class DurableMarketContract:
    url: str

    @pytest.fixture
    def market(self) -> Iterator[DurableMarket]:
        market = DurableMarket.open(self.url, snapshot_every=0)
        yield market
        market.close()

    def reopen(self, market: DurableMarket, **options: Any) -> DurableMarket:
        market.close()
        return DurableMarket.open(self.url, **{"snapshot_every": 0, **options})

    def run_day(self, market: DurableMarket, presses: int = 400, seed: int = 3) -> None:
        for hall in ("A", "B"):
            market.add_hall(hall, CLOCK, MARKET)
        for step in trading_day(seed, presses).steps:
            market.submit(step.hall, step.event)

    def execute(self, sql: str, **params: Any) -> Any:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                result = conn.execute(sa.text(sql), params)
                return result.all() if result.returns_rows else result.rowcount
        finally:
            engine.dispose()

    # ------------------------------------------------------------------ acknowledgement

    def test_m3_example_is_booked_as_the_replay_decides(self, market: DurableMarket) -> None:
        m3_setup(market)
        outputs = market.submit("A", Press(1_260, "B01", "L001", 20))
        [sale] = sales(outputs)
        assert (sale.qty, sale.price_fen, sale.amount_fen) == (20, 576, 115_200)
        expected = replay(
            Scenario(
                M3_MARKET,
                M3_CLOCK,
                (Member("B01", Role.BUYER), Member("S01", Role.SUPPLIER)),
                {"B01": 500_000},
                (M3_LOT,),
                (Press(1_260, "B01", "L001", 20),),
            )
        )[1]
        assert market.ledger.balance("wallet:B01") == expected.balances["B01"]
        assert market.ledger.balance("proceeds:S01") == expected.balances["S01"]
        assert market.verify() == []
        assert market.ledger.reconcile().ok

    def test_a_group_commit_larger_than_one_statement_journals_every_input_in_order(
        self, market: DurableMarket
    ) -> None:
        """The group's journal rows go in multi-row statements of 180 (900 parameters): 400
        inputs take three, each row at its own seq, in the order of the inputs, and the
        journal replays."""
        from jiqun.market.ledger import JOURNAL_ROWS_PER_STATEMENT

        m3_setup(market)
        first = market.seq
        presses = [Press(1_260 + i, "B01", "L001", 5 + i % 3) for i in range(400)]
        assert len(presses) > 2 * JOURNAL_ROWS_PER_STATEMENT
        outputs = market.submit_many(
            [("A", p) for p in presses], lambda hall, event, seq, apply: (seq, apply())
        )
        assert [seq for seq, _ in outputs] == list(range(first + 1, first + 401))
        rows = self.execute(
            "SELECT seq, kind, at_ms FROM journal WHERE seq > :s ORDER BY seq", s=first
        )
        assert rows == [(first + 1 + i, "Press", 1_260 + i) for i in range(400)]
        assert sum(len(sales(out)) for _, out in outputs) >= 1
        again = self.reopen(market)
        try:
            assert again.seq == first + 400
            assert again.verify() == []
        finally:
            again.close()

    def test_acknowledged_only_after_commit(self, market: DurableMarket) -> None:
        m3_setup(market)
        outputs = market.submit("A", Press(1_260, "B01", "L001", 20))
        index = next(i for i, o in enumerate(outputs) if isinstance(o, Sale))
        # another connection sees the input and its postings the moment submit returns
        rows = self.execute("SELECT seq, kind FROM journal WHERE seq = :s", s=market.seq)
        assert rows == [(market.seq, "Press")]
        keys = self.execute(
            "SELECT key FROM transactions WHERE key = :k", k=ledger_key(market.seq, index)
        )
        assert len(keys) == 1

    def test_a_failed_commit_leaves_nothing_ahead_of_the_database(
        self, market: DurableMarket, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        m3_setup(market)
        before, seq = market.state(), market.seq
        dialect = market.engine.dialect
        real_commit = dialect.do_commit
        calls = {"n": 0}

        def failing_commit(dbapi_connection: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("disk full")
            real_commit(dbapi_connection)

        monkeypatch.setattr(dialect, "do_commit", failing_commit)
        with pytest.raises(OSError, match="disk full"):
            market.submit("A", Press(1_260, "B01", "L001", 20))
        assert market.state() == before and market.seq == seq  # restored by recovery
        assert self.execute("SELECT seq FROM journal WHERE seq > :s", s=seq) == []
        assert self.execute("SELECT key FROM transactions WHERE kind = 'sale'") == []
        # the market goes on from there: the same press now buys
        assert len(sales(market.submit("A", Press(1_260, "B01", "L001", 20)))) == 1
        assert market.seq == seq + 1
        assert market.verify() == [] and market.ledger.reconcile().ok

    def test_a_refused_input_is_not_journaled(self, market: DurableMarket) -> None:
        m3_setup(market)
        before, seq = market.state(), market.seq
        bad = Lot("L002", "B01", "黄瓜", "一级", 5, 10_000, 600, 200, 1)  # B01 is no supplier
        with pytest.raises(EngineError):
            market.submit("A", AddLot(3_000, bad))
        with pytest.raises(EngineError):
            market.submit("A", AddMember(3_000, Member("B01", Role.BUYER)))  # known already
        with pytest.raises(JournalError):
            market.submit("Z", Open(0))
        assert market.state() == before and market.seq == seq
        assert self.execute("SELECT seq FROM journal WHERE seq > :s", s=seq) == []

    # ------------------------------------------------------------------ idempotency

    def test_ledger_keys_are_idempotent(self, market: DurableMarket) -> None:
        m3_setup(market)
        outputs = market.submit("A", Press(1_260, "B01", "L001", 20))
        index, sale = next((i, o) for i, o in enumerate(outputs) if isinstance(o, Sale))
        key = ledger_key(market.seq, index)
        again = market.ledger.post(postings.sale(sale, M3_MARKET, key))  # a re-delivery
        assert again == market.ledger.get(key)
        assert market.ledger.balance("wallet:B01") == 500_000 - 115_776
        with pytest.raises(IdempotencyConflict):
            market.ledger.post(
                Transaction("sale", key, (Entry("cash", 1), Entry("revenue:other", -1)), 0)
            )
        # recovery does not book again what was committed with its input
        count = self.execute("SELECT count(*) FROM transactions")
        market = self.reopen(market)
        assert self.execute("SELECT count(*) FROM transactions") == count
        assert market.verify() == []
        market.close()

    # ------------------------------------------------------------------ recovery

    def test_recovery_equals_a_replay_of_the_journal(self, market: DurableMarket) -> None:
        self.run_day(market)
        state, seq = market.state(), market.seq
        market = self.reopen(market)
        assert (market.seq, market.snapshot_seq, market.replayed) == (seq, 0, seq)
        assert market.state() == state == market.replay_journal()
        assert market.verify() == []
        assert market.ledger.reconcile().ok
        market.close()

    def test_snapshot_and_replay_equal_a_full_replay(self, market: DurableMarket) -> None:
        market.snapshot_every = 100
        self.run_day(market)
        state, seq = market.state(), market.seq
        last = seq - seq % 100
        assert last >= 300
        market = self.reopen(market, snapshot_every=100)
        assert market.snapshot_seq == last and market.replayed == seq % 100
        assert market.state() == state == market.replay_journal()
        market.recover(use_snapshot=False)
        assert market.state() == state and market.replayed == seq
        snapshots = self.execute("SELECT seq FROM snapshots ORDER BY seq")
        assert [s for (s,) in snapshots] == [last - 200, last - 100, last]  # the newest 3
        market.close()

    def test_halls_are_recovered_with_their_settings(self, market: DurableMarket) -> None:
        m3_setup(market, "A")
        market.add_hall("B", CLOCK, MARKET)
        market = self.reopen(market)
        assert market.configs["A"].clock == M3_CLOCK and market.configs["B"].market == MARKET
        assert market.add_hall("A", M3_CLOCK, M3_MARKET) is market.halls["A"]
        with pytest.raises(JournalError):
            market.add_hall("A", CLOCK, M3_MARKET)
        # both halls share the accounts: B01 deposited through hall A buys in hall B
        market.submit("B", AddLot(10, Lot("LB1", "S01", "番茄", "一级", 5, 10_000, 400, 300, 1)))
        market.submit("B", Open(10))
        assert len(sales(market.submit("B", Press(20, "B01", "LB1", 2)))) == 1
        assert market.verify() == []
        market.close()

    def test_one_writer_at_a_time(self, market: DurableMarket) -> None:
        with pytest.raises(JournalError):
            DurableMarket.open(self.url)

    def test_a_gap_in_the_journal_stops_recovery(self, market: DurableMarket) -> None:
        m3_setup(market)
        market.close()
        self.execute("DELETE FROM journal WHERE seq = 2")
        with pytest.raises(RecoveryError, match="input 2 is missing"):
            DurableMarket.open(self.url)

    # ------------------------------------------------------------------ reconciliation

    def test_reconcile_names_a_tampered_entry(self, market: DurableMarket) -> None:
        self.run_day(market, presses=200)
        assert market.ledger.reconcile().ok
        [(key,)] = self.execute(
            "SELECT key FROM transactions WHERE kind = 'sale' ORDER BY id LIMIT 1"
        )
        self.execute(
            "UPDATE entries SET amount_fen = amount_fen - 100 WHERE id = "
            "(SELECT min(id) FROM entries WHERE txn_id = (SELECT id FROM transactions "
            "WHERE key = :k))",
            k=key,
        )
        result = market.ledger.reconcile()
        assert set(result.broken) == {
            "journal_sums_to_zero",
            "balances_equal_entries",
            "sales_equal_postings",
        }
        sales_check = next(c for c in result.checks if c.name == "sales_equal_postings")
        assert sales_check.details[0].startswith(f"{key}:")


class TestSqliteDurableMarket(DurableMarketContract):
    @pytest.fixture(autouse=True)
    def _url(self, sqlite_url: str) -> None:
        self.url = sqlite_url

    def test_sqlite_is_durable(self, market: DurableMarket) -> None:
        with market.engine.connect() as conn:
            modes = [
                conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "synchronous", "foreign_keys")
            ]
        assert modes == ["wal", 2, 1]


class TestPostgresDurableMarket(DurableMarketContract):
    @pytest.fixture(autouse=True)
    def _url(self, pg_url: str) -> None:
        self.url = pg_url
