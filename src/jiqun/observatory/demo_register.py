"""A synthetic enterprise register of Zhucheng (诸城市) for 2023 and 2024, for demos and tests.

The register reproduces the seed's survey exactly: for 2024, the firms of each of the nine
default clusters (cluster = longest GB/T 4754-2017 prefix of the firm's industry code) add up
to the figures of ``shared/data/zhucheng_clusters_2024.csv`` (firms above quota, registered
capital, the four brand counts, high-tech firms, R&D centres, revenue, profit-and-tax, profit),
and the flagged key enterprises are the survey's, in its order by revenue.

It also reproduces the survey's diagnosis of scattered industries. The town × industry revenue
matrix is designed, not drawn at random:

* every segment (a cluster's non-key firms in one two-digit division) has a revenue total,
  exact amounts for 舜王街道 and 昌城镇, and town weights for the rest of the city;
* 舜王街道 gets ~27 % general equipment (34), ~24 % building materials (30), ~21 % chemicals
  (26) and ~20 % food processing (13), everything else under 10 %; 昌城镇 gets ~30 % vehicles
  (36, above the city's ~26 %), ~25 % food processing (13), ~19 % rubber tyres (29) and
  ~15 % textiles (17) — so, with "leading industry = LQ ≥ 1 and share ≥ 10 %" on revenue by
  division, both have exactly the four leading industries the seed names;
* the other towns follow the 14-cluster plan's centres (密州 vehicles and electric machinery,
  贾悦 chemicals, 百尺河 casting and forging, 相州 coatings, 辛兴 starch and biotech, 林家村
  bags, 枳沟 casting, 石桥子 wood, 桃林 food and drink, 龙都 textiles and equipment, 皇华
  equipment) with firms scattered around them; machining and textile firms are in all 13 towns;
* firms outside the nine clusters (electric machinery, electronics, steel, aluminium, plastics,
  bags, crafts, power: about 6 % of the city's revenue) sit where they do not change the two
  towns' leading industries.

Only the split of a cell's revenue over its firms, the firms' names, codes, margins, capital,
awards and growth are drawn, from ``random.Random(seed)``; integer amounts are apportioned with
the largest-remainder method so that every sum is exact.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from jiqun.observatory.credit_code import ALPHABET, check_character
from jiqun.observatory.schema import BY_NAME

YEAR = 2024
PREVIOUS_YEAR = 2023
SHEET = "企业名录"
AREA_CODE = "370782"  # 诸城市 (潍坊市)

# Canonical columns of the register, in the schema's order (no ``cluster``: it comes from codes).
COLUMNS: tuple[str, ...] = (
    "year",
    "name",
    "credit_code",
    "town",
    "industry_code",
    "registered_capital",
    "revenue",
    "profit_tax",
    "profit",
    "employees",
    "above_quota",
    "high_tech",
    "rd_centres",
    "provincial_brand_products",
    "provincial_famous_trademarks",
    "national_brand_products",
    "china_well_known_trademarks",
    "key_enterprise",
)
_BRANDS = (
    "provincial_brand_products",
    "provincial_famous_trademarks",
    "national_brand_products",
    "china_well_known_trademarks",
)
_SCHEMA: dict[str, type[pl.DataType]] = {
    name: pl.Int64
    for name in COLUMNS
    if name
    not in (
        "name",
        "credit_code",
        "town",
        "industry_code",
        "above_quota",
        "high_tech",
        "key_enterprise",
    )
} | {
    "name": pl.String,
    "credit_code": pl.String,
    "town": pl.String,
    "industry_code": pl.String,
    "above_quota": pl.Boolean,
    "high_tech": pl.Boolean,
    "key_enterprise": pl.Boolean,
}

MZ, LD, SW, CC = "密州街道", "龙都街道", "舜王街道", "昌城镇"
JY, BCH, XZ, XX = "贾悦镇", "百尺河镇", "相州镇", "辛兴镇"
LJC, ZG, SQZ, TL, HH = "林家村镇", "枳沟镇", "石桥子镇", "桃林镇", "皇华镇"
TOWNS: tuple[str, ...] = (MZ, LD, SW, CC, JY, BCH, XZ, XX, LJC, ZG, SQZ, TL, HH)

TEXTILE, AUTO, FOOD, CHEM = "纺织服装业", "汽车及机械加工业", "食品加工业", "生物化工业"
PAPER, BUILD, WOOD = "造纸包装业", "建筑建材业", "木器加工业"
FOOD_MACH, PAPER_MACH = "食品包装机械业", "造纸机械业"


@dataclass(frozen=True)
class ClusterFigures:
    """One row of zhucheng_clusters_2024.csv (amounts in 万元)."""

    firms: int
    registered_capital: int
    brands: tuple[int, int, int, int]  # in the order of _BRANDS
    high_tech: int
    rd_centres: int
    revenue: int
    profit_tax: int
    profit: int
    key_enterprises: tuple[str, ...]


# The seed's survey (shared/data/zhucheng_clusters_2024.csv), in its order.
CLUSTERS: dict[str, ClusterFigures] = {
    TEXTILE: ClusterFigures(
        169,
        200000,
        (7, 3, 5, 2),
        5,
        2,
        1420000,
        147000,
        104000,
        ("新郎服饰", "桑莎集团", "中纺金维", "德利源纺织", "兰凤针织", "昊宝服饰", "天一巨"),
    ),
    AUTO: ClusterFigures(
        198,
        250000,
        (7, 4, 0, 0),
        10,
        4,
        3235000,
        240000,
        159000,
        ("福田汽车", "义和车桥", "泸河轮胎", "三工橡胶", "通力车轮", "曙光车桥", "兆丰机械"),
    ),
    FOOD: ClusterFigures(
        73,
        130000,
        (8, 9, 3, 1),
        8,
        4,
        1779000,
        95000,
        61000,
        ("外贸公司", "得利斯公司", "万年食品", "润生集团", "仁木食品"),
    ),
    CHEM: ClusterFigures(
        42,
        12000,
        (2, 3, 0, 0),
        4,
        2,
        220000,
        25000,
        16000,
        ("泰盛化工", "良丰化学", "信得药业", "云飞化工", "环宇油漆"),
    ),
    PAPER: ClusterFigures(
        34,
        10000,
        (0, 0, 0, 0),
        2,
        1,
        120000,
        20000,
        13000,
        ("新星纸业", "森科纸业", "长虹包装"),
    ),
    BUILD: ClusterFigures(
        35,
        20000,
        (3, 4, 0, 0),
        5,
        2,
        110000,
        12000,
        7800,
        ("紫阳陶瓷", "钢之杰建材", "鑫鑫水泥", "万兴建材", "隆泰水泥", "华明科技"),
    ),
    WOOD: ClusterFigures(
        30,
        7000,
        (1, 2, 0, 0),
        0,
        0,
        110000,
        11000,
        8000,
        ("顺合木业", "鹏飞木业", "斯特木业", "龙欣木业", "松源木业", "新华宇家具", "美斯达家私"),
    ),
    FOOD_MACH: ClusterFigures(
        10,
        13000,
        (0, 1, 0, 0),
        2,
        1,
        16000,
        3000,
        2024,
        ("小康机械", "正泰机械", "金惠包装机械"),
    ),
    PAPER_MACH: ClusterFigures(
        11,
        10000,
        (0, 0, 0, 0),
        0,
        0,
        24000,
        2800,
        1900,
        ("日东造纸机械公司", "专利造纸机械公司", "汉通造纸机械公司"),
    ),
}


@dataclass(frozen=True)
class _Key:
    """A named firm placed by hand: a cluster's key enterprise (flagged) or 开元电机公司."""

    cluster: str | None
    name: str
    code: str
    town: str
    revenue: int


