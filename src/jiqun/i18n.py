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
    # plan, targets and placement ledger files (O6, O7)
    "small_file_format": (
        "不支持的文件类型“{suffix}”：请使用 .csv、.xlsx 或 .xls",
        "unsupported file type '{suffix}': use .csv, .xlsx or .xls",
    ),
    "not_positive": ("必须大于0", "must be greater than 0"),
    "not_a_positive_integer": ("应为正整数", "must be a whole number of at least 1"),
    "duplicate_tier": ("与第{other}行重复（同一档次）", "duplicates row {other} (same tier)"),
    "duplicate_plan_cluster": (
        "与第{other}行重复（同一产业集群）",
        "duplicates row {other} (same cluster)",
    ),
    "threshold_order": (
        "档次靠后的门槛应更低：应低于第{tier}档的{threshold}亿元",
        "a later tier needs a lower threshold: below tier {tier}'s {threshold} (100 million yuan)",
    ),
    "unknown_town": (
        "登记表中没有这个乡镇（街道）（有：{towns}）",
        "no such town in the register (it has: {towns})",
    ),
    "ambiguous_town": (
        "可指多个乡镇（街道）：{towns}，请写全称",
        "names several towns: {towns}; write the full name",
    ),
    "file_invalid_summary": (
        "文件有{count}行无效数据，未做任何计算，请改正后重试",
        "the file has {count} invalid rows; nothing was computed: correct them and run again",
    ),
    "ledger_invalid_summary": (
        "台账有{count}行无效数据，未做任何计算。可加 --skip-invalid 跳过这些行（写入拒收文件）",
        "the ledger has {count} invalid rows; nothing was computed. Add --skip-invalid to skip "
        "them (they are written to a rejects file)",
    ),
    "plan_clusters_missing": (
        "集群定义中没有这些规划集群：{clusters}",
        "the cluster definitions lack these planned clusters: {clusters}",
    ),
    "plan_clusters_default": (
        "规划集群{clusters}不在内置的诸城市14个规划集群中：请用 --clusters 指定集群定义文件",
        "the planned clusters {clusters} are not among the 14 built-in Zhucheng clusters: "
        "give a definitions file with --clusters",
    ),
    "target_year": (
        "目标年度{target}必须晚于统计年度{year}",
        "the target year {target} must be later than the year {year}",
    ),
    "plan_unmatched": (
        "注意：登记表的“所属集群”列中没有这些规划集群，按0计算：{clusters}",
        "note: the register's cluster column never names these planned clusters; "
        "they count as 0: {clusters}",
    ),
    "duplicate_placement": (
        "与第{other}行重复（同一年度、同一企业）",
        "duplicates row {other} (same year and enterprise)",
    ),
    "ledger_no_year": (
        "台账中没有{year}年度的记录（有：{years}）",
        "the ledger has no rows for {year} (it has: {years})",
    ),
    "bad_ratio": (
        "“{value}”不是0到1之间的比例（可写 0.6、60% 或 6:4）",
        "'{value}' is not a ratio between 0 and 1 (write 0.6, 60% or 6:4)",
    ),
    "no_activity": (
        "{year}年没有可按乡镇和行业归类的企业",
        "no firm of {year} can be placed by town and industry",
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
