"""Messages in Chinese (the default) and English.

The language comes from ``JIQUN_LANG`` (``zh`` or ``en``) unless a caller passes one. Every
user-facing message of the command line and the reports is looked up here, so that a message
exists in both languages or in neither.
"""

from __future__ import annotations

import os
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # register loading: file-level problems
    "file_missing": ("找不到文件", "file not found"),
    "file_empty": ("文件为空", "the file is empty"),
    "file_format": (
        "不支持的文件类型“{suffix}”：请使用 .xlsx、.xls、.csv 或 .parquet",
        "unsupported file type '{suffix}': use .xlsx, .xls, .csv or .parquet",
    ),
    "file_unreadable": ("无法读取文件：{detail}", "cannot read the file: {detail}"),
    "encoding": (
        "无法识别文件编码：既不是 UTF-8，也不是 GBK/GB18030（第{line}行附近有无法解码的字节）",
        "cannot decode the file: it is neither UTF-8 nor GBK/GB18030 "
        "(undecodable bytes near line {line})",
    ),
    "encoding_garbled": (
        "表头无法识别，文件可能不是 UTF-8 或 GBK/GB18030 编码（读到的表头：{headers}）",
        "no header recognised; the file may be in another encoding than UTF-8 or GBK/GB18030 "
        "(headers read: {headers})",
    ),
    "no_header": (
        "前{rows}行中没有找到表头：表头应包含{required}等列",
        "no header row in the first {rows} rows: the header names columns such as {required}",
    ),
    "no_rows": ("表头下面没有数据行", "there are no data rows below the header"),
    "missing_columns": ("缺少必需的列：{columns}", "required columns missing: {columns}"),
    "duplicate_column": (
        "列“{first}”和列“{second}”都表示{canonical}",
        "columns '{first}' and '{second}' both name {canonical}",
    ),
    "merged_header": (
        "表头有合并单元格（{cells}）：表头必须是一行、每列一个单元格，请取消合并后再导入",
        "the header has merged cells ({cells}): the header must be one row with one cell per "
        "column; unmerge them and load again",
    ),
    "two_row_header": (
        "表头跨两行（第{first}行和第{second}行，可能是合并单元格）：请把表头合并为一行",
        "the header spans two rows ({first} and {second}, merged cells?): make it one row",
    ),
    "several_sheets": (
        "工作簿有多个含数据的工作表（{sheets}）：请用 --sheet 指定要导入的工作表",
        "the workbook has several sheets with data ({sheets}): choose one with --sheet",
    ),
    "no_sheet": (
        "工作簿中没有名为“{sheet}”的工作表（有：{sheets}）",
        "no sheet named '{sheet}' (there are: {sheets})",
    ),
    "ragged_row": (
        "这一行有{found}个单元格，表头只有{expected}列",
        "this row has {found} cells but the header has {expected} columns",
    ),
    # register loading: cell problems
    "required": ("必填项为空", "required value is empty"),
    "not_a_number": ("不是数字", "not a number"),
    "negative": ("不能为负数", "must not be negative"),
    "not_an_integer": ("不是整数", "not a whole number"),
    "bad_year": ("不是有效的年度", "not a valid year"),
    "bad_flag": ("应为 是/否、Y/N、1/0 或 true/false", "must be 是/否, Y/N, 1/0 or true/false"),
    "bad_industry_code": (
        "不是 GB/T 4754-2017 行业代码（2–4位数字）",
        "not a GB/T 4754-2017 industry code (2 to 4 digits)",
    ),
    "credit_code_length": ("统一社会信用代码应为18位", "a credit code has 18 characters"),
    "credit_code_charset": (
        "统一社会信用代码含有无效字符（不能含 I、O、Z、S、V）",
        "the credit code has invalid characters (I, O, Z, S, V are not used)",
    ),
    "credit_code_check": (
        "统一社会信用代码校验位错误（GB 32100-2015）",
        "the credit code's check character is wrong (GB 32100-2015)",
    ),
    "duplicate_code": (
        "与第{other}行重复（同一年度、同一统一社会信用代码）",
        "duplicates row {other} (same year and credit code)",
    ),
    "duplicate_name": (
        "与第{other}行重复（同一年度、同一企业名称和镇街）",
        "duplicates row {other} (same year, name and town)",
    ),
    # how problems are written
    "where": ("{file}，{sheet}第{row}行", "{file}, {sheet}row {row}"),
    "where_sheet": ("工作表“{sheet}”，", "sheet '{sheet}', "),
    "cell": ("列“{column}”，值“{value}”：{reason}", "column '{column}', value '{value}': {reason}"),
    "invalid_summary": (
        "登记表有{count}行无效数据，未做任何计算。可加 --skip-invalid 跳过这些行（写入拒收文件）",
        "the register has {count} invalid rows; nothing was computed. Add --skip-invalid to skip "
        "them (they are written to a rejects file)",
    ),
    "more_problems": ("……另有{count}行未列出", "... and {count} more rows not listed"),
    "skipped": (
        "已跳过{count}行无效数据，写入 {path}",
        "skipped {count} invalid rows, written to {path}",
    ),
    # cluster definitions
    "clusters_file": ("集群定义有误：{detail}", "bad cluster definitions: {detail}"),
    "no_cluster_source": (
        "登记表既没有“所属集群”列，也没有“行业代码”列，无法划分产业集群",
        "the register has neither a cluster nor an industry code column: "
        "clusters cannot be assigned",
    ),
    "no_year": (
        "登记表中没有{year}年度的数据（有：{years}）",
        "the register has no rows for {year} (it has: {years})",
    ),
}


def current_lang() -> Lang:
    lang = os.environ.get("JIQUN_LANG", "zh").lower()
    return "en" if lang.startswith("en") else "zh"


def t(key: str, lang: Lang | None = None, **fields: object) -> str:
    """The message ``key`` in ``lang`` (default: the current language), ``fields`` filled in."""
    zh, en = MESSAGES[key]
    text = en if (lang or current_lang()) == "en" else zh
    return text.format(**fields) if fields else text