# Key enterprises with GB/T 4754-2017 classes, towns and 2024 revenue (万元), in the survey's
# order, which is their order by revenue.
_KEYS: tuple[_Key, ...] = (
    _Key(TEXTILE, "新郎服饰", "1810", MZ, 260000),
    _Key(TEXTILE, "桑莎集团", "1820", LD, 150000),
    _Key(TEXTILE, "中纺金维", "1711", CC, 100000),
    _Key(TEXTILE, "德利源纺织", "1712", BCH, 70000),
    _Key(TEXTILE, "兰凤针织", "1761", XZ, 50000),
    _Key(TEXTILE, "昊宝服饰", "1810", LD, 40000),
    _Key(TEXTILE, "天一巨", "1810", XX, 30000),
    _Key(AUTO, "福田汽车", "3611", MZ, 1000000),
    _Key(AUTO, "义和车桥", "3670", MZ, 300000),
    _Key(AUTO, "泸河轮胎", "2911", CC, 220000),
    _Key(AUTO, "三工橡胶", "2911", MZ, 160000),
    _Key(AUTO, "通力车轮", "3670", CC, 120000),
    _Key(AUTO, "曙光车桥", "3670", CC, 100000),
    _Key(AUTO, "兆丰机械", "3670", LD, 80000),
    _Key(FOOD, "外贸公司", "1352", MZ, 480000),
    _Key(FOOD, "得利斯公司", "1353", CC, 300000),
    _Key(FOOD, "万年食品", "1431", TL, 150000),
    _Key(FOOD, "润生集团", "1391", XX, 100000),
    _Key(FOOD, "仁木食品", "1371", LJC, 70000),
    _Key(CHEM, "泰盛化工", "2614", JY, 36000),
    _Key(CHEM, "良丰化学", "2662", JY, 28000),
    _Key(CHEM, "信得药业", "2750", XX, 24000),
    _Key(CHEM, "云飞化工", "2641", XZ, 16000),
    _Key(CHEM, "环宇油漆", "2641", XZ, 12000),
    _Key(PAPER, "新星纸业", "2221", MZ, 30000),
    _Key(PAPER, "森科纸业", "2221", BCH, 22000),
    _Key(PAPER, "长虹包装", "2231", LD, 15000),
    _Key(BUILD, "紫阳陶瓷", "3071", SW, 22000),
    _Key(BUILD, "钢之杰建材", "3022", LD, 14000),
    _Key(BUILD, "鑫鑫水泥", "3011", SW, 11000),
    _Key(BUILD, "万兴建材", "3021", SW, 8000),
    _Key(BUILD, "隆泰水泥", "3011", ZG, 6500),
    _Key(BUILD, "华明科技", "3099", LD, 5000),
    _Key(WOOD, "顺合木业", "2021", SQZ, 22000),
    _Key(WOOD, "鹏飞木业", "2011", MZ, 15000),
    _Key(WOOD, "斯特木业", "2022", LD, 12000),
    _Key(WOOD, "龙欣木业", "2021", ZG, 10000),
    _Key(WOOD, "松源木业", "2011", SQZ, 8500),
    _Key(WOOD, "新华宇家具", "2110", MZ, 7000),
    _Key(WOOD, "美斯达家私", "2110", SQZ, 6000),
    _Key(FOOD_MACH, "小康机械", "3531", MZ, 4000),
    _Key(FOOD_MACH, "正泰机械", "3467", LD, 3000),
    _Key(FOOD_MACH, "金惠包装机械", "3467", HH, 2500),
    _Key(PAPER_MACH, "日东造纸机械公司", "3541", MZ, 8000),
    _Key(PAPER_MACH, "专利造纸机械公司", "3541", LD, 5000),
    _Key(PAPER_MACH, "汉通造纸机械公司", "3541", HH, 3500),
)
# Not in any of the nine clusters, so not a cluster's key enterprise: 开元电机 (plan cluster 1).
_OTHER_NAMED: tuple[_Key, ...] = (_Key(None, "开元电机公司", "3812", MZ, 90000),)


