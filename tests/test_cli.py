"""The command line as a user runs it: outputs, files, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import python_calamine
from click.testing import CliRunner

from jiqun.cli import main

from .observatory.conftest import good_rows, write_csv


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_stats_json(tmp_path: Path) -> None:
    register = write_csv(tmp_path / "r.csv", good_rows())
    code, out, _ = run("observatory", "stats", str(register), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"year", "unit", "city", "clusters"}
    assert data["city"]["revenue"] == 3_110_000
    assert set(data["clusters"][0]) == {
        "name",
        "firms",
        "registered_capital",
        "provincial_brand_products",
        "provincial_famous_trademarks",
        "national_brand_products",
        "china_well_known_trademarks",
        "high_tech_firms",
        "rd_centres",
        "revenue",
        "profit_tax",
        "profit",
        "key_enterprises",
        "share",
        "growth",
    }


def test_stats_table_csv_and_xlsx(tmp_path: Path) -> None:
    register = write_csv(tmp_path / "r.csv", good_rows())
    code, out, _ = run("observatory", "stats", str(register), "--year", "2024")
    assert code == 0 and "纺织服装业" in out and "全市合计" in out and "1020000" in out
    code, _, _ = run(
        "observatory", "stats", str(register), "--format", "csv", "-o", str(tmp_path / "s.csv")
    )
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("产业集群,企业数（家）") and lines[1].startswith(
        "纺织服装业,3,81000,"
    )
    code, _, _ = run(
        "observatory", "stats", str(register), "--format", "xlsx", "-o", str(tmp_path / "s.xlsx")
    )
    sheet = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "s.xlsx")).get_sheet_by_index(
        0
    )
    rows = sheet.to_python()
    assert rows[1][0] == "纺织服装业" and rows[1][9] == 1_020_000
    assert rows[-1][0] == "全市合计"
    code, _, err = run("observatory", "stats", str(register), "--format", "xlsx")
    assert code == 2 and "--format xlsx needs -o" in err


def test_english_table(tmp_path: Path) -> None:
    register = write_csv(tmp_path / "r.csv", good_rows())
    code, out, _ = run("--lang", "en", "observatory", "stats", str(register))
    assert code == 0 and out.startswith("cluster") and "city total" in out


def test_report_markdown_and_html(tmp_path: Path) -> None:
    register = write_csv(tmp_path / "r.csv", good_rows())
    md, html = tmp_path / "survey.md", tmp_path / "survey.html"
    assert run("observatory", "report", str(register), "-o", str(md), "--city", "诸城市")[0] == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# 诸城市产业集群发展现状（2024年）")
    assert "（一）纺织服装业。共有3家限额以上企业，集群企业注册资金8.1亿元" in text
    assert "（三）" not in text  # clusters without firms get no paragraph
    assert run("observatory", "report", str(register), "-o", str(html))[0] == 0
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<p>（二）汽车及机械加工业。" in page
    assert "<script" not in page and "http" not in page  # self-contained, opens offline
    code, _, err = run("observatory", "report", str(register), "-o", str(tmp_path / "x.txt"))
    assert code == 2 and ".md or .html" in err


def test_bad_register_exits_2_with_lines(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0][6] = "abc"
    register = write_csv(tmp_path / "r.csv", rows)
    code, out, err = run("observatory", "stats", str(register), "--format", "json")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"{register}，第2行：列“主营业务收入（万元）”，值“abc”：不是数字"
    assert "Traceback" not in err


def test_skip_invalid_writes_rejects(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0][6] = "abc"
    register = write_csv(tmp_path / "r.csv", rows)
    rejects = tmp_path / "bad.csv"
    code, out, err = run(
        "observatory",
        "stats",
        str(register),
        "--format",
        "json",
        "--skip-invalid",
        "--rejects",
        str(rejects),
    )
    assert code == 0
    assert json.loads(out)["city"]["firms"] == 4
    assert f"已跳过1行无效数据，写入 {rejects}" in err
    written = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert written[0].startswith("行号,年度,企业名称") and written[0].endswith(",问题")
    assert written[1].startswith("2,2024,新郎服饰") and "不是数字" in written[1]


def test_missing_file_and_bad_definitions(tmp_path: Path) -> None:
    code, _, err = run("observatory", "stats", str(tmp_path / "none.xlsx"))
    assert code == 2 and err.strip().endswith("找不到文件")
    register = write_csv(tmp_path / "r.csv", good_rows())
    bad = tmp_path / "c.toml"
    bad.write_text("[[cluster]]\nname='x'\nindustry_codes=['1']\n", encoding="utf-8")
    code, _, err = run("observatory", "stats", str(register), "--clusters", str(bad))
    assert code == 2 and "集群定义有误" in err and "'1'" in err


def test_installed_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jiqun", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("observatory", "market", "serve", "demo"):
        assert command in done.stdout


def test_demo_writes_register_and_survey(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, stdout, _ = run("demo", "--out", str(out), "--no-serve")
    assert code == 0
    assert str(out.resolve()) in stdout and "全市合计" in stdout
    names = {p.name for p in out.iterdir()}
    assert names == {
        "zhucheng_register.xlsx",
        "zhucheng_register.csv",
        "zhucheng_stats.json",
        "zhucheng_survey.html",
        "zhucheng_survey.md",
    }
    survey = (out / "zhucheng_survey.md").read_text(encoding="utf-8")
    assert "（九）造纸机械业。共有11家限额以上企业，集群企业注册资金1亿元。截至2024年底" in survey
    assert (
        json.loads((out / "zhucheng_stats.json").read_text(encoding="utf-8"))["clusters"][1][
            "revenue"
        ]
        == 3_235_000
    )


def test_demo_register_command(tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    assert run("observatory", "demo-register", str(target))[0] == 0
    assert target.read_text(encoding="utf-8-sig").startswith("年度,企业名称,统一社会信用代码")
    code, _, err = run("observatory", "demo-register", str(tmp_path / "r.json"))
    assert code == 2 and ".xlsx or .csv" in err


def test_complexity_command(tmp_path: Path) -> None:
    panel = tmp_path / "panel.csv"
    panel.write_text(
        "year,town,ind,rev\n2024,A,13,10\n2024,A,17,5\n2024,B,13,1\n2024,B,36,20\n"
        "2024,C,17,8\n2024,C,36,2\n2024,C,13,3\n",
        encoding="utf-8",
    )
    out = tmp_path / "cx.csv"
    args = ["--time", "year", "--loc", "town", "--prod", "ind", "--val", "rev", "-o", str(out)]
    assert run("observatory", "complexity", str(panel), *args)[0] == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "year,town,ind,rev,rca,mcp,diversity,ubiquity,eci,pci,density,coi,cog"
    assert len(lines) == 1 + 3 * 3  # the full town × industry rectangle
    # RCA of A in 13: (10 / 15) / (14 / 49) = 7 / 3
    first = lines[1].split(",")
    assert first[:3] == ["2024", "A", "13"] and abs(float(first[4]) - 7 / 3) < 1e-12
    code, _, err = run("observatory", "complexity", str(panel), "--val", "nope")
    assert code == 2 and "nope" in err


def test_serve_starts_the_live_market(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "market.db"
    server = subprocess.Popen(
        [sys.executable, "-m", "jiqun", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/halls", timeout=2) as r:
                    halls = json.loads(r.read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
        assert halls["halls"][0]["hall"] == "1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/board/1", timeout=5) as r:
            page = r.read().decode("utf-8")
        assert "最高起拍价" in page and "reserve" not in page
    finally:
        server.terminate()
        server.communicate(timeout=10)  # reaps it and closes its pipes
    assert db.exists()


def test_serve_with_a_bad_database_url() -> None:
    code, _, err = run("serve", "--db", "mysql://nowhere/db")
    assert code == 2 and "不支持的数据库类型" in err


def test_market_audit_verify(tmp_path: Path) -> None:
    from jiqun.market.service import users
    from jiqun.market.store import open_store
    from jiqun.market.store import schema as t

    db = tmp_path / "market.db"
    engine = open_store(str(db))
    try:
        for i in range(3):
            users.append_audit(engine, 1000 + i, "CASH", "deposit", {"member": "B01", "fen": i})
    finally:
        engine.dispose()
    code, out, _ = run("market", "audit", "verify", "--db", str(db))
    assert code == 0 and "审计日志 3 条记录，哈希链完整" in out
    engine = open_store(str(db))
    try:
        with engine.begin() as conn:
            conn.execute(t.audit_log.update().where(t.audit_log.c.seq == 2).values(actor="ADMIN"))
    finally:
        engine.dispose()
    code, out, _ = run("market", "audit", "verify", "--db", str(db))
    assert code == 1 and "第 2 条记录起不一致" in out
    code, _, err = run("market", "audit", "verify", "--db", "mysql://x/y")
    assert code == 2 and "不支持的数据库类型" in err
