"""``jiqun market index`` as a user runs it: the JSON and CSV it writes, and bad RECORDS
files ending in clear lines naming file, row, field, value and reason (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiqun.cli import main

HEADER = "date,variety,category,grade,volume_g,amount_fen\n"
GOOD = HEADER + (
    "2026-01-01,黄瓜,瓜菜,一级,1000000,300000\n"  # u 300
    "2026-01-01,黄瓜,瓜菜,二级,500000,100000\n"  # u 200
    "2026-01-01,菠菜,叶菜,一级,200000,80000\n"  # u 400
    "2026-01-02,黄瓜,瓜菜,一级,1000000,360000\n"  # ×1.2
    "2026-01-02,黄瓜,瓜菜,二级,500000,90000\n"  # ×0.9
    "2026-01-02,菠菜,叶菜,一级,100000,50000\n"  # ×1.25
    "2026-01-03,菠菜,叶菜,一级,100000,50000\n"
)


def run(*args: str, lang: str = "zh") -> tuple[int, str, str]:
    result = CliRunner(env={"JIQUN_LANG": lang}).invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "records.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_json_output(tmp_path: Path) -> None:
    code, out, err = run(
        "market",
        "index",
        write(tmp_path, GOOD),
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["base"] == {"from": "2026-01-01", "to": "2026-01-01"}
    assert [d["date"] for d in data["days"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert data["days"][0] == {
        "date": "2026-01-01",
        "total": 100.0,
        "categories": {"叶菜": 100.0, "瓜菜": 100.0},
    }
    # 瓜菜: 100·√(1.2·0.9); 叶菜 125; weights 400000 and 80000 fen.
    melon = 100 * (1.2 * 0.9) ** 0.5
    assert data["days"][1]["categories"] == pytest.approx({"瓜菜": melon, "叶菜": 125.0})
    assert data["days"][1]["total"] == pytest.approx((400_000 * melon + 80_000 * 125) / 480_000)
    assert data["days"][2] == {"date": "2026-01-03", "total": 125.0, "categories": {"叶菜": 125.0}}


def test_csv_to_file_and_gbk_input(tmp_path: Path) -> None:
    records = write(tmp_path, GOOD, encoding="gb18030")
    target = tmp_path / "index.csv"
    code, _, err = run(
        "market",
        "index",
        records,
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
        "--period",
        "day",
        "-o",
        str(target),
    )
    assert code == 0, err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "period,from,to,category,fixed_base,chain,year_on_year"
    assert "2026-01-03,2026-01-03,2026-01-03,叶菜,125.0,100.0," in lines
    assert "2026-01-03,2026-01-03,2026-01-03,瓜菜,,," in lines  # missing that day


def test_weekly_json(tmp_path: Path) -> None:
    code, out, _ = run(
        "market",
        "index",
        write(tmp_path, GOOD),
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
        "--period",
        "week",
    )
    assert code == 0
    (week,) = json.loads(out)["weeks"]
    assert (week["week"], week["from"], week["to"]) == ("2026-W01", "2025-12-29", "2026-01-04")
    # Over the week: 黄瓜 一级 660000/2000 kg = 330 → 1.1, 二级 190000/1000 = 190 → 0.95;
    # 菠菜 180000/400 kg = 450 → 1.125.
    melon = 100 * (1.1 * 0.95) ** 0.5
    assert week["categories"] == pytest.approx({"瓜菜": melon, "叶菜": 112.5})


@pytest.mark.parametrize(
    ("line", "zh_parts"),
    [
        ("2026-01-32,黄瓜,瓜菜,一级,1000,300", ("第 3 行", "date", "2026-01-32", "不是日期")),
        ("2026-01-02,黄瓜,瓜菜,一级,1.5,300", ("第 3 行", "volume_g", "1.5", "非负整数")),
        ("2026-01-02,黄瓜,瓜菜,一级,-5,300", ("第 3 行", "volume_g", "-5", "非负整数")),
        ("2026-01-02,黄瓜,瓜菜,一级,1000,abc", ("第 3 行", "amount_fen", "abc", "非负整数")),
        ("2026-01-02,黄瓜,瓜菜,一级,0,300", ("第 3 行", "volume_g", "0", "没有价格")),
        ("2026-01-02,黄瓜,瓜菜,一级,1000,0", ("第 3 行", "amount_fen", "0", "没有价格")),
        ("2026-01-02,,瓜菜,一级,1000,300", ("第 3 行", "variety", "不能为空")),
        ("2026-01-02,黄瓜,茄果,一级,1000,300", ("第 3 行", "category", "茄果", "第 2 行")),
    ],
)
def test_bad_rows(tmp_path: Path, line: str, zh_parts: tuple[str, ...]) -> None:
    text = HEADER + "2026-01-01,黄瓜,瓜菜,一级,1000,300\n" + line + "\n"
    path = write(tmp_path, text)
    code, out, err = run(
        "market", "index", path, "--base-from", "2026-01-01", "--base-to", "2026-01-01"
    )
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert path in err
    for part in zh_parts:
        assert part in err


def test_every_bad_row_is_named_in_english_too(tmp_path: Path) -> None:
    text = HEADER + "2026-01-01,黄瓜,瓜菜,一级,x,300\n2026-01-02,菠菜,叶菜,一级,1000,y\n"
    code, _, err = run(
        "market",
        "index",
        write(tmp_path, text),
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
        lang="en",
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert "row 2, field volume_g, value 'x': not a non-negative integer" in lines[0]
    assert "row 3, field amount_fen, value 'y'" in lines[1]
    assert lines[-1] == "2 problems; no index"


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("date,variety,grade,volume_g\n", (), "缺少必需的列：category, amount_fen"),
        ("", (), "文件为空"),
        (GOOD, ("--base-from", "2026-1-1"), "--base-from：无法识别的日期“2026-1-1”"),
        (GOOD, ("--base-to", "2025-12-31"), "基期起始日 2026-01-01 晚于结束日 2025-12-31"),
        (GOOD, ("--base-from", "2025-01-01", "--base-to", "2025-01-31"), "基期"),
    ],
)
def test_file_and_option_errors(
    tmp_path: Path, text: str, args: tuple[str, ...], message: str
) -> None:
    options = {"--base-from": "2026-01-01", "--base-to": "2026-01-01"}
    for key, value in zip(args[::2], args[1::2], strict=True):
        options[key] = value
    flat = [x for pair in options.items() for x in pair]
    code, _, err = run("market", "index", write(tmp_path, text), *flat)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_missing_file(tmp_path: Path) -> None:
    code, _, err = run(
        "market",
        "index",
        str(tmp_path / "nope.csv"),
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
    )
    assert code == 2
    assert "nope.csv" in err and "找不到文件" in err


def test_blank_lines_and_extra_columns_are_fine(tmp_path: Path) -> None:
    text = (
        "origin,date,variety,category,grade,volume_g,amount_fen\n"
        "寿光,2026-01-01,黄瓜,瓜菜,一级,1000,300\n\n"
        "寿光,2026-01-02,黄瓜,瓜菜,一级,1000,330\n"
    )
    code, out, _ = run(
        "market",
        "index",
        write(tmp_path, "\ufeff" + text),
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
    )
    assert code == 0
    assert json.loads(out)["days"][1]["total"] == pytest.approx(110.0)


def test_chinese_headers(tmp_path: Path) -> None:
    text = (
        "日期,品种,类别,等级,成交量（克）,成交额（分）\n"
        "2026-01-01,黄瓜,瓜菜,一级,1000,300\n"
        "2026-01-02,黄瓜,瓜菜,一级,2000,720\n"  # 360 fen/kg against 300
    )
    code, out, err = run(
        "market", "index", write(tmp_path, text), "--base-from", "2026-01-01",
        "--base-to", "2026-01-01",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["days"][1]["total"] == pytest.approx(120.0)


def test_a_zero_row_counts_in_the_days_sums(tmp_path: Path) -> None:
    """u = Σ amount / Σ kg (the definition): a row of 0 fen beside a priced row on the same day
    lowers the day's unit value instead of being refused."""
    text = (
        HEADER
        + "2026-01-01,黄瓜,瓜菜,一级,1000,1000\n"  # base: 1000 fen / 1 kg
        + "2026-01-02,黄瓜,瓜菜,一级,1000,0\n"
        + "2026-01-02,黄瓜,瓜菜,一级,1000,3000\n"  # day: 3000 fen / 2 kg = 1500
    )
    code, out, err = run(
        "market",
        "index",
        str(write(tmp_path, text)),
        "--base-from",
        "2026-01-01",
        "--base-to",
        "2026-01-01",
    )
    assert code == 0, err
    day = json.loads(out)["days"][1]
    assert day["date"] == "2026-01-02" and day["total"] == pytest.approx(150.0)