@dataclass(frozen=True)
class _Segment:
    """The non-key firms of one cluster (None: outside the nine) in one two-digit division.

    ``fixed`` gives exact revenue for 舜王街道 and 昌城镇; the rest of ``revenue`` is split over
    ``weights``. A non-cluster segment has ``firms`` firms; a cluster's firm count comes from
    the survey and is spread over its cells in proportion to revenue.
    """

    cluster: str | None
    classes: tuple[str, ...]
    revenue: int
    weights: Mapping[str, int]
    fixed: Mapping[str, int] = field(default_factory=dict)
    firms: int = 0

    @property
    def division(self) -> str:
        return self.classes[0][:2]


_SEGMENTS: tuple[_Segment, ...] = (
    # 纺织服装业: 17 = 680 000, 18 = 740 000 with the key enterprises.
    _Segment(
        TEXTILE,
        ("1711", "1712", "1713", "1761", "1762"),
        460000,
        {MZ: 20, LD: 31, JY: 5, BCH: 10, XZ: 8, XX: 5, LJC: 4, ZG: 4, SQZ: 2, TL: 3, HH: 8},
        {SW: 2000, CC: 98000},
    ),
    _Segment(
        TEXTILE,
        ("1810", "1820", "1830"),
        260000,
        {MZ: 30, LD: 35, JY: 5, BCH: 5, XZ: 5, XX: 5, LJC: 3, ZG: 3, SQZ: 3, TL: 3, HH: 3},
        {SW: 3000, CC: 40000},
    ),
    # 汽车及机械加工业: 36 = 1 950 000, 29 (tyres) = 500 000, 33, 34, 35.
    _Segment(
        AUTO,
        ("3670", "3670", "3670", "3630", "3660"),
        350000,
        {MZ: 40, LD: 15, JY: 5, BCH: 8, XZ: 5, XX: 3, LJC: 3, ZG: 5, SQZ: 3, TL: 3, HH: 10},
        {SW: 5000, CC: 176000},
    ),
    _Segment(
        AUTO,
        ("2911", "2912", "2913"),
        120000,
        {MZ: 40, LD: 20, JY: 10, BCH: 10, XX: 5, ZG: 5, HH: 10},
        {CC: 30000},
    ),
    _Segment(
        AUTO,
        ("3311", "3391", "3392", "3393", "3360"),
        250000,
        {MZ: 20, LD: 10, JY: 3, BCH: 35, XZ: 3, XX: 2, LJC: 2, ZG: 25, SQZ: 2, TL: 2, HH: 6},
        {SW: 3000, CC: 15000},
    ),
    _Segment(
        AUTO,
        ("3412", "3421", "3423", "3441", "3443", "3484"),
        300000,
        {MZ: 40, LD: 15, JY: 3, BCH: 12, XZ: 3, XX: 2, LJC: 2, ZG: 12, SQZ: 2, TL: 2, HH: 7},
        {SW: 60000, CC: 20000},
    ),
    _Segment(
        AUTO,
        ("3511", "3551", "3572", "3599"),
        235000,
        {MZ: 15, LD: 40, JY: 3, BCH: 5, XZ: 2, XX: 2, LJC: 2, ZG: 6, SQZ: 2, TL: 3, HH: 20},
        {CC: 15000},
    ),
    # 食品加工业: 13 = 1 280 000, 14 = 400 000, 15 = 99 000.
    _Segment(
        FOOD,
        ("1320", "1331", "1352", "1353", "1371", "1391", "1392"),
        330000,
        {MZ: 15, LD: 10, JY: 10, BCH: 8, XZ: 8, XX: 12, LJC: 10, ZG: 6, SQZ: 5, TL: 10, HH: 6},
        {SW: 43000, CC: 30000},
    ),
    _Segment(
        FOOD,
        ("1431", "1432", "1462", "1495"),
        250000,
        {MZ: 25, LD: 15, TL: 30, XX: 10, LJC: 8, JY: 4, BCH: 3, XZ: 3, ZG: 2, SQZ: 2, HH: 3},
        {SW: 2000, CC: 30000},
    ),
    _Segment(
        FOOD, ("1512", "1513", "1530"), 99000, {TL: 50, MZ: 20, LD: 10, LJC: 10, XX: 5}, {CC: 5000}
    ),
    # 生物化工业: 26 = 176 000, 27 = 40 000, 28 = 4 000.
    _Segment(
        CHEM,
        ("2614", "2641", "2661", "2662"),
        84000,
        {JY: 35, XZ: 30, MZ: 10, LD: 10, XX: 10, BCH: 5},
        {SW: 46000},
    ),
    _Segment(CHEM, ("2710", "2720", "2761"), 16000, {XX: 60, MZ: 20, LD: 20}),
    _Segment(CHEM, ("2822",), 4000, {LD: 100}),
    # 造纸包装业: 22 = 100 000, 23 = 20 000.
    _Segment(PAPER, ("2221", "2231", "2239"), 33000, {MZ: 30, LD: 30, BCH: 10}, {CC: 5000}),
    _Segment(PAPER, ("2319",), 20000, {MZ: 50, LD: 30, XZ: 10, JY: 10}),
    # 建筑建材业: 30 = 98 000, 47 = 7 000, 50 = 5 000.
    _Segment(
        BUILD,
        ("3011", "3021", "3022", "3031", "3071", "3099"),
        31500,
        {LD: 40, MZ: 20, SQZ: 10, BCH: 10, XZ: 10, JY: 10},
        {SW: 11000, CC: 5000},
    ),
    _Segment(BUILD, ("4710",), 7000, {MZ: 60, LD: 40}),
    _Segment(BUILD, ("5011",), 5000, {MZ: 100}),
    # 木器加工业: 20 = 75 000, 21 = 35 000.
    _Segment(WOOD, ("2011", "2021", "2022", "2031"), 7500, {SQZ: 60, LD: 20, ZG: 20}, {SW: 4000}),
    _Segment(WOOD, ("2110", "2190"), 22000, {SQZ: 40, MZ: 30, LD: 30}),
    # 食品包装机械业 (3531 + 3467 = 16 000) and 造纸机械业 (3541 = 24 000).
    _Segment(FOOD_MACH, ("3531",), 3500, {MZ: 60, TL: 40}),
    _Segment(FOOD_MACH, ("3467",), 3000, {LD: 50, HH: 50}),
    _Segment(PAPER_MACH, ("3541",), 7500, {MZ: 40, LD: 30, HH: 30}),
    # Outside the nine clusters: 480 000 with 开元电机公司, about 6 % of the city.
    _Segment(
        None,
        ("3812", "3823", "3831"),
        110000,
        {MZ: 40, LD: 20, HH: 10, BCH: 10, ZG: 5, JY: 5, XZ: 5},
        {CC: 10000},
        firms=24,
    ),
    _Segment(
        None, ("2922", "2923", "2926"), 60000, {LD: 30, LJC: 25, MZ: 20, XZ: 10, JY: 15}, firms=14
    ),
    _Segment(None, ("1923",), 35000, {LJC: 80, MZ: 10, LD: 10}, firms=12),
    _Segment(None, ("3981", "3982"), 40000, {MZ: 60, LD: 40}, firms=7),
    _Segment(None, ("3120", "3130"), 55000, {BCH: 40, ZG: 40, MZ: 20}, firms=5),
    _Segment(None, ("3252",), 30000, {MZ: 50, LD: 50}, firms=4),
    _Segment(None, ("2439",), 20000, {MZ: 40, XZ: 30, TL: 30}, firms=8),
    _Segment(None, ("4412",), 40000, {MZ: 50, LD: 50}, firms=3),
)

