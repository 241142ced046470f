"""The enterprise register's columns (PRODUCT.md O1): canonical names, Chinese aliases, types."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a column's cells are parsed and checked."""

    TEXT = "text"
    YEAR = "year"
    CREDIT_CODE = "credit_code"
    INDUSTRY_CODE = "industry_code"
    AMOUNT = "amount"  # number ≥ 0 in 万元
    SIGNED_AMOUNT = "signed_amount"  # number in 万元, may be negative
    COUNT = "count"  # integer ≥ 0
    FLAG = "flag"  # boolean


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    aliases: tuple[str, ...]
    label_zh: str
    label_en: str


COLUMNS: tuple[Column, ...] = (
    Column("year", Kind.YEAR, True, ("年度", "统计年度", "年份"), "年度", "year"),
    Column("name", Kind.TEXT, True, ("企业名称", "单位名称"), "企业名称", "enterprise"),
    Column(
        "credit_code",
        Kind.CREDIT_CODE,
        False,
        ("统一社会信用代码",),
        "统一社会信用代码",
        "unified social credit code",
    ),
    Column(
        "town",
        Kind.TEXT,
        True,
        ("镇街", "所在镇街", "乡镇（街道）", "乡镇"),
        "乡镇（街道）",
        "town",
    ),
    Column(
        "industry_code",
        Kind.INDUSTRY_CODE,
        False,
        ("行业代码", "国民经济行业代码"),
        "行业代码",
        "industry code",
    ),
    Column("cluster", Kind.TEXT, False, ("产业集群", "集群", "所属集群"), "所属集群", "cluster"),
    Column(
        "registered_capital",
        Kind.AMOUNT,
        False,
        ("注册资金（万元）", "注册资本（万元）"),
        "注册资金（万元）",
        "registered capital (10k yuan)",
    ),
    Column(
        "revenue",
        Kind.AMOUNT,
        True,
        ("主营业务收入（万元）", "营业收入（万元）"),
        "主营业务收入（万元）",
        "revenue (10k yuan)",
    ),
    Column(
        "profit_tax",
        Kind.SIGNED_AMOUNT,
        False,
        ("利税（万元）", "利税总额（万元）"),
        "利税（万元）",
        "profit and tax (10k yuan)",
    ),
    Column(
        "profit",
        Kind.SIGNED_AMOUNT,
        False,
        ("利润（万元）", "利润总额（万元）"),
        "利润（万元）",
        "profit (10k yuan)",
    ),
    Column(
        "employees",
        Kind.COUNT,
        False,
        ("从业人员", "从业人员（人）", "职工人数"),
        "从业人员（人）",
        "employees",
    ),
    Column("above_quota", Kind.FLAG, False, ("限额以上", "规模以上"), "限额以上", "above quota"),
    Column(
        "high_tech", Kind.FLAG, False, ("高新技术企业",), "高新技术企业", "high-tech enterprise"
    ),
    Column(
        "rd_centres",
        Kind.COUNT,
        False,
        ("技术开发中心", "研发中心"),
        "技术开发中心",
        "R&D centres",
    ),
    Column(
        "provincial_brand_products",
        Kind.COUNT,
        False,
        ("省级名牌产品",),
        "省级名牌产品",
        "provincial brand products",
    ),
    Column(
        "provincial_famous_trademarks",
        Kind.COUNT,
        False,
        ("省著名商标",),
        "省著名商标",
        "provincial famous trademarks",
    ),
    Column(
        "national_brand_products",
        Kind.COUNT,
        False,
        ("国家名牌产品",),
        "国家名牌产品",
        "national brand products",
    ),
    Column(
        "china_well_known_trademarks",
        Kind.COUNT,
        False,
        ("全国驰名商标", "中国驰名商标"),
        "全国驰名商标",
        "China well-known trademarks",
    ),
    Column("key_enterprise", Kind.FLAG, False, ("骨干企业",), "骨干企业", "key enterprise"),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)


def header_key(header: str) -> str:
    """Normalise a header for matching: NFKC (full-width → half-width), no spaces, lower case.

    NFKC turns the full-width brackets of "注册资金（万元）" into "(" and ")", so a header typed
    with ASCII brackets matches too.
    """
    return "".join(unicodedata.normalize("NFKC", header).split()).lower()


_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.name, *_column.aliases):
        _LOOKUP[header_key(_alias)] = _column.name
        # "主营业务收入" without its unit names the same column.
        _LOOKUP.setdefault(
            header_key(_alias).replace("(万元)", "").replace("(人)", ""), _column.name
        )


def canonical_name(header: str) -> str | None:
    """The canonical column a header names, or None for an unknown (kept) column."""
    return _LOOKUP.get(header_key(header))
