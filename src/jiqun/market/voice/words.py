"""The words a caller may use: varieties and their aliases, grades, days, filler words.

Aliases are only names that mean the same vegetable (a 青瓜 is a 黄瓜, a 西红柿 a 番茄, a 土豆 a
马铃薯); names of a kind within a variety (尖椒 within 辣椒, 白萝卜 within 萝卜) and names that
mean different vegetables in different regions (豆角, 白菜) are not aliases. A variety the
market trades under another name is known from its records (:func:`canonical` keeps it as it
is), so the table needs no entry for every name a market may use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variety:
    name: str  # the catalogue's name (PRODUCT.md M2)
    english: str
    aliases: tuple[str, ...] = ()


CATALOGUE: tuple[Variety, ...] = (
    Variety("黄瓜", "cucumber", ("青瓜",)),
    Variety("番茄", "tomato", ("西红柿", "洋柿子")),
    Variety("茄子", "eggplant", ("矮瓜",)),
    Variety("辣椒", "chili pepper"),
    Variety("彩椒", "bell pepper"),
    Variety("西葫芦", "zucchini", ("角瓜",)),
    Variety("大白菜", "Chinese cabbage", ("结球白菜",)),
    Variety("小白菜", "pak choi"),
    Variety("娃娃菜", "baby cabbage"),
    Variety("菠菜", "spinach"),
    Variety("芹菜", "celery"),
    Variety("韭菜", "Chinese chives"),
    Variety("苦瓜", "bitter gourd", ("凉瓜",)),
    Variety("丝瓜", "luffa"),
    Variety("冬瓜", "wax gourd"),
    Variety("南瓜", "pumpkin"),
    Variety("佛手瓜", "chayote"),
    Variety("马铃薯", "potato", ("土豆", "洋芋")),
    Variety("甘薯", "sweet potato", ("红薯", "番薯", "地瓜")),
    Variety("胡萝卜", "carrot", ("红萝卜",)),
    Variety("萝卜", "radish"),
    Variety("洋葱", "onion", ("圆葱", "葱头")),
    Variety("大葱", "Welsh onion"),
    Variety("大蒜", "garlic"),
    Variety("蒜薹", "garlic scape", ("蒜苔",)),
    Variety("生姜", "ginger"),
    Variety("甘蓝", "cabbage", ("结球甘蓝", "包菜", "卷心菜", "圆白菜", "洋白菜", "莲花白")),
    Variety("花椰菜", "cauliflower", ("菜花", "花菜")),
    Variety("西兰花", "broccoli", ("西蓝花", "青花菜", "绿菜花")),
    Variety("生菜", "lettuce"),
    Variety("油麦菜", "Indian lettuce"),
    Variety("莴笋", "celtuce"),
    Variety("油菜", "rape greens"),
    Variety("菜豆", "green bean", ("芸豆", "四季豆")),
    Variety("豇豆", "yardlong bean", ("长豆角",)),
    Variety("荷兰豆", "snow pea"),
    Variety("香菜", "coriander", ("芫荽",)),
    Variety("空心菜", "water spinach", ("蕹菜",)),
    Variety("茼蒿", "garland chrysanthemum"),
    Variety("山药", "Chinese yam"),
    Variety("莲藕", "lotus root", ("藕",)),
    Variety("茭白", "water bamboo"),
    Variety("芋头", "taro"),
    Variety("秋葵", "okra"),
    Variety("香菇", "shiitake"),
    Variety("金针菇", "enoki mushroom"),
    Variety("平菇", "oyster mushroom"),
    Variety("蘑菇", "mushroom"),
)

_BY_NAME: dict[str, Variety] = {}
for _v in CATALOGUE:
    for _name in (_v.name, *_v.aliases):
        _BY_NAME[_name] = _v


def canonical(name: str) -> str:
    """The catalogue name of a variety or alias; any other name (a variety the market trades
    but the catalogue does not list) is its own canonical name."""
    found = _BY_NAME.get(name)
    return found.name if found else name


def catalogue_names() -> list[str]:
    """Every catalogue name and alias."""
    return list(_BY_NAME)


def english_variety(name: str) -> str:
    found = _BY_NAME.get(name)
    return found.english if found else name


# Grades (PRODUCT.md M2): 特级, 一级, 二级 and the ways people say them.
GRADES: dict[str, str] = {
    "特级": "特级",
    "特等": "特级",
    "特级品": "特级",
    "特等品": "特级",
    "一级": "一级",
    "一等": "一级",
    "1级": "一级",
    "1等": "一级",
    "一级品": "一级",
    "一等品": "一级",
    "二级": "二级",
    "二等": "二级",
    "2级": "二级",
    "2等": "二级",
    "二级品": "二级",
    "二等品": "二级",
}
ALL_GRADES = ("全部等级", "所有等级", "各等级", "不分等级", "全部", "所有")
GRADE_ENGLISH = {"特级": "premium grade", "一级": "grade 1", "二级": "grade 2"}


def canonical_grade(grade: str) -> str:
    return GRADES.get(grade, grade)


# Days relative to today: how many days back (negative: the future, which has no prices yet).
RELATIVE_DAYS: dict[str, int] = {
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "今儿个": 0,
    "昨天": 1,
    "昨日": 1,
    "昨儿": 1,
    "昨儿个": 1,
    "前天": 2,
    "前日": 2,
    "前儿": 2,
    "大前天": 3,
    "现在": 0,
    "目前": 0,
    "明天": -1,
    "明日": -1,
    "明儿": -1,
    "后天": -2,
}
DAY_WORDS = {0: "今天", 1: "昨天", 2: "前天", 3: "大前天"}
DAY_ENGLISH = {0: "today", 1: "yesterday", 2: "the day before yesterday", 3: "three days ago"}

# Words a caller adds around the question; they carry no part of it.
FILLERS = (
    "请问",
    "查询",
    "查一下",
    "查查",
    "查",
    "问一下",
    "想问",
    "我想知道",
    "知道",
    "价格",
    "价钱",
    "行情",
    "均价",
    "报价",
    "多少钱",
    "是多少",
    "是",
    "每斤",
    "多少",
    "什么价",
    "怎么样",
    "的",
    "呢",
    "吗",
    "啊",
    "呀",
    "了",
    "卖",
    "一斤",
    "一公斤",
    "每公斤",
)
