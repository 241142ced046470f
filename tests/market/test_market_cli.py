"""``jiqun market migrate | reconcile | statement | verify`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.market.core.events import AddLot, AddMember, Deposit, Open, Press, Withdrawal
from jiqun.market.core.model import ClockSettings, Lot, MarketSettings, Member, Role
from jiqun.market.journal import DurableMarket


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The M3 example, booked: B01 deposits, buys 20 units, takes some money out."""
    path = str(tmp_path / "market.db")
    with DurableMarket.open(path) as market:
        market.add_hall("A", ClockSettings(100, 2, 2000, 10, 150), MarketSettings(300, 50))
        market.submit("A", AddMember(0, Member("B01", Role.BUYER)))
        market.submit("A", AddMember(0, Member("S01", Role.SUPPLIER)))
        market.submit("A", Deposit(0, "B01", 500_000))
        market.submit("A", AddLot(0, Lot("L001", "S01", "黄瓜", "一级", 50, 10_000, 600, 200, 5)))
        market.submit("A", Open(0))
        market.submit("A", Press(1_260, "B01", "L001", 20))
        market.submit("A", Withdrawal(5_000, "B01", 4_224))
    return path


def test_migrate(tmp_path: Path) -> None:
    code, out, _ = run("market", "migrate", "--db", str(tmp_path / "new.db"))
    assert code == 0 and "数据库结构版本 0006" in out


def test_reconcile_ok(db: str) -> None:
    code, out, _ = run("market", "reconcile", "--db", db)
    assert code == 0
    assert out.count("OK") == 6 and "结果：全部平衡" in out
    code, out, _ = run("--lang", "en", "market", "reconcile", "--db", db, "--format", "json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_reconcile_names_what_is_broken(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE entries SET amount_fen = amount_fen + 7 WHERE id = 3")
    engine.dispose()
    monkeypatch.setenv("JIQUN_DB", db)  # the database from the environment
    code, out, _ = run("market", "reconcile")
    assert code == 1
    assert "BROKEN  借贷合计为零（journal_sums_to_zero）" in out
    assert "BROKEN  账户余额等于分录之和（balances_equal_entries）" in out
    assert "结果：3 项不平" in out


def test_statement(db: str) -> None:
    code, out, _ = run("market", "statement", "B01", "--from", "0", "--to", "10000", "--db", db)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "对账单：B01（wallet:B01），期间 0 ms – 10000 ms"
    assert [line.split()[-1] for line in lines[2:4]] == ["0.00", "5000.00"]
    assert "购货款" in lines[4] and "-1152.00" in lines[4] and "L001 ×20 @576" in lines[4]
    assert "买方手续费" in lines[5] and "-5.76" in lines[5]
    assert "取款" in lines[6] and "-42.24" in lines[6]
    assert "期末余额" in lines[7] and lines[7].endswith("3800.00")
    code, out, _ = run("--lang", "en", "market", "statement", "S01", "--db", db, "--format", "json")
    data = json.loads(out)
    assert [(x["item"], x["amount_fen"]) for x in data["lines"]] == [
        ("sale", 115_200),
        ("commission", -3_456),
    ]
    assert data["closing_fen"] == 111_744


def test_statement_by_date_is_empty_for_simulated_times(db: str) -> None:
    code, out, _ = run(
        "market", "statement", "B01", "--from", "2026-11-27", "--to", "2026-11-27", "--db", db
    )
    assert code == 0 and "2026-11-27 00:00:00 – 2026-11-28 00:00:00" in out
    assert "期初余额" in out and out.rstrip().endswith("3800.00")


def test_verify(db: str) -> None:
    code, out, _ = run("market", "verify", "--db", db)
    assert code == 0 and "恢复状态与完整重放一致" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--db", "postgresql://u:pw@127.0.0.1:1/x"), "无法连接"),
        (("--db", "mysql://u@h/x"), "不支持的数据库类型"),
        (("--db", "/nonexistent/dir/market.db"), "文件不存在"),
    ],
)
def test_database_errors_are_one_line(args: tuple[str, ...], message: str) -> None:
    for command in (("market", "reconcile"), ("market", "statement", "B01"), ("market", "verify")):
        code, out, err = run(*command, *args)
        assert code == 2 and out == ""
        assert len(err.splitlines()) == 1 and message in err and "pw" not in err


def test_user_mistakes(db: str) -> None:
    code, _, err = run("market", "statement", "B99", "--db", db)
    assert code == 2 and err.strip() == "没有会员 B99"
    code, _, err = run("market", "statement", "B01", "--from", "昨天", "--db", db)
    assert code == 2 and "无法识别的时间“昨天”" in err
    code, _, err = run("market", "statement", "B01", "--from", "10", "--to", "5", "--db", db)
    assert code == 2 and "--to" in err
    code, _, err = run("--lang", "en", "market", "statement", "B99", "--db", db)
    assert err.strip() == "no member B99"
