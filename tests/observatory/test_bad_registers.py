"""A corpus of bad registers, each giving its specific error (issue "Observatory I")."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from jiqun.observatory.errors import FileProblem, InvalidRows, UserError
from jiqun.observatory.register import load_register

from .conftest import HEADER, code, good_rows, write_csv, write_xlsx


def error_text(path: Path, lang: str = "zh", **kw: object) -> str:
    with pytest.raises(UserError) as info:
        load_register(path, **kw)  # type: ignore[arg-type]
    return "\n".join(info.value.lines(lang))  # type: ignore[arg-type]


def bad_row(tmp_path: Path, row: int, column: int, value: str) -> str:
    rows = good_rows()
    rows[row][column] = value
    return error_text(write_csv(tmp_path / "bad.csv", rows))


def test_text_in_a_number(tmp_path: Path) -> None:
    text = bad_row(tmp_path, 2, HEADER.index("主营业务收入（万元）"), "约两万")
    assert text.splitlines()[0] == (
        f"{tmp_path / 'bad.csv'}，第4行：列“主营业务收入（万元）”，值“约两万”：不是数字"
    )
    assert "1行无效数据" in text


def test_english_messages(tmp_path: Path) -> None:
    rows = good_rows()
    rows[2][6] = "about 20k"
    text = error_text(write_csv(tmp_path / "bad.csv", rows), lang="en")
    assert text.splitlines()[0].endswith(
        "row 4: column '主营业务收入（万元）', value 'about 20k': not a number"
    )


def test_negative_revenue(tmp_path: Path) -> None:
    text = bad_row(tmp_path, 0, HEADER.index("主营业务收入（万元）"), "-5")
    assert "第2行：列“主营业务收入（万元）”，值“-5”：不能为负数" in text


def test_negative_profit_is_allowed(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0][HEADER.index("利润（万元）")] = "-500"
    assert load_register(write_csv(tmp_path / "ok.csv", rows)).frame["profit"][0] == -500


def test_bad_credit_code(tmp_path: Path) -> None:
    good = code(7)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    text = bad_row(tmp_path, 1, HEADER.index("统一社会信用代码"), wrong)
    assert (
        f"第3行：列“统一社会信用代码”，值“{wrong}”：统一社会信用代码校验位错误（GB 32100-2015）"
        in text
    )
    assert "应为18位" in bad_row(tmp_path, 1, 2, "91370782")
    assert "无效字符" in bad_row(tmp_path, 1, 2, "91370782000000O10X")


def test_duplicate_firm(tmp_path: Path) -> None:
    rows = good_rows()
    rows.append(list(rows[1]))  # same year, code, name and town as row 3
    rows.append(list(rows[0]))
    rows[-1][1] = "新郎服饰有限公司"  # same code (row 2) under another name
    text = error_text(write_csv(tmp_path / "dup.csv", rows))
    lines = text.splitlines()
    assert "第10行：" in lines[0] and "与第3行重复（同一年度、同一统一社会信用代码）" in lines[0]
    assert "与第3行重复（同一年度、同一企业名称和镇街）" in lines[0]
    assert "第11行：" in lines[1] and "与第2行重复（同一年度、同一统一社会信用代码）" in lines[1]
    assert "2行无效数据" in lines[-1]


def test_several_problems_in_one_row_make_one_line(tmp_path: Path) -> None:
    rows = good_rows()
    rows[4][0] = "去年"
    rows[4][10] = "也许"
    text = error_text(write_csv(tmp_path / "bad.csv", rows))
    first = text.splitlines()[0]
    assert (
        "第6行" in first and "值“去年”：不是有效的年度" in first and "值“也许”：应为 是/否" in first
    )


def test_missing_required_value(tmp_path: Path) -> None:
    assert "第2行：列“镇街”，值“ ”：必填项为空" in bad_row(tmp_path, 0, HEADER.index("镇街"), " ")


def test_bad_industry_code(tmp_path: Path) -> None:
    assert "不是 GB/T 4754-2017 行业代码" in bad_row(tmp_path, 0, HEADER.index("行业代码"), "18100")


def test_missing_required_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "主营业务收入（万元）"]
    rows = [
        [v for h, v in zip(HEADER, r, strict=True) if h != "主营业务收入（万元）"]
        for r in good_rows()
    ]
    path = write_csv(tmp_path / "r.csv", rows, header=header)
    assert error_text(path) == f"{path}：缺少必需的列：主营业务收入（万元）"


def test_wrong_encoding_is_named(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        ",".join(HEADER).encode("utf-8") + "\n2024,Café Müller\xe9,".encode("latin-1")
    )
    assert "无法识别文件编码：既不是 UTF-8，也不是 GBK/GB18030（第2行附近" in error_text(latin)
    big5 = tmp_path / "big5.csv"  # a Taiwanese office's register: Big5 decodes as GBK gibberish
    big5.write_bytes(
        "年度,企業名稱,鎮街,主營業務收入（萬元）\n2024,新郎服飾,龍都,600000\n".encode("big5")
    )
    assert "文件可能不是 UTF-8 或 GBK/GB18030 编码" in error_text(big5)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert error_text(empty) == f"{empty}：文件为空"
    blank = tmp_path / "blank.xlsx"
    workbook = xlsxwriter.Workbook(str(blank))
    workbook.add_worksheet()
    workbook.close()
    assert error_text(blank) == f"{blank}：文件为空"
    header_only = write_csv(tmp_path / "header.csv", [])
    assert error_text(header_only) == f"{header_only}：表头下面没有数据行"


def test_merged_header_cells(tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("名录")
    ws.write_row(0, 0, HEADER[:6])
    ws.merge_range(0, 6, 0, 8, "经济指标（万元）")
    ws.write_row(1, 6, ["主营业务收入", "利税", "利润"])
    for i, row in enumerate(good_rows(), start=2):
        ws.write_row(i, 0, row[:9])
    workbook.close()
    text = error_text(path)
    assert "表头有合并单元格（G1:I1）" in text


def test_two_row_header_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    top = ",".join(HEADER[:6]) + ",经济指标（万元）,,"
    second = ",,,,,,主营业务收入（万元）,利税（万元）,利润（万元）"
    body = "\n".join(",".join(r[:9]) for r in good_rows())
    path.write_text(f"{top}\n{second}\n{body}\n", encoding="utf-8")
    assert "表头跨两行（第1行和第2行" in error_text(path)


def test_second_sheet(tmp_path: Path) -> None:
    path = tmp_path / "two_sheets.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in (("2024年", good_rows()[:5]), ("2023年", good_rows()[5:])):
        ws = workbook.add_worksheet(name)
        ws.write_row(0, 0, HEADER)
        for i, row in enumerate(rows, start=1):
            ws.write_row(i, 0, row)
    workbook.close()
    assert "工作簿有多个含数据的工作表（2024年、2023年）：请用 --sheet 指定" in error_text(path)
    assert load_register(path, sheet="2023年").frame.height == 3
    assert "没有名为“汇总”的工作表" in error_text(path, sheet="汇总")


def test_row_wider_than_header(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    lines = [",".join(HEADER)] + [",".join(r) for r in good_rows()]
    lines[3] += ",多出来的值"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "第4行：" in error_text(path) and "这一行有15个单元格，表头只有14列" in error_text(path)
    xlsx = tmp_path / "wide.xlsx"
    write_xlsx(xlsx, good_rows())
    workbook = xlsxwriter.Workbook(str(xlsx))
    ws = workbook.add_worksheet("名录")
    ws.write_row(0, 0, HEADER)
    for i, row in enumerate(good_rows(), start=1):
        ws.write_row(i, 0, row)
    ws.write(5, 16, "备注在表头外")
    workbook.close()
    assert "第6行" in error_text(xlsx)


def test_two_columns_for_one_field(tmp_path: Path) -> None:
    header = [*HEADER, "营业收入（万元）"]
    rows = [[*r, "1"] for r in good_rows()]
    path = write_csv(tmp_path / "r.csv", rows, header=header)
    assert "列“主营业务收入（万元）”和列“营业收入（万元）”都表示主营业务收入（万元）" in error_text(
        path
    )


def test_not_a_register(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("会议纪要,日期\n讨论集群规划,2024-05-01\n", encoding="utf-8")
    assert "前20行中没有找到表头" in error_text(path)
    other = tmp_path / "r.docx"
    other.write_bytes(b"PK")
    assert "不支持的文件类型“.docx”" in error_text(other)
    assert "找不到文件" in error_text(tmp_path / "nowhere.csv")


def test_corrupt_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileProblem) as info:
        load_register(path)
    assert "无法读取文件" in str(info.value)


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    rows = good_rows() * 1
    for r in rows:
        r[6] = "n/a"
    with pytest.raises(InvalidRows) as info:
        load_register(write_csv(tmp_path / "r.csv", rows))
    assert [p.row for p in info.value.problems] == list(range(2, 10))
