"""Small registers written as real files, the way a user's office software writes them."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from jiqun.observatory.credit_code import check_character

HEADER = [
    "年度",
    "企业名称",
    "统一社会信用代码",
    "镇街",
    "行业代码",
    "注册资金（万元）",
    "主营业务收入（万元）",
    "利税（万元）",
    "利润（万元）",
    "从业人员",
    "高新技术企业",
    "技术开发中心",
    "省级名牌产品",
    "骨干企业",
]


def code(n: int) -> str:
    """A valid credit code, different for each n (check character from GB 32100-2015)."""
    body = f"91370782{n:08d}0"[:17]
    return body + check_character(body)


def good_rows() -> list[list[str]]:
    return [
        [
            "2024",
            "新郎服饰",
            code(1),
            "龙都街道",
            "1810",
            "50000",
            "600000",
            "60000",
            "40000",
            "3000",
            "是",
            "1",
            "3",
            "是",
        ],
        [
            "2024",
            "桑莎集团",
            code(2),
            "昌城镇",
            "1711",
            "30000",
            "400000",
            "40000",
            "30000",
            "2000",
            "否",
            "1",
            "2",
            "是",
        ],
        [
            "2024",
            "恒达纺织",
            code(3),
            "昌城镇",
            "1713",
            "1000",
            "20000",
            "2000",
            "1500",
            "200",
            "否",
            "0",
            "0",
            "否",
        ],
        [
            "2024",
            "福田汽车",
            code(4),
            "密州街道",
            "3610",
            "100000",
            "2000000",
            "150000",
            "100000",
            "9000",
            "是",
            "2",
            "4",
            "是",
        ],
        [
            "2024",
            "开元电机",
            code(5),
            "密州街道",
            "3811",
            "8000",
            "90000",
            "9000",
            "6000",
            "800",
            "是",
            "0",
            "0",
            "否",
        ],
        [
            "2023",
            "新郎服饰",
            code(1),
            "龙都街道",
            "1810",
            "50000",
            "500000",
            "50000",
            "32000",
            "2900",
            "是",
            "1",
            "3",
            "是",
        ],
        [
            "2023",
            "桑莎集团",
            code(2),
            "昌城镇",
            "1711",
            "30000",
            "380000",
            "41000",
            "30000",
            "1900",
            "否",
            "1",
            "2",
            "是",
        ],
        [
            "2023",
            "福田汽车",
            code(4),
            "密州街道",
            "3610",
            "100000",
            "1800000",
            "120000",
            "80000",
            "8800",
            "是",
            "2",
            "4",
            "是",
        ],
    ]


def write_csv(
    path: Path, rows: list[list[str]], header: list[str] | None = None, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER if header is None else header)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path, rows: list[list[str]], header: list[str] | None = None, sheet: str = "名录"
) -> Path:
    """Numbers as numbers, as Excel stores them; the rest as text."""
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet(sheet)
    ws.write_row(0, 0, HEADER if header is None else header)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            try:
                number = float(value)
            except ValueError:
                ws.write_string(i, j, value)
            else:
                if j == 2:  # credit codes stay text
                    ws.write_string(i, j, value)
                else:
                    ws.write_number(i, j, number)
    workbook.close()
    return path


@pytest.fixture
def csv_register(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: list[list[str]] | None = None, name: str = "register.csv", **kw: object) -> Path:
        return write_csv(tmp_path / name, good_rows() if rows is None else rows, **kw)  # type: ignore[arg-type]

    return make
