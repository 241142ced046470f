"""The synthetic Zhucheng register against the seed's own figures (shared/data).

Everything is recomputed here with plain Python over ``generate().to_dicts()`` and the default
cluster definitions' prefixes, independently of the observatory's statistics code.
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from jiqun.observatory import demo_register
from jiqun.observatory.clusters import default_definitions
from jiqun.observatory.credit_code import check_character, is_valid
from jiqun.observatory.schema import BY_NAME

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
BRANDS = (
    "provincial_brand_products",
    "provincial_famous_trademarks",
    "national_brand_products",
    "china_well_known_trademarks",
)
SUMMED = ("registered_capital", *BRANDS, "rd_centres", "revenue", "profit_tax", "profit")
CSV_COLUMN = {
    "registered_capital": "registered_capital_wan",
    "revenue": "revenue_wan",
    "profit_tax": "profit_tax_wan",
    "profit": "profit_wan",
}


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


SURVEY = {row["cluster"]: row for row in read_csv("zhucheng_clusters_2024.csv")}
TOWNS = [row["town"] for row in read_csv("zhucheng_towns.csv")]


@cache
def rows() -> tuple[dict[str, Any], ...]:
    return tuple(demo_register.generate().to_dicts())


def rows_of(year: int) -> list[dict[str, Any]]:
    return [r for r in rows() if r["year"] == year]


@cache
def prefixes() -> tuple[tuple[str, str], ...]:
    pairs = [(code, c.name) for c in default_definitions().clusters for code in c.industry_codes]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def cluster_of(industry_code: str) -> str | None:
    """Longest matching prefix of the default definitions."""
    for prefix, name in prefixes():
        if industry_code.startswith(prefix):
            return name
    return None


def by_cluster(year: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows_of(year):
        cluster = cluster_of(r["industry_code"])
        if cluster is not None:
            out[cluster].append(r)
    return out


def leading_divisions(year: int, town: str) -> list[str]:
    """Divisions with LQ ≥ 1 and share ≥ 10 % of the town's revenue, largest first."""
    x: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows_of(year):
        x[(r["town"], r["industry_code"][:2])] += r["revenue"]
    total = sum(x.values())
    by_town: dict[str, int] = defaultdict(int)
    by_division: dict[str, int] = defaultdict(int)
    for (t, i), v in x.items():
        by_town[t] += v
        by_division[i] += v
    leading = []
    for (t, i), v in x.items():
        if t != town:
            continue
        share = v / by_town[t]
        lq = share / (by_division[i] / total)
        if lq >= 1 and share >= 0.10:
            leading.append((v, i))
    return [i for _, i in sorted(leading, reverse=True)]


def test_survey_data_is_there() -> None:
    assert len(SURVEY) == 9
    assert len(TOWNS) == 13
    assert set(SURVEY) == set(default_definitions().names)


@pytest.mark.parametrize("cluster", list(SURVEY))
def test_2024_cluster_figures_equal_the_survey(cluster: str) -> None:
    expected = SURVEY[cluster]
    members = by_cluster(2024)[cluster]
    assert len(members) == int(expected["firms_above_quota"])
    assert all(r["above_quota"] for r in members)
    assert sum(r["high_tech"] for r in members) == int(expected["high_tech_firms"])
    for column in SUMMED:
        assert sum(r[column] for r in members) == int(expected[CSV_COLUMN.get(column, column)]), (
            column
        )


@pytest.mark.parametrize("cluster", list(SURVEY))
def test_key_enterprises_are_the_survey_s_in_its_order(cluster: str) -> None:
    members = by_cluster(2024)[cluster]
    keys = sorted((r for r in members if r["key_enterprise"]), key=lambda r: -r["revenue"])
    assert [r["name"] for r in keys] == SURVEY[cluster]["key_enterprises"].split("|")
    revenues = [r["revenue"] for r in keys]
    assert all(a > b for a, b in itertools.pairwise(revenues))  # strictly descending
    others = [r["revenue"] for r in members if not r["key_enterprise"]]
    assert max(others) < min(revenues)  # the key enterprises are the cluster's biggest firms