# Firms the 14-cluster plan names (zhucheng_cluster_plan.csv) that are not survey key
# enterprises: each becomes the largest firm of its (class's segment, town) cell.
_PLAN_FIRMS: tuple[tuple[str, str, str], ...] = (
    ("泰瑞公司", "3670", SW),
    ("海得威公司", "3511", LD),
    ("科能阳光公司", "3599", HH),
    ("石龙阀门公司", "3443", BCH),
    ("三维管件公司", "3393", BCH),
    ("圣阳机械公司", "3484", BCH),
    ("兴创纺织公司", "1712", LD),
    ("红星百瑞特公司", "3021", SW),
    ("东晓生物科技公司", "1495", XX),
    ("浩天药业公司", "2710", XX),
    ("爱玲包袋公司", "1923", LJC),
    ("鑫宝公司", "3391", ZG),
    ("万通公司", "3423", ZG),
    ("桃林茶厂", "1530", TL),
    ("酒厂", "1512", TL),
    ("桃林食品", "1431", TL),
)

# Words of synthetic names: a trade name (字号) and the industry of each class.
_TRADE_NAME_CHARS = (
    "恒达鑫源华信宏利瑞祥金泰昌盛永兴润泽海川新宇中联东方泰和鸿运广源天成盛世宏达金鼎"
    "聚丰福瑞华盛汇通博远宏图诚信顺达万嘉德隆瑞丰嘉诚同力兴业振华鲁泰密州常山超然舜耕"
    "潍河九台卢山马耳齐鲁恒信佳和鼎盛正阳金诚永利民生宝丰银河春晖康达凯旋华威利民元亨"
    "晨光旭日金阳天元泰丰绿源青松龙腾东升富源隆昌宇通瑞达祥和远航兴旺恒泰浩宇金源和信"
    "荣华众诚安泰嘉禾华丰鑫达万顺丰泽弘毅铭扬锦程信达盛泰立新明德卓越久隆新华汇丰百川"
    "益康成达金桥"
)
_TRADE_NAMES: tuple[str, ...] = tuple(
    _TRADE_NAME_CHARS[i : i + 2] for i in range(0, len(_TRADE_NAME_CHARS), 2)
)
_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "1711": ("纺织", "棉纺"),
    "1712": ("纺织", "织造"),
    "1713": ("印染",),
    "1761": ("针织",),
    "1762": ("针织",),
    "1810": ("服饰", "服装", "制衣"),
    "1820": ("针织服饰",),
    "1830": ("服饰",),
    "3670": ("汽车配件", "车桥", "汽车部件", "汽车零部件"),
    "3630": ("专用车", "汽车改装"),
    "3660": ("车身", "挂车"),
    "2911": ("轮胎",),
    "2912": ("橡胶",),
    "2913": ("橡胶制品",),
    "3311": ("钢结构",),
    "3391": ("铸造",),
    "3392": ("精密铸造",),
    "3393": ("锻造",),
    "3360": ("金属表面处理",),
    "3412": ("动力机械",),
    "3421": ("机床",),
    "3423": ("铸造机械",),
    "3441": ("泵业",),
    "3443": ("阀门",),
    "3484": ("机械", "机械制造"),
    "3511": ("矿山机械",),
    "3551": ("纺织机械",),
    "3572": ("农业机械", "农机"),
    "3599": ("机械设备", "专用设备"),
    "1320": ("饲料",),
    "1331": ("油脂", "粮油"),
    "1352": ("食品", "禽业"),
    "1353": ("肉食品",),
    "1371": ("果蔬食品", "蔬菜食品"),
    "1391": ("淀粉",),
    "1392": ("豆制品",),
    "1431": ("面食品", "食品"),
    "1432": ("速冻食品",),
    "1462": ("调味品", "酿造"),
    "1495": ("生物科技",),
    "1512": ("酒业",),
    "1513": ("啤酒",),
    "1530": ("茶业",),
    "2614": ("化工",),
    "2641": ("涂料", "油漆"),
    "2661": ("化学助剂",),
    "2662": ("化学", "化工"),
    "2710": ("药业",),
    "2720": ("制药",),
    "2761": ("生物制药",),
    "2822": ("化纤",),
    "2221": ("纸业",),
    "2231": ("包装", "纸制品包装"),
    "2239": ("纸制品",),
    "2319": ("印务", "彩印"),
    "3011": ("水泥",),
    "3021": ("建材", "水泥制品"),
    "3022": ("构件",),
    "3031": ("新型建材",),
    "3071": ("陶瓷",),
    "3099": ("建材科技",),
    "4710": ("建筑工程", "建设"),
    "5011": ("装饰工程",),
    "2011": ("木业",),
    "2021": ("木业", "板业"),
    "2022": ("板业",),
    "2031": ("木结构",),
    "2110": ("家具",),
    "2190": ("家具",),
    "3531": ("食品机械",),
    "3467": ("包装机械",),
    "3541": ("造纸机械",),
    "3812": ("电机",),
    "3823": ("电气",),
    "3831": ("电缆", "线缆"),
    "2922": ("塑业", "塑胶"),
    "2923": ("编织", "塑编"),
    "2926": ("塑料包装",),
    "1923": ("箱包", "包袋"),
    "3981": ("电子元件",),
    "3982": ("电子",),
    "3120": ("特钢",),
    "3130": ("钢铁", "金属材料"),
    "3252": ("铝业",),
    "2439": ("工艺品",),
    "4412": ("热电",),
}

