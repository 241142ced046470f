"""Daily price records from the ledger and journal (M9), their publication as revisions,
and ``jiqun market prices`` — on SQLite and PostgreSQL.

The trading day below is worked out by hand from the clock rulebook (PRODUCT.md M3): a clock
starting at 600 fen/kg falling 2 fen every 100 ms stops at 600 − 2·⌊t/100⌋.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.market.core.events import AddLot, AddMember, Deposit, Open, Press
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.journal import DurableMarket
from jiqun.market.ledger import SqlLedger
from jiqun.market.prices.daily import DailyRecord, daily_records, day_of, mean_price
from jiqun.market.prices.publish import publish, revision_history, stored
from jiqun.market.prices.tables import price_records, price_revisions
from jiqun.market.texts import parse_time

CLOCK = ClockSettings(tick_ms=100, step_fen=2, pause_ms=2000, restart_steps=10, same_stop_ms=150)
FEES = MarketSettings(seller_commission_bps=300, buyer_fee_bps=50)
T0 = parse_time("2026-11-20T08:00")  # China Standard Time
T1 = parse_time("2026-11-21T23:30")  # still the 21st in Shouguang (15:30 UTC)
DAY0, DAY1 = date(2026, 11, 20), date(2026, 11, 21)


def lot(id: str, variety: str, category: str, grade: str, units: int, unit_g: int, start: int,
        reserve: int, minimum: int, origin: str, package: str) -> Lot:  # fmt: skip
    return Lot(id, "S01", variety, grade, units, unit_g, start, reserve, minimum,
               origin=origin, package=package, category=category)  # fmt: skip


def trade(url: str) -> None:
    """Day 0, hall A:
    L001 黄瓜 一级 寿光市 纸箱, 50 × 10 kg: B01 20 units at T0+1260 → 576 fen/kg (115200 fen);
      B02 10 units at T0+1300 in the stop window → 576 (57600); the window closes at +1410,
      round 2 starts at +3410 from min(600, 576 + 10·2) = 596; B01 20 units at +3910 → 586
      (117200). Sold out; the window closes at +4060.
    L002 黄瓜 一级 寿光市 纸箱 (start 500, reserve 400) starts at +6060 and lapses at
      +6060 + (⌊100/2⌋ + 1)·100 = +11160: withdrawn.
    L003 黄瓜 一级 青州市 网袋 10 × 8 kg starts at +13160 from 500; B02 10 units at +14160 →
      480 (38400).
    Day 1, hall B: L004 番茄 特级 寿光市 纸箱 10 × 5 kg from 800; B01 at T1+2000 → 760 (38000).
    """
    with DurableMarket.open(url, snapshot_every=0) as m:
        m.add_hall("A", CLOCK, FEES)
        m.add_hall("B", CLOCK, FEES)
        for member in (Member("B01", Role.BUYER), Member("B02", Role.BUYER)):
            m.submit("A", AddMember(T0, member))
            m.submit("A", Deposit(T0, member.id, 10_000_000))
        m.submit("A", AddMember(T0, Member("S01", Role.SUPPLIER)))
        m.submit("A", AddLot(T0, lot("L001", "黄瓜", "瓜菜", "一级", 50, 10_000, 600, 200, 5,
                                     "寿光市", "纸箱")))  # fmt: skip
        m.submit("A", AddLot(T0, lot("L002", "黄瓜", "瓜菜", "一级", 10, 5_000, 500, 400, 1,
                                     "寿光市", "纸箱")))  # fmt: skip
        m.submit("A", AddLot(T0, lot("L003", "黄瓜", "瓜菜", "一级", 10, 8_000, 500, 100, 1,
                                     "青州市", "网袋")))  # fmt: skip
        m.submit("A", Open(T0))
        m.submit("A", Press(T0 + 1260, "B01", "L001", 20))
        m.submit("A", Press(T0 + 1300, "B02", "L001", 10))
        m.submit("A", Press(T0 + 3910, "B01", "L001", 20))
        m.submit("A", Press(T0 + 14160, "B02", "L003", 10))
        m.submit("B", AddLot(T1, lot("L004", "番茄", "茄果", "特级", 10, 5_000, 800, 300, 1,
                                     "寿光市", "纸箱")))  # fmt: skip
        m.submit("B", Open(T1))
        m.submit("B", Press(T1 + 2000, "B01", "L004", 10))


SHOUGUANG = DailyRecord(
    DAY0, "黄瓜", "一级", "寿光市", "纸箱", trades=3, volume_g=500_000, amount_fen=290_000,
    min_fen_per_kg=576, max_fen_per_kg=586, mean_fen_per_kg=Decimal("580.00"),
    withdrawn_lots=1, revision=0,
)  # fmt: skip
QINGZHOU = DailyRecord(
    DAY0, "黄瓜", "一级", "青州市", "网袋", trades=1, volume_g=80_000, amount_fen=38_400,
    min_fen_per_kg=480, max_fen_per_kg=480, mean_fen_per_kg=Decimal("480.00"),
    withdrawn_lots=0, revision=0,
)  # fmt: skip
TOMATO = DailyRecord(
    DAY1, "番茄", "特级", "寿光市", "纸箱", trades=1, volume_g=50_000, amount_fen=38_000,
    min_fen_per_kg=760, max_fen_per_kg=760, mean_fen_per_kg=Decimal("760.00"),
    withdrawn_lots=0, revision=0,
)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'market.db'}"
        return
    pg: str = request.getfixturevalue("pg_url")
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE price_records, price_revisions RESTART IDENTITY CASCADE")
    engine.dispose()
    yield pg


def sale_key(url: str, lot_id: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            for key, meta in conn.execute(sa.text("SELECT key, meta FROM transactions "
                                                  "WHERE kind = 'sale'")):  # fmt: skip
                meta = json.loads(meta) if isinstance(meta, str) else meta
                if meta["lot"] == lot_id:
                    return str(key)
    finally:
        engine.dispose()
    raise AssertionError(f"no sale of {lot_id}")


def test_records_from_the_ledger(url: str) -> None:
    trade(url)
    assert daily_records(url, DAY0, DAY1) == [SHOUGUANG, QINGZHOU, TOMATO]
    assert daily_records(url, DAY1, DAY1) == [TOMATO]
    assert daily_records(url, date(2026, 11, 22), date(2026, 11, 30)) == []


def test_publication_and_a_correction_as_a_new_revision(url: str) -> None:
    trade(url)
    engine = sa.create_engine(url)
    try:
        first = publish(engine, DAY0, DAY1, now_ms=T1 + 10_000)
        assert [r.revision for r in first] == [1, 1, 1]
        assert daily_records(url, DAY0, DAY1) == [
            r.__class__(**{**r.__dict__, "revision": 1}) for r in (SHOUGUANG, QINGZHOU, TOMATO)
        ]
        again = publish(engine, DAY0, DAY1, now_ms=T1 + 20_000)
        assert again == first  # publishing the same again stores nothing new
        with engine.connect() as conn:
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(price_revisions)).scalar() == 2
            )

        # The Qingzhou sale is reversed in the ledger: day 0 differs now.
        SqlLedger(engine).reverse(sale_key(url, "L003"), "fix-1", T1 + 30_000, "wrong lot")
        pending = daily_records(url, DAY0, DAY0)
        assert [(r.origin, r.revision) for r in pending] == [("寿光市", 0)]  # not yet published
        second = publish(engine, DAY0, DAY1, now_ms=T1 + 40_000)
        assert [(r.day, r.origin, r.revision) for r in second] == [
            (DAY0, "寿光市", 2),
            (DAY1, "寿光市", 1),
        ]
        with engine.connect() as conn:
            assert [(r.origin, r.revision) for r in stored(conn, DAY0, 1)] == [
                ("寿光市", 1),
                ("青州市", 1),
            ]  # the first revision is kept as it was
            assert stored(conn, DAY0)[0].revision == 2
            assert revision_history(conn, DAY0) == [(1, T1 + 10_000, 2), (2, T1 + 40_000, 1)]
            assert conn.execute(sa.select(sa.func.count()).select_from(price_records)).scalar() == 4
    finally:
        engine.dispose()


def test_mean_price_rounds_half_up_in_integers() -> None:
    assert mean_price(100, 3_000) == Decimal("33.33")  # 33.333…
    assert mean_price(2, 3_000) == Decimal("0.67")  # 0.666…
    assert mean_price(1, 8_000) == Decimal("0.13")  # 0.125 → half up
    assert mean_price(290_000, 500_000) == Decimal("580.00")
    assert mean_price(0, 0) == Decimal("0.00")


def test_days_are_china_standard_time() -> None:
    assert day_of(parse_time("2026-11-21T00:00")) == DAY1
    assert day_of(parse_time("2026-11-20T23:59:59")) == DAY0
    assert day_of(parse_time("2026-11-20T16:30Z")) == DAY1  # 00:30 in Shouguang


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"JIQUN_LANG": "zh"}).invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_prices_command_csv_json_and_index(tmp_path: Path) -> None:
    path = str(tmp_path / "market.db")
    trade(path)
    code, out, err = run("market", "prices", "--db", path, "--from", "2026-11-20", "--to",
                         "2026-11-21", "--no-publish")  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "date,variety,category,grade,volume_g,amount_fen,origin,package,trades,"
        "min_fen_per_kg,max_fen_per_kg,mean_fen_per_kg,withdrawn_lots,revision"
    )
    assert lines[1] == "2026-11-20,黄瓜,瓜菜,一级,500000,290000,寿光市,纸箱,3,576,586,580.00,1,0"

    target = tmp_path / "prices.json"
    code, _, err = run("market", "prices", "--db", path, "--from", "2026-11-20", "--to",
                       "2026-11-21", "-o", str(target))  # fmt: skip
    assert code == 0, err
    records = json.loads(target.read_text(encoding="utf-8"))["records"]
    assert [(r["variety"], r["origin"], r["revision"]) for r in records] == [
        ("黄瓜", "寿光市", 1),
        ("黄瓜", "青州市", 1),
        ("番茄", "寿光市", 1),
    ]
    assert records[2]["mean_fen_per_kg"] == "760.00"
    assert records[2]["category"] == "茄果"

    # The published CSV feeds the index: base day 0, 番茄 has no base → day 1 has no index.
    csv_path = tmp_path / "prices.csv"
    run("market", "prices", "--db", path, "--from", "2026-11-20", "--to", "2026-11-21",
        "-o", str(csv_path))  # fmt: skip
    code, out, err = run("market", "index", str(csv_path), "--base-from", "2026-11-20",
                         "--base-to", "2026-11-20")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["days"] == [
        {"date": "2026-11-20", "total": 100.0, "categories": {"瓜菜": 100.0}},
        {"date": "2026-11-21", "total": None, "categories": {}},
    ]


def test_prices_command_errors(tmp_path: Path) -> None:
    code, _, err = run("market", "prices", "--db", str(tmp_path / "none.db"), "--from",
                       "2026-11-20", "--to", "2026-11-21")  # fmt: skip
    assert code == 2 and "Traceback" not in err and "none.db" in err
    path = str(tmp_path / "market.db")
    trade(path)
    code, _, err = run("market", "prices", "--db", path, "--from", "2026-11-22", "--to",
                       "2026-11-21")  # fmt: skip
    assert code == 2 and "--to 不能早于 --from" in err
    code, _, err = run("market", "prices", "--db", path, "--from", "20.11.2026", "--to",
                       "2026-11-21")  # fmt: skip
    assert code == 2 and "无法识别的日期“20.11.2026”" in err


def test_journal_replay_is_incremental_and_notices_another_database(tmp_path: Path) -> None:
    from jiqun.market.core.events import Advance
    from jiqun.market.prices import daily

    path = tmp_path / "m.db"
    url = f"sqlite:///{path}"
    with DurableMarket.open(url, snapshot_every=0) as m:
        m.add_hall("A", CLOCK, FEES)
        m.submit("A", AddMember(T0, Member("S01", Role.SUPPLIER)))
        m.submit("A", AddLot(T0, lot("L1", "芹菜", "叶菜", "一级", 5, 1_000, 500, 400, 1,
                                     "寿光市", "捆")))  # fmt: skip
        m.submit("A", Open(T0))
        assert daily_records(url, DAY0, DAY0) == []  # running: nothing yet
        seq = m.seq
        # Start 500, reserve 400: the round lapses at T0 + (50 + 1)·100 ms.
        m.submit("A", Advance(T0 + 5_100))
    [record] = daily_records(url, DAY0, DAY0)
    assert (record.variety, record.trades, record.withdrawn_lots) == ("芹菜", 0, 1)
    cached = daily._FACTS[url]
    assert cached.seq == seq + 1  # the second call replayed only the new input

    path.unlink()
    for extra in tmp_path.glob("m.db*"):
        extra.unlink()
    trade(url)  # another market in the same file
    assert daily_records(url, DAY0, DAY1) == [SHOUGUANG, QINGZHOU, TOMATO]
