"""Scale (O9) without Spark: typed Parquet registers are checked exactly like text ones, and
the plain pandas reference of ``bench/bench_scale.py`` agrees with the embedded engine."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from jiqun.observatory import demo_register, stats, towns
from jiqun.observatory.errors import InvalidRows
from jiqun.observatory.register import load_register

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_scale.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module
    spec.loader.exec_module(module)
    return module


def test_pandas_reference_agrees_with_the_embedded_engine(
    bench: ModuleType, tmp_path: Path
) -> None:
    path = bench.register_path(tmp_path, 20_000, 40, 30, 7)
    assert path.name == "register-20000r-40t-30i-s7.parquet"
    ours = bench.embedded_figures(path)
    theirs = bench.pandas_figures(path)
    worst = bench.compare(ours, theirs)
    assert {"industries.eg", "industries.gini", "cells.lq", "towns.krugman"} <= set(worst)
    assert max(worst.values()) <= 1e-9
    # the towns' totals add up to the city's revenue, summed independently from the file
    table = pl.read_parquet(path)
    city = ours["clusters"].filter(pl.col("cluster") == "(city)")
    assert city["firms"].item() == 20_000
    assert city["revenue"].item() == pytest.approx(table[bench.HEADERS["revenue"]].sum(), 1e-12)
    assert ours["towns"]["total"].sum() == pytest.approx(city["revenue"].item(), 1e-12)
    # the comparison fails when a figure differs
    broken = dict(theirs, towns=theirs["towns"].with_columns(pl.col("krugman") * 1.001))
    with pytest.raises(AssertionError, match="krugman"):
        bench.compare(ours, broken)


def test_bench_codes_are_four_digit_classes(bench: ModuleType) -> None:
    codes = bench.industry_codes(500)
    assert len(set(codes)) == 500
    assert all(len(c) == 4 and c.isdigit() and 1 <= int(c[:2]) <= 97 for c in codes)


# ------------------------------------------------------------------ typed Parquet registers

HEADER = [
    "年度",
    "企业名称",
    "镇街",
    "行业代码",
    "主营业务收入（万元）",
    "从业人员",
    "高新技术企业",
]
CELLS: list[tuple[int, str, str | None, str, float, float | None, bool | None]] = [
    (2024, "甲", "龙都街道", "1810", 100.5, 3, True),
    (1800, "乙", "龙都街道", "1810", 10.0, 3, False),  # bad year
    (2024, "丙", None, "3670", 10.0, 3, None),  # no town
    (2024, "丁", "昌城镇", "12345", -5.5, 3, True),  # bad code, negative revenue
    (2024, "戊", "昌城镇", "3670", float("nan"), 2.5, False),  # not a number, not an integer
    (2024, "甲", "龙都街道", "1820", 1.0, None, None),  # duplicate of the first row
]


def write_both(tmp_path: Path) -> tuple[Path, Path]:
    """The same cells as typed Parquet (categorical towns and codes) and as a CSV of text."""
    columns = list(zip(*CELLS, strict=True))
    frame = pl.DataFrame(
        {
            HEADER[0]: pl.Series(columns[0], dtype=pl.Int32),
            HEADER[1]: pl.Series(columns[1], dtype=pl.String),
            HEADER[2]: pl.Series(columns[2], dtype=pl.Categorical),
            HEADER[3]: pl.Series(columns[3], dtype=pl.Categorical),
            HEADER[4]: pl.Series(columns[4], dtype=pl.Float64),
            HEADER[5]: pl.Series(columns[5], dtype=pl.Float64),
            HEADER[6]: pl.Series(columns[6], dtype=pl.Boolean),
        }
    )
    parquet = tmp_path / "typed.parquet"
    frame.write_parquet(parquet)
    lines = [",".join(HEADER)]
    for year, name, town, code, revenue, staff, flag in CELLS:
        staff_text = "" if staff is None else (str(int(staff)) if staff == int(staff) else "2.5")
        flag_text = "" if flag is None else ("是" if flag else "否")
        revenue_text = "NaN" if revenue != revenue else f"{revenue:g}"
        lines.append(f"{year},{name},{town or ''},{code},{revenue_text},{staff_text},{flag_text}")
    text = tmp_path / "text.csv"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return parquet, text


def problems(path: Path, row_offset: int) -> list[tuple[int, str, str, str]]:
    with pytest.raises(InvalidRows) as caught:
        load_register(path)
    return [
        (p.row - row_offset, c.column, c.value, c.reason)
        for p in caught.value.problems
        for c in p.cells
    ]


def test_typed_parquet_reports_what_the_text_file_reports(tmp_path: Path) -> None:
    parquet, text = write_both(tmp_path)
    typed = problems(parquet, 0)  # Parquet rows are record numbers
    plain = problems(text, 1)  # CSV rows are line numbers, after the header
    nan = (5, "主营业务收入（万元）", "NaN", "not_a_number")
    assert [p for p in typed if p != nan] == [
        p
        for p in plain
        if p != (5, "主营业务收入（万元）", "", "required")  # CSV: NaN is empty
    ]
    assert typed == [
        (2, "年度", "1800", "bad_year"),
        (3, "镇街", "", "required"),
        (4, "行业代码", "12345", "bad_industry_code"),
        (4, "主营业务收入（万元）", "-5.5", "negative"),
        (5, "主营业务收入（万元）", "NaN", "not_a_number"),
        (5, "从业人员", "2.5", "not_an_integer"),
        (6, "企业名称", "甲", "duplicate_name"),
    ]


def test_typed_parquet_skips_bad_rows_like_text(tmp_path: Path) -> None:
    parquet, text = write_both(tmp_path)
    typed = load_register(parquet, skip_invalid=True)
    plain = load_register(text, skip_invalid=True)
    assert typed.rejected == plain.rejected == 5
    columns = ["year", "name", "town", "industry_code", "revenue", "employees", "high_tech"]
    assert typed.frame.select(columns).rows() == plain.frame.select(columns).rows()
    assert typed.frame.select(columns).rows() == [(2024, "甲", "龙都街道", "1810", 100.5, 3, True)]


def test_demo_register_as_typed_parquet_gives_the_same_figures(tmp_path: Path) -> None:
    csv_path = tmp_path / "zhucheng.csv"
    demo_register.write(demo_register.generate(), csv_path)
    frame = pl.read_csv(csv_path, schema_overrides={"行业代码": pl.String})
    assert frame.schema["主营业务收入（万元）"].is_numeric()
    typed = frame.with_columns(
        pl.col("乡镇（街道）").cast(pl.Categorical), pl.col("行业代码").cast(pl.Categorical)
    )
    parquet = tmp_path / "zhucheng.parquet"
    typed.write_parquet(parquet)
    from_csv, from_parquet = load_register(csv_path), load_register(parquet)
    assert from_parquet.frame.height == from_csv.frame.height > 1000

    def dump(data: dict[str, object]) -> str:
        return json.dumps(data, ensure_ascii=False)

    assert dump(stats.compute(from_parquet).to_json()) == dump(stats.compute(from_csv).to_json())
    for level in ("division", "cluster"):
        assert dump(towns.diagnose(from_parquet, level=level).to_json()) == dump(
            towns.diagnose(from_csv, level=level).to_json()
        )