def test_no_firm_outside_the_clusters_is_flagged_key() -> None:
    assert not [r for r in rows() if r["key_enterprise"] and cluster_of(r["industry_code"]) is None]


def test_shunwang_has_the_four_leading_industries_of_the_seed() -> None:
    # machinery (34), building materials (30), chemicals (26), food processing (13)
    assert leading_divisions(2024, "舜王街道") == ["34", "30", "26", "13"]


def test_changcheng_has_the_four_leading_industries_of_the_seed() -> None:
    # food processing (13), rubber tyres (29), auto parts (36), textiles (17)
    assert set(leading_divisions(2024, "昌城镇")) == {"13", "29", "36", "17"}


def test_other_towns_have_one_to_three_leading_industries() -> None:
    for town in TOWNS:
        if town not in ("舜王街道", "昌城镇"):
            assert 1 <= len(leading_divisions(2024, town)) <= 3, town


def test_plan_centres_lead_in_their_towns() -> None:
    assert "26" in leading_divisions(2024, "贾悦镇")  # 精细化工
    assert "33" in leading_divisions(2024, "百尺河镇")  # 精密铸锻
    assert "26" in leading_divisions(2024, "相州镇")  # 环保涂料
    assert "19" in leading_divisions(2024, "林家村镇")  # 箱包
    assert {"20", "21"} <= set(leading_divisions(2024, "石桥子镇"))  # 木器家具
    assert {"14", "15"} <= set(leading_divisions(2024, "桃林镇"))  # 食品饮料
    assert "35" in leading_divisions(2024, "皇华镇")  # 装备制造


@pytest.mark.parametrize("cluster", ["汽车及机械加工业", "纺织服装业"])
def test_machining_and_textiles_are_in_all_thirteen_towns(cluster: str) -> None:
    assert {r["town"] for r in by_cluster(2024)[cluster]} == set(TOWNS)


def test_firms_sit_in_the_thirteen_towns() -> None:
    assert {r["town"] for r in rows()} == set(TOWNS)


def test_firms_outside_the_clusters_are_five_to_ten_percent_of_revenue() -> None:
    current = rows_of(2024)
    outside = sum(r["revenue"] for r in current if cluster_of(r["industry_code"]) is None)
    share = outside / sum(r["revenue"] for r in current)
    assert 0.05 <= share <= 0.10
    assert any(r["name"] == "开元电机公司" and r["industry_code"].startswith("38") for r in current)


def test_credit_codes_are_valid_unique_and_stable() -> None:
    code_of: dict[str, str] = {}
    for year in (2023, 2024):
        codes = [r["credit_code"] for r in rows_of(year)]
        assert len(codes) == len(set(codes))
    for r in rows():
        code = r["credit_code"]
        assert len(code) == 18 and is_valid(code), code
        assert code[17] == check_character(code[:17])
        assert code.startswith("91370782")
        assert code_of.setdefault(r["name"], code) == code  # same firm, same code in both years
    assert len(set(code_of.values())) == len(code_of)


def test_rows_are_plausible() -> None:
    assert len({(r["year"], r["name"], r["town"]) for r in rows()}) == len(rows())
    for r in rows():
        code = r["industry_code"]
        assert len(code) == 4 and code.isdigit(), r
        assert r["employees"] > 0, r
        assert r["registered_capital"] >= 0, r
        assert r["revenue"] > 0, r
        assert r["profit"] <= r["profit_tax"], r
        assert r["above_quota"] is True
        if r["revenue"] >= 100000:
            assert r["employees"] >= 300, r


def test_industry_codes_are_consistent_with_the_key_enterprises() -> None:
    code = {r["name"]: r["industry_code"] for r in rows_of(2024)}
    assert code["福田汽车"][:3] == "361"
    assert code["泸河轮胎"] == "2911"
    assert code["小康机械"] == "3531"
    assert code["日东造纸机械公司"] == "3541"
    assert code["新郎服饰"][:2] == "18"
    assert code["外贸公司"][:2] == "13"


