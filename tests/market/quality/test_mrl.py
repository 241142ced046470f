"""The MRL table: lookup from the most specific category upward, exclusions, the loader's
errors, and the command."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.market.quality import mrl

FOODS = """name,parent,name_en,aliases,notes
蔬菜,,vegetables,,
叶菜类蔬菜,蔬菜,leafy,,
绿叶类,叶菜类蔬菜,green leafy,,
菠菜,绿叶类,spinach,,
芹菜,绿叶类,celery,,
大白菜,叶菜类蔬菜,Chinese cabbage,白菜,
瓜类蔬菜,蔬菜,cucurbits,,
黄瓜,瓜类蔬菜,cucumber,青瓜,
食用菌,,fungi,,
香菇,食用菌,shiitake,,
"""
PESTICIDES = """name,name_en,aliases,kind,notes
甲,pest-a,甲剂,,
乙,pest-b,,,
"""
HEADER = "pesticide,food,limit_mg_kg,except,standard,clause,year,notes\n"
LIMITS = (
    HEADER
    + """甲,蔬菜,0.02,,GB 2763,4.1,2021,
甲,叶菜类蔬菜,1,大白菜、芹菜,GB 2763,4.1,2021,
甲,芹菜,3,,GB 2763,4.1,2021,
乙,叶菜类蔬菜,0.5,绿叶类,GB 2763,4.2,2021,
"""
)


def write(d: Path, foods: str = FOODS, pesticides: str = PESTICIDES, limits: str = LIMITS) -> Path:
    (d / "foods.csv").write_text(foods, encoding="utf-8")
    (d / "pesticides.csv").write_text(pesticides, encoding="utf-8")
    (d / "mrl.csv").write_text(limits, encoding="utf-8")
    return d


@pytest.fixture
def table(tmp_path: Path) -> mrl.MrlTable:
    return mrl.load(write(tmp_path))


def test_most_specific_first(table: mrl.MrlTable) -> None:
    m = table.lookup("甲", "芹菜")  # its own row beats the category and its exclusion
    assert m.limit is not None and m.limit.mg_per_kg == Decimal(3) and m.limit.food == "芹菜"
    m = table.lookup("甲", "菠菜")
    assert m.limit is not None and m.limit.food == "叶菜类蔬菜" and m.limit.mg_per_kg == 1
    assert m.path == ("菠菜", "绿叶类", "叶菜类蔬菜", "蔬菜")


def test_exclusion_sends_the_search_upward(table: mrl.MrlTable) -> None:
    m = table.lookup("甲", "大白菜")  # 叶菜类（大白菜除外） does not apply: 蔬菜's 0.02 does
    assert m.limit is not None and m.limit.food == "蔬菜" and m.limit.mg_per_kg == Decimal("0.02")
    assert [s.food for s in m.skipped] == ["叶菜类蔬菜"]


def test_exclusion_of_an_intermediate_category(table: mrl.MrlTable) -> None:
    assert table.lookup("乙", "菠菜").limit is None  # 绿叶类 is excepted, nothing above
    m = table.lookup("乙", "大白菜")
    assert m.limit is not None and m.limit.mg_per_kg == Decimal("0.5")


def test_no_limit_is_not_zero(table: mrl.MrlTable) -> None:
    m = table.lookup("乙", "黄瓜")
    assert m.limit is None and m.path == ("黄瓜", "瓜类蔬菜", "蔬菜")
    assert m.to_json()["limit_mg_kg"] is None
    assert table.lookup("甲", "香菇").limit is None  # 食用菌 is not under 蔬菜


def test_aliases_and_english(table: mrl.MrlTable) -> None:
    assert table.lookup("pest-a", "白菜").food.name == "大白菜"
    assert table.lookup("甲剂", "CUCUMBER").limit is not None


def test_unknown_names_suggest(table: mrl.MrlTable) -> None:
    with pytest.raises(mrl.UnknownName) as e:
        table.lookup("甲", "白菜心")
    assert "大白菜" in e.value.suggestions
    assert "白菜心" in e.value.lines("zh")[0]
    with pytest.raises(mrl.UnknownName) as e:
        table.lookup("丙", "黄瓜")
    assert e.value.kind == "pesticide"


def problems(tmp_path: Path, **files: str) -> list[mrl.Problem]:
    with pytest.raises(mrl.TableError) as e:
        mrl.load(write(tmp_path, **files))
    return e.value.problems


def test_loader_duplicate_row(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, limits=LIMITS + "甲,芹菜,2,,GB 2763,4.1,2021,\n")
    assert (p.file, p.row, p.field, p.value) == ("mrl.csv", 6, "food", "芹菜")
    assert "第4行" in p.zh


def test_loader_negative_and_bad_numbers(tmp_path: Path) -> None:
    rows = (
        "甲,黄瓜,-0.1,,GB 2763,4.1,2021,\n甲,菠菜,abc,,GB 2763,4.1,2021,\n"
        "乙,黄瓜,0,,GB,4.2,2021,\n乙,菠菜,0.1234567,,GB,4.2,2021,\n"
    )
    ps = problems(tmp_path, limits=HEADER + rows)
    assert [(p.row, p.field, p.value) for p in ps] == [
        (2, "limit_mg_kg", "-0.1"),
        (3, "limit_mg_kg", "abc"),
        (4, "limit_mg_kg", "0"),
        (5, "limit_mg_kg", "0.1234567"),
    ]
    assert "负" in ps[0].zh and "negative" in ps[0].en


def test_loader_missing_source_unknown_names_and_bad_except(tmp_path: Path) -> None:
    rows = (
        "甲,黄瓜,0.1,,,4.1,2021,\n"
        "丙,黄瓜,0.1,,GB 2763,4.1,2021,\n"
        "甲,南瓜,0.1,,GB 2763,4.1,2021,\n"
        "乙,瓜类蔬菜,0.1,菠菜,GB 2763,4.2,2021,\n"
        "乙,黄瓜,0.1,,GB 2763,4.2,21,\n"
    )
    ps = problems(tmp_path, limits=HEADER + rows)
    assert [(p.row, p.field, p.value) for p in ps] == [
        (2, "standard", ""),
        (3, "pesticide", "丙"),
        (4, "food", "南瓜"),
        (5, "except", "菠菜"),
        (6, "year", "21"),
    ]
    message = ps[0].message("en")
    assert message.startswith("mrl.csv row 2, field 'standard'") and "source" in message


def test_loader_unknown_parent_and_duplicate_food(tmp_path: Path) -> None:
    foods = FOODS + "番茄,茄果类蔬菜,tomato,,\n黄瓜,瓜类蔬菜,cucumber,,\n"
    ps = problems(tmp_path, foods=foods)
    assert [(p.file, p.row, p.field, p.value) for p in ps] == [
        ("foods.csv", 13, "name", "黄瓜"),
        ("foods.csv", 12, "parent", "茄果类蔬菜"),
    ]


def test_loader_missing_column(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, limits="pesticide,food,limit_mg_kg\n甲,黄瓜,1\n")
    assert p.row == 1 and "standard" in p.en


def test_shipped_table_loads_and_answers() -> None:
    table = mrl.default_table()
    assert len(table.pesticides) >= 15
    for name in ("毒死蜱", "氧乐果", "克百威", "甲拌磷", "水胺硫磷", "乐果", "敌敌畏", "多菌灵"):
        assert table.lookup(name, "黄瓜").pesticide.name == name
    # every row carries its source
    assert all(limit.standard and limit.clause and limit.year for limit in table.limits.values())
    m = table.lookup("氧乐果", "西红柿")  # a category limit found from a food by its alias
    assert m.food.name == "番茄" and m.limit is not None and m.limit.food == "蔬菜"
    assert m.limit.mg_per_kg == Decimal("0.02")
    m = table.lookup("克百威", "土豆")
    assert m.limit is not None and m.limit.food == "马铃薯"


def test_command_text_json_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIQUN_LANG", "zh")  # --lang sets it for the process; restored after
    runner = CliRunner()
    d = str(write(tmp_path))
    r = runner.invoke(main, ["--lang", "zh", "quality", "mrl", "甲", "大白菜", "--data", d])
    assert r.exit_code == 0, r.output
    assert (
        "0.02 mg/kg" in r.output
        and "匹配类别：蔬菜" in r.output
        and "未采用：叶菜类蔬菜" in r.output
    )
    r = runner.invoke(
        main, ["quality", "mrl", "pest-a", "spinach", "--format", "json", "--data", d]
    )
    data = json.loads(r.output)
    assert data["limit_mg_kg"] == 1 and data["matched"] == "叶菜类蔬菜"
    assert data["source"] == {"standard": "GB 2763", "clause": "4.1", "year": 2021}
    r = runner.invoke(main, ["--lang", "en", "quality", "mrl", "甲", "西瓜", "--data", d])
    assert r.exit_code == 2 and "no food '西瓜'" in r.output
    r = runner.invoke(main, ["quality", "mrl", "毒死蜱", "番茄"])
    assert r.exit_code == 0 and "mg/kg" in r.output