# Revenue per employee (万元) by division, for plausible head counts.
_PRODUCTIVITY: dict[str, int] = {
    "17": 60,
    "18": 35,
    "36": 220,
    "29": 150,
    "33": 90,
    "34": 90,
    "35": 90,
    "13": 150,
    "14": 90,
    "15": 80,
    "26": 250,
    "27": 120,
    "28": 200,
    "22": 150,
    "23": 80,
    "30": 80,
    "47": 60,
    "50": 60,
    "20": 80,
    "21": 50,
    "38": 100,
    "19": 30,
    "39": 80,
    "31": 300,
    "32": 200,
    "24": 40,
    "44": 400,
}

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997 organisation code check


@dataclass
class _Firm:
    cluster: str | None
    name: str
    code: str
    town: str
    revenue: int
    key: bool = False
    credit_code: str = ""
    registered_capital: int = 0
    profit_tax: int = 0
    profit: int = 0
    employees: int = 0
    high_tech: bool = False
    rd_centres: int = 0
    brands: list[int] = field(default_factory=lambda: [0, 0, 0, 0])


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that add up to ``total`` (largest remainder)."""
    weight_sum = sum(weights)
    if total == 0 or not weights:
        return [0] * len(weights)
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    quotas = [total * w / weight_sum for w in weights]
    parts = [math.floor(q) for q in quotas]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - quotas[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def _cells(segment: _Segment) -> dict[str, int]:
    """The segment's revenue by town: the fixed amounts, the rest split by the weights."""
    cells = {town: amount for town, amount in segment.fixed.items() if amount > 0}
    towns = [t for t in TOWNS if segment.weights.get(t, 0) > 0]
    rest = segment.revenue - sum(cells.values())
    for town, amount in zip(
        towns, apportion(rest, [segment.weights[t] for t in towns]), strict=True
    ):
        if amount > 0:
            cells[town] = cells.get(town, 0) + amount
    return {t: cells[t] for t in TOWNS if t in cells}