def test_2023_is_there_with_positive_cluster_totals_and_growth() -> None:
    previous, current = by_cluster(2023), by_cluster(2024)
    for cluster in SURVEY:
        for column in ("revenue", "profit_tax", "profit"):
            before = sum(r[column] for r in previous[cluster])
            after = sum(r[column] for r in current[cluster])
            assert before > 0, (cluster, column)
            assert -0.05 < after / before - 1 < 0.35, (cluster, column)
    names_2024 = {r["name"] for r in rows_of(2024)}
    names_2023 = {r["name"] for r in rows_of(2023)}
    assert names_2023 < names_2024  # a few firms are new in 2024, none disappeared
    assert len(names_2024 - names_2023) < 0.05 * len(names_2024)
    firm_2024 = {r["name"]: r for r in rows_of(2024)}
    for r in rows_of(2023):
        now = firm_2024[r["name"]]
        assert (r["town"], r["industry_code"], r["credit_code"]) == (
            now["town"],
            now["industry_code"],
            now["credit_code"],
        )
        assert now["revenue"] / 1.25 <= r["revenue"] <= now["revenue"] * 1.01
        assert r["profit"] <= r["profit_tax"]


def test_generate_is_deterministic() -> None:
    assert demo_register.generate().equals(demo_register.generate())
    assert demo_register.generate(7).equals(demo_register.generate(7))
    assert not demo_register.generate(7).equals(demo_register.generate())


def test_columns_are_canonical_without_cluster() -> None:
    frame = demo_register.generate()
    assert "cluster" not in frame.columns
    assert set(frame.columns) <= set(BY_NAME)


def test_another_seed_still_reproduces_the_survey() -> None:
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in demo_register.generate(seed=11).to_dicts():
        cluster = cluster_of(r["industry_code"])
        if r["year"] == 2024 and cluster is not None:
            members[cluster].append(r)
    for cluster, expected in SURVEY.items():
        assert len(members[cluster]) == int(expected["firms_above_quota"])
        for column in SUMMED:
            assert sum(r[column] for r in members[cluster]) == int(
                expected[CSV_COLUMN.get(column, column)]
            ), (cluster, column)


def expected_headers() -> list[str]:
    return [BY_NAME[c].label_zh for c in demo_register.generate().columns]


def test_write_xlsx_round_trip(tmp_path: Path) -> None:
    frame = demo_register.generate()
    path = tmp_path / "register.xlsx"
    demo_register.write(frame, path)
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["企业名录"]
    table = workbook.get_sheet_by_name("企业名录").to_python()
    assert table[0] == expected_headers()
    assert "乡镇（街道）" in table[0] and "主营业务收入（万元）" in table[0]
    assert len(table) == frame.height + 1
    first = dict(zip(table[0], table[1], strict=True))
    assert first["限额以上"] == "是"
    assert first["骨干企业"] in ("是", "否")
    assert isinstance(first["统一社会信用代码"], str) and is_valid(first["统一社会信用代码"])
    assert str(first["行业代码"]) == frame["industry_code"][0]
    assert int(first["主营业务收入（万元）"]) == frame["revenue"][0]


def test_write_csv_round_trip(tmp_path: Path) -> None:
    frame = demo_register.generate()
    path = tmp_path / "register.csv"
    demo_register.write(frame, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    with path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == expected_headers()
    assert len(table) == frame.height + 1
    records = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert {r["高新技术企业"] for r in records} == {"是", "否"}
    assert sum(int(r["主营业务收入（万元）"]) for r in records) == frame["revenue"].sum()
    assert [r["企业名称"] for r in records] == frame["name"].to_list()


def test_write_rejects_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        demo_register.write(demo_register.generate(), tmp_path / "register.json")
