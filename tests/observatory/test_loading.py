"""Reading registers: formats, encodings, headers, number and flag spellings (PRODUCT.md O1)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from jiqun.observatory.register import load_register

from .conftest import HEADER, good_rows, write_csv, write_xlsx


def test_csv_utf8_typed(tmp_path: Path) -> None:
    reg = load_register(write_csv(tmp_path / "r.csv", good_rows()))
    frame = reg.frame
    assert frame.height == 8
    assert frame["year"].dtype == pl.Int64
    assert frame["revenue"].dtype == pl.Float64
    assert frame["high_tech"].to_list()[:2] == [True, False]
    assert frame["_row"].to_list() == list(range(2, 10))
    assert reg.years() == [2023, 2024]
    assert {"year", "name", "revenue", "town"} <= reg.present
    assert "cluster" not in reg.present and frame["cluster"].null_count() == 8


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    reg = load_register(write_csv(tmp_path / "r.csv", good_rows(), encoding=encoding))
    assert reg.frame["name"].to_list()[:2] == ["新郎服饰", "桑莎集团"]
    assert reg.frame["town"][1] == "昌城镇"


def test_xlsx_and_xls(tmp_path: Path) -> None:
    xlsx = load_register(write_xlsx(tmp_path / "r.xlsx", good_rows()))
    assert xlsx.sheet == "名录"
    assert xlsx.frame["revenue"].sum() == 5_790_000
    assert xlsx.frame["industry_code"][0] == "1810"
    assert xlsx.frame["_row"].to_list() == list(range(2, 10))

    import xlwt  # a dev dependency: always installed by the test command

    book = xlwt.Workbook()
    ws = book.add_sheet("Sheet1")
    for j, h in enumerate(HEADER):
        ws.write(0, j, h)
    for i, row in enumerate(good_rows(), start=1):
        for j, v in enumerate(row):
            ws.write(i, j, float(v) if v.replace(".", "").isdigit() and j != 2 else v)
    book.save(str(tmp_path / "r.xls"))
    xls = load_register(tmp_path / "r.xls")
    assert xls.frame.drop("_row").equals(xlsx.frame.drop("_row"))


def test_parquet(tmp_path: Path) -> None:
    frame = pl.DataFrame({h: [r[j] for r in good_rows()] for j, h in enumerate(HEADER)})
    frame = frame.with_columns(
        pl.col("主营业务收入（万元）").cast(pl.Float64), pl.col("年度").cast(pl.Int32)
    )
    frame.write_parquet(tmp_path / "r.parquet")
    reg = load_register(tmp_path / "r.parquet")
    assert reg.frame["year"].to_list()[0] == 2024
    assert reg.frame["revenue"][0] == 600000
    assert reg.frame["_row"][0] == 1


def test_canonical_and_alias_headers_and_spellings(tmp_path: Path) -> None:
    header = [
        "year",
        "单位名称",
        "乡镇（街道）",
        "国民经济行业代码",
        "营业收入(万元)",
        "利润总额（万元）",
        "规模以上",
        "高新技术企业",
        "职工人数",
        "备注",
    ]
    rows = [
        [
            "２０２４",
            " 甲厂 ",
            "龙都街道",
            "C1810",
            "１，２３４．５",
            "-12",
            "是",
            "Y",
            "1,200",
            "新设",
        ],
        ["2024年", "乙厂", "昌城镇", "3670", "1,000,000", "0", "否", "n", "0", ""],
        ["2024", "丙厂", "昌城镇", "3670", "7", "3.25", "1", "TRUE", "5", ""],
        ["2024", "丁厂", "昌城镇", "3670", "8", "", "0", "false", "", ""],
    ]
    reg = load_register(write_csv(tmp_path / "r.csv", rows, header=header))
    f = reg.frame
    assert f["year"].to_list() == [2024] * 4
    assert f["name"][0] == "甲厂"
    assert f["industry_code"].to_list() == ["1810", "3670", "3670", "3670"]
    assert f["revenue"].to_list() == [1234.5, 1_000_000, 7, 8]
    assert f["profit"].to_list() == [-12, 0, 3.25, None]
    assert f["above_quota"].to_list() == [True, False, True, False]
    assert f["high_tech"].to_list() == [True, False, True, False]
    assert f["employees"].to_list() == [1200, 0, 5, None]
    assert f["备注"].to_list() == ["新设", None, None, None]  # unknown columns are kept


def test_title_rows_and_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    lines = ["诸城市限额以上企业名录（2024年）", "", ",".join(HEADER)]
    lines += [",".join(r) for r in good_rows()[:2]] + ["", ",".join(good_rows()[2])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reg = load_register(path)
    assert reg.frame["_row"].to_list() == [4, 5, 7]


def test_quoted_line_break_keeps_row_numbers(tmp_path: Path) -> None:
    rows = good_rows()[:3]
    rows[0][1] = "新郎\n服饰"
    rows[2][6] = "x"
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(Exception) as info:
        load_register(path)
    # a spreadsheet shows the quoted line break inside one cell: the bad row is row 4
    assert "第4行" in str(info.value)


def test_skip_invalid_keeps_the_rest_and_returns_rejects(tmp_path: Path) -> None:
    rows = good_rows()
    rows[1][6] = "四十万"
    rows[3][0] = ""
    reg = load_register(write_csv(tmp_path / "r.csv", rows), skip_invalid=True)
    assert reg.frame.height == 6
    assert reg.rejected == 2
    assert reg.rejects is not None
    assert reg.rejects["行号"].to_list() == [3, 5]
    assert reg.rejects["企业名称"].to_list() == ["桑莎集团", "福田汽车"]
    assert "不是数字" in reg.rejects["问题"][0]


def test_xlsx_title_merged_above_the_header(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "titled.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("名录")
    ws.merge_range(0, 0, 0, len(HEADER) - 1, "诸城市限额以上企业名录")
    ws.write_row(1, 0, HEADER)  # right below the title
    for i, row in enumerate(good_rows(), start=2):
        ws.write_row(i, 0, row)
    workbook.close()
    reg = load_register(path)
    assert reg.frame.height == 8
    assert reg.frame["_row"].to_list() == list(range(3, 11))