def town_division_revenue() -> dict[tuple[str, str], int]:
    """The designed 2024 revenue matrix (town, two-digit division) → 万元, all firms."""
    out: dict[tuple[str, str], int] = {}
    for key in (*_KEYS, *_OTHER_NAMED):
        cell = (key.town, key.code[:2])
        out[cell] = out.get(cell, 0) + key.revenue
    for segment in _SEGMENTS:
        for town, amount in _cells(segment).items():
            cell = (town, segment.division)
            out[cell] = out.get(cell, 0) + amount
    return out


def _firm_counts(cells: list[tuple[_Segment, str, int]], firms: int) -> list[int]:
    """Spread ``firms`` over a cluster's cells in proportion to revenue, at least one each
    (at least one per plan firm the cell must hold)."""
    minimum = [max(1, _plan_firms_in(seg, town)) for seg, town, _ in cells]
    spare = firms - sum(minimum)
    if spare < 0:
        raise ValueError("more cells than firms")
    per_firm = sum(r for _, _, r in cells) / firms
    extra = apportion(
        spare, [max(r / per_firm - m, 0.01) for (_, _, r), m in zip(cells, minimum, strict=True)]
    )
    return [m + e for m, e in zip(minimum, extra, strict=True)]


def _plan_firms_in(segment: _Segment, town: str) -> int:
    return sum(1 for _, code, t in _PLAN_FIRMS if t == town and code in segment.classes)


class _Namer:
    """Unique synthetic names ("诸城市恒达纺织有限公司") and unique credit codes."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.names = set(taken)
        self.codes: set[str] = set()

    def name(self, code: str) -> str:
        words = _INDUSTRY_WORDS[code]
        for _ in range(1000):
            trade = self.rng.choice(_TRADE_NAMES)
            word = self.rng.choice(words)
            roll = self.rng.random()
            if roll < 0.7:
                name = f"诸城市{trade}{word}有限公司"
            elif roll < 0.85:
                name = f"山东{trade}{word}有限公司"
            else:
                name = f"诸城{trade}{word}股份有限公司"
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("ran out of names")  # pragma: no cover

    def credit_code(self) -> str:
        """9 (registered by market regulation) 1 (enterprise) 370782 (诸城市), an organisation
        code with its GB 11714 check character, and the GB 32100-2015 check character."""
        while True:
            if self.rng.random() < 0.6:  # organisation codes from before 2015
                body = str(self.rng.choice((1, 6, 7))) + "".join(
                    str(self.rng.randrange(10)) for _ in range(7)
                )
            else:  # codes issued after 2015 start with MA
                body = "MA" + "".join(self.rng.choice(ALPHABET) for _ in range(6))
            total = sum(_char_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
            check = 11 - total % 11
            org = body + ("X" if check == 10 else "0" if check == 11 else str(check))
            first17 = "91" + AREA_CODE + org
            code = first17 + check_character(first17)
            if code not in self.codes:
                self.codes.add(code)
                return code


def _char_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def _build_firms(rng: random.Random) -> list[_Firm]:
    """2024 firms with names, classes, towns and revenue."""
    firms = [
        _Firm(k.cluster, k.name, k.code, k.town, k.revenue, key=k.cluster is not None)
        for k in (*_KEYS, *_OTHER_NAMED)
    ]
    groups: dict[str | None, list[tuple[_Segment, str, int]]] = {}
    for segment in _SEGMENTS:
        for town, amount in _cells(segment).items():
            groups.setdefault(segment.cluster, []).append((segment, town, amount))
    namer_taken = {k.name for k in (*_KEYS, *_OTHER_NAMED)} | {p[0] for p in _PLAN_FIRMS}
    namer = _Namer(rng, namer_taken)
    for cluster, cells in groups.items():
        if cluster is None:
            counts: list[int] = []
            for segment in _SEGMENTS:
                if segment.cluster is None:
                    seg_cells = [c for c in cells if c[0] is segment]
                    counts.extend(
                        max(m, n)
                        for n, m in zip(
                            apportion(segment.firms, [r for _, _, r in seg_cells]),
                            [max(1, _plan_firms_in(segment, t)) for _, t, _ in seg_cells],
                            strict=True,
                        )
                    )
        else:
            keys = sum(1 for k in _KEYS if k.cluster == cluster)
            counts = _firm_counts(cells, CLUSTERS[cluster].firms - keys)
        for (segment, town, amount), count in zip(cells, counts, strict=True):
            weights = [min(max(rng.lognormvariate(0.0, 0.55), 0.35), 2.4) for _ in range(count)]
            revenues = sorted(apportion(amount, weights), reverse=True)
            plan = [(n, c) for n, c, t in _PLAN_FIRMS if t == town and c in segment.classes]
            for i, revenue in enumerate(revenues):
                if i < len(plan):
                    name, code = plan[i]
                else:
                    code = rng.choice(segment.classes)
                    name = namer.name(code)
                firms.append(_Firm(cluster, name, code, town, revenue))
    return firms


def _weighted_sample(
    rng: random.Random, items: list[_Firm], weights: list[float], k: int
) -> list[_Firm]:
    """k distinct items, drawn with probability proportional to weight (Efraimidis–Spirakis)."""
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keyed[:k]]


def _cap_profit(firms: list[_Firm]) -> None:
    """Move any profit above a firm's profit-and-tax to firms with room, keeping the sum."""
    excess = 0
    for f in firms:
        if f.profit > f.profit_tax:
            excess += f.profit - f.profit_tax
            f.profit = f.profit_tax
    for f in sorted(firms, key=lambda f: f.profit_tax - f.profit, reverse=True):
        if excess == 0:
            break
        room = min(excess, f.profit_tax - f.profit)
        f.profit += room
        excess -= room
    if excess:
        raise ValueError("profit exceeds profit and tax")


def _fill_cluster(rng: random.Random, members: list[_Firm], figures: ClusterFigures) -> None:
    """Capital, profit-and-tax, profit, awards and high-tech flags adding up to the survey."""
    for f, pt in zip(
        members,
        apportion(figures.profit_tax, [f.revenue * rng.uniform(0.6, 1.4) for f in members]),
        strict=True,
    ):
        f.profit_tax = pt
    for f, p in zip(
        members,
        apportion(figures.profit, [f.profit_tax * rng.uniform(0.85, 1.15) + 1e-9 for f in members]),
        strict=True,
    ):
        f.profit = p
    _cap_profit(members)
    for f, capital in zip(
        members,
        apportion(
            figures.registered_capital, [f.revenue**0.85 * rng.uniform(0.5, 1.5) for f in members]
        ),
        strict=True,
    ):
        f.registered_capital = capital
    ranked = sorted(members, key=lambda f: -f.revenue)
    top = ranked[:15]
    for b, count in enumerate(figures.brands):
        for _ in range(count):
            while True:
                f = rng.choices(top, weights=[x.revenue**0.7 for x in top])[0]
                if f.brands[b] < 3:
                    f.brands[b] += 1
                    break
    pool = ranked[: max(3 * figures.high_tech, 10)]
    high_tech = _weighted_sample(rng, pool, [f.revenue**0.5 for f in pool], figures.high_tech)
    for f in high_tech:
        f.high_tech = True
    for f in _weighted_sample(
        rng, high_tech, [float(f.revenue) for f in high_tech], figures.rd_centres
    ):
        f.rd_centres += 1


def _fill_other(rng: random.Random, f: _Firm) -> None:
    f.profit_tax = max(1, round(f.revenue * rng.uniform(0.05, 0.11)))
    f.profit = round(f.profit_tax * rng.uniform(0.55, 0.75))
    f.registered_capital = round(f.revenue * rng.uniform(0.06, 0.2))
    if f.name == "开元电机公司":
        f.high_tech, f.rd_centres, f.brands = True, 1, [1, 1, 0, 0]
    elif f.code[:2] in ("38", "39") and rng.random() < 0.15:
        f.high_tech = True


def _row(year: int, f: _Firm, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "year": year,
        "name": f.name,
        "credit_code": f.credit_code,
        "town": f.town,
        "industry_code": f.code,
        "registered_capital": f.registered_capital,
        "revenue": f.revenue,
        "profit_tax": f.profit_tax,
        "profit": f.profit,
        "employees": f.employees,
        "above_quota": True,
        "high_tech": f.high_tech,
        "rd_centres": f.rd_centres,
        **dict(zip(_BRANDS, f.brands, strict=True)),
        "key_enterprise": f.key,
    }
    row.update(changes)
    return row


def _check_design() -> None:
    """The hand-made tables add up: keys plus segments give each cluster's survey revenue."""
    for cluster, figures in CLUSTERS.items():
        keys = [k for k in _KEYS if k.cluster == cluster]
        designed = sum(k.revenue for k in keys)
        designed += sum(s.revenue for s in _SEGMENTS if s.cluster == cluster)
        if designed != figures.revenue:
            raise AssertionError(f"{cluster}: designed revenue {designed} != {figures.revenue}")
        if tuple(k.name for k in keys) != figures.key_enterprises:
            raise AssertionError(f"{cluster}: key enterprises differ from the survey")
        if any(a.revenue <= b.revenue for a, b in itertools.pairwise(keys)):
            raise AssertionError(f"{cluster}: key enterprises are not in revenue order")
    for segment in _SEGMENTS:
        if sum(segment.fixed.values()) > segment.revenue:
            raise AssertionError(f"{segment.classes}: fixed amounts exceed the revenue")


def generate(seed: int = 2024) -> pl.DataFrame:
    """The register: canonical columns, one row per firm per year (2023 and 2024)."""
    _check_design()
    rng = random.Random(seed)
    firms = _build_firms(rng)
    for cluster, figures in CLUSTERS.items():
        _fill_cluster(rng, [f for f in firms if f.cluster == cluster], figures)
    namer = _Namer(rng, set())
    rows_2024: list[dict[str, Any]] = []
    rows_2023: list[dict[str, Any]] = []
    for f in firms:
        if f.cluster is None:
            _fill_other(rng, f)
        f.credit_code = namer.credit_code()
        productivity = _PRODUCTIVITY[f.code[:2]]
        f.employees = max(8, round(f.revenue / productivity * rng.uniform(0.7, 1.3)))
        rows_2024.append(_row(YEAR, f))
        if not f.key and f.revenue < 5000 and rng.random() < 0.04:
            continue  # set up in 2024
        growth = rng.uniform(0.0, 0.2)
        earnings_growth = growth + rng.uniform(-0.03, 0.1)
        capital = f.registered_capital
        if rng.random() < 0.1:
            capital = round(capital / rng.uniform(1.1, 1.6))
        rows_2023.append(
            _row(
                PREVIOUS_YEAR,
                f,
                registered_capital=capital,
                revenue=round(f.revenue / (1 + growth)),
                profit_tax=round(f.profit_tax / (1 + earnings_growth)),
                profit=round(f.profit / (1 + earnings_growth)),
                employees=max(1, round(f.employees / (1 + rng.uniform(-0.02, 0.08)))),
            )
        )
    return pl.DataFrame(rows_2023 + rows_2024, schema=_SCHEMA).select(COLUMNS)


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def write(frame: pl.DataFrame, path: Path) -> None:
    """Write a register as .xlsx (sheet 企业名录) or .csv (UTF-8 with BOM), Chinese headers."""
    headers = [BY_NAME[c].label_zh if c in BY_NAME else c for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.iter_rows()]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
    elif suffix == ".xlsx":
        workbook = xlsxwriter.Workbook(str(path))
        sheet = workbook.add_worksheet(SHEET)
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, headers, bold)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int | float):
                    sheet.write_number(i, j, value)
                else:
                    sheet.write_string(i, j, str(value))
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(headers) - 1, 12)
        workbook.close()
    else:
        raise ValueError(f"unsupported register format: {path.suffix or path.name}")
