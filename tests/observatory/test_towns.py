"""Town diagnosis (O5): leading industries, spread of industries, diversification, plan shares.

Golden figures come from hand computations on a three-town register and, for the demo register,
from location quotients and shares computed here in plain Python from the generator's rows.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from jiqun.observatory import demo_register
from jiqun.observatory.errors import InvalidRows
from jiqun.observatory.plan import load_plan
from jiqun.observatory.register import Register, load_register
from jiqun.observatory.towns import DIVISIONS, TownDiagnosis, diagnose, industry_name

from .conftest import write_csv

SMALL_HEADER = ["年度", "企业名称", "镇街", "行业代码", "主营业务收入（万元）", "从业人员"]

# 东镇: 13 = 60, 17 = 40; 西镇: 17 = 50, 34 = 50; 南镇: 34 = 60 + 40 (two firms).
SMALL_ROWS = [
    ["2024", "东一食品", "东镇", "1353", "60", "10"],
    ["2024", "东二纺织", "东镇", "1711", "40", "20"],
    ["2024", "西一纺织", "西镇", "1712", "50", "30"],
    ["2024", "西二机械", "西镇", "3425", "50", "40"],
    ["2024", "南一机械", "南镇", "3412", "60", "50"],
    ["2024", "南二机械", "南镇", "3421", "40", "60"],
]


@pytest.fixture
def small(tmp_path: Path) -> Register:
    return load_register(write_csv(tmp_path / "small.csv", SMALL_ROWS, header=SMALL_HEADER))


def by_town(result: TownDiagnosis) -> dict[str, dict[str, object]]:
    return {t["town"]: t for t in result.to_json()["towns"]}


def test_leading_industries_by_hand(small: Register) -> None:
    result = diagnose(small)
    towns = by_town(result)
    # LQ = (x_ri / x_r) / (x_i / x): 东镇 13: 0.6 / 0.2 = 3, 17: 0.4 / 0.3; 西镇 17: 0.5 / 0.3,
    # 34: 0.5 / 0.5 = 1 exactly (a leading industry: LQ ≥ 1); 南镇 34: 1 / 0.5 = 2.
    east = {i["industry"]: i for i in towns["东镇"]["industries"]}  # type: ignore[attr-defined]
    assert east["13"]["lq"] == pytest.approx(3.0)
    assert east["17"]["lq"] == pytest.approx(4 / 3)
    assert east["13"]["share"] == pytest.approx(0.6)
    west = {i["industry"]: i for i in towns["西镇"]["industries"]}  # type: ignore[attr-defined]
    assert west["34"]["lq"] == 1.0
    assert towns["东镇"]["leading"] == ["13", "17"]
    assert towns["西镇"]["leading"] == ["17", "34"]  # equal values: by code
    assert towns["南镇"]["leading"] == ["34"]
    assert [t["many_leading"] for t in towns.values()] == [False, False, False]
    # effective number 1 / Σ σ²: 1 / (0.36 + 0.16), 1 / 0.5, 1.
    assert towns["东镇"]["effective_number"] == pytest.approx(1 / 0.52)
    assert towns["西镇"]["effective_number"] == pytest.approx(2.0)
    assert towns["南镇"]["effective_number"] == pytest.approx(1.0)
    assert towns["南镇"]["total"] == 100


def test_thresholds_change_the_leading_industries(small: Register) -> None:
    # towns of equal totals come in name order: 东, 南, 西
    assert [t["leading"] for t in by_town(diagnose(small, min_share=0.5)).values()] == [
        ["13"],
        ["34"],
        ["17", "34"],
    ]
    assert [t["leading"] for t in by_town(diagnose(small, min_lq=1.5)).values()] == [
        ["13"],
        ["34"],
        ["17"],
    ]


def test_industry_spread_by_hand(small: Register) -> None:
    industries = {i["industry"]: i for i in diagnose(small).to_json()["industries"]}
    assert [i for i in industries] == ["34", "17", "13"]  # by total: 150, 90, 60
    assert industries["17"]["towns_present"] == 2
    assert industries["13"]["towns_present"] == 1
    assert industries["17"]["hhi"] == pytest.approx((40 / 90) ** 2 + (50 / 90) ** 2)
    assert industries["34"]["hhi"] == pytest.approx(5 / 9)
    assert industries["13"]["eg"] is None  # one firm: H = 1, Ellison–Glaeser undefined
    assert industries["34"]["eg"] is not None


def test_closest_industries_by_hand(small: Register) -> None:
    # M (LQ ≥ 1): 东 {13, 17}, 西 {17, 34}, 南 {34}; k = 1, 2, 2; φ(13,17) = 1/2,
    # φ(17,34) = 1/2, φ(13,34) = 0. Density of 南 in 17: (0·φ13 + 1·½) / (½ + ½) = ½;
    # in 13: 0 (not listed). 东 in 34: ½ / ½ = 1; 西 in 13: ½ / ½ = 1.
    closest = {d["town"]: d["closest"] for d in diagnose(small).to_json()["diversification"]}
    assert closest["南镇"] == [{"industry": "17", "density": pytest.approx(0.5)}]
    assert closest["东镇"] == [{"industry": "34", "density": pytest.approx(1.0)}]
    assert closest["西镇"] == [{"industry": "13", "density": pytest.approx(1.0)}]


def test_sentences(small: Register) -> None:
    result = diagnose(small)
    assert result.sentences("zh") == [
        "东镇有食品加工、纺织2个主导产业。",
        "南镇的主导产业是机械加工。",
        "西镇有纺织、机械加工2个主导产业。",
    ]
    assert result.sentences("en")[0] == (
        "东镇 has 2 leading industries: food processing and textiles."
    )


def test_firms_measure_and_class_level(small: Register) -> None:
    result = diagnose(small, measure="firms", level="class")
    towns = by_town(result)
    assert towns["南镇"]["total"] == 2
    assert [i["industry"] for i in towns["南镇"]["industries"]] == ["3412", "3421"]  # type: ignore[attr-defined]
    assert result.name("3425", "zh") == "3425（机械加工）"


def test_plan_shares_inside_centre_towns(small: Register, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    # 装备制造业 is 33–35 and 37, 40 in the shipped definitions; "南" names 南镇.
    plan.write_text(
        "no,cluster,centre_towns\n1,纺织服装业,东镇\n2,装备制造业,南\n", encoding="utf-8"
    )
    shares = {s["cluster"]: s for s in diagnose(small, plan=load_plan(plan)).to_json()["plan"]}
    textile = shares["纺织服装业"]
    assert textile["total"] == 90 and textile["inside"] == 40
    assert textile["share_inside"] == pytest.approx(40 / 90)
    assert [f["name"] for f in textile["firms_outside"]] == ["西一纺织"]
    equipment = shares["装备制造业"]
    assert equipment["centre_towns"] == ["南镇"]
    assert equipment["share_inside"] == pytest.approx(100 / 150)
    assert equipment["firms"] == 3 and equipment["firms_inside"] == 2


def test_unknown_centre_town_is_a_row_error(small: Register, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("cluster,centre_towns\n纺织服装业,北镇\n", encoding="utf-8")
    with pytest.raises(InvalidRows) as e:
        diagnose(small, plan=load_plan(plan))
    line = e.value.lines("zh")[0]
    assert "plan.csv，第2行" in line and "列“centre_towns”，值“北镇”" in line
    assert "登记表中没有这个乡镇" in line


def test_division_names() -> None:
    assert industry_name("34", "division") == "机械加工"
    assert industry_name("30", "division") == "建筑建材"
    assert industry_name("26", "division") == "化工"
    assert industry_name("13", "division") == "食品加工"
    assert industry_name("36", "division") == "汽车配件"
    assert industry_name("纺织服装业", "cluster") == "纺织服装"
    assert industry_name("99", "division") == "99"
    assert len(DIVISIONS) == 97
    assert len({short for short, _, _ in DIVISIONS.values()}) == 97  # short names are unique


# ------------------------------------------------------------------ the demo register


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Register:
    path = tmp_path_factory.mktemp("towns") / "zhucheng.csv"
    demo_register.write(demo_register.generate(), path)
    return load_register(path)


def independent_leading() -> dict[str, list[str]]:
    """Leading divisions per town from the generator's rows, in plain Python."""
    x: dict[tuple[str, str], float] = defaultdict(float)
    for row in demo_register.generate().filter(year=2024).iter_rows(named=True):
        x[(row["town"], row["industry_code"][:2])] += row["revenue"]
    town_total: dict[str, float] = defaultdict(float)
    division_total: dict[str, float] = defaultdict(float)
    for (town, division), value in x.items():
        town_total[town] += value
        division_total[division] += value
    total = sum(town_total.values())
    out: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (town, division), value in x.items():
        share = value / town_total[town]
        lq = share / (division_total[division] / total)
        if lq >= 1 and share >= 0.10:
            out[town].append((-value, division))
    return {town: [d for _, d in sorted(pairs)] for town, pairs in out.items()}


def test_demo_towns_as_the_seed_says(demo: Register) -> None:
    result = diagnose(demo)
    towns = by_town(result)
    assert towns["舜王街道"]["leading"] == ["34", "30", "26", "13"]
    assert len(towns["昌城镇"]["leading"]) == 4  # type: ignore[arg-type]
    assert towns["舜王街道"]["many_leading"] and towns["昌城镇"]["many_leading"]
    expected = independent_leading()
    assert {t: v["leading"] for t, v in towns.items()} == {t: expected.get(t, []) for t in towns}
    assert "舜王街道有机械加工、建筑建材、化工、食品加工4个主导产业。" in result.sentences("zh")
    assert "昌城镇有汽车配件、食品加工、橡胶轮胎、纺织4个主导产业。" in result.sentences("zh")
    # machining (34) and textiles (17) are in all 13 towns, as the seed says
    industries = {i["industry"]: i for i in result.to_json()["industries"]}
    assert industries["34"]["towns_present"] == industries["17"]["towns_present"] == 13
    assert any(s.endswith("产业在13处乡镇（街道）均有分布。") for s in result.sentences("zh"))


def test_demo_shunwang_figures(demo: Register) -> None:
    # 舜王街道's cells are fixed in the generator's design: 34 = 60 000 of 220 000.
    frame = demo_register.generate().filter(year=2024)
    city = float(frame["revenue"].sum())
    machining = float(frame.filter(frame["industry_code"].str.starts_with("34"))["revenue"].sum())
    town = {i["industry"]: i for i in by_town(diagnose(demo))["舜王街道"]["industries"]}  # type: ignore[attr-defined]
    assert town["34"]["value"] == 60000
    assert town["34"]["share"] == pytest.approx(60000 / 220000)
    assert town["34"]["lq"] == pytest.approx((60000 / 220000) / (machining / city))


def test_demo_cluster_level_uses_cluster_names(demo: Register) -> None:
    result = diagnose(demo, level="cluster")
    towns = by_town(result)
    assert towns["舜王街道"]["leading"] == ["建筑建材业", "生物化工业"]
    assert "舜王街道有建筑建材、生物化工2个主导产业。" in result.sentences("zh")


def test_demo_plan_shares(demo: Register, shared: Path) -> None:
    plan = load_plan(shared / "data" / "zhucheng_cluster_plan.csv")
    shares = {s["cluster"]: s for s in diagnose(demo, plan=plan).to_json()["plan"]}
    assert len(shares) == 14
    wood = shares["木器家具业"]  # divisions 20 and 21; 石桥子镇 holds 32 600 + 14 800
    assert wood["total"] == 110000 and wood["inside"] == 47400
    assert wood["firms"] == 30
    assert wood["firms"] == wood["firms_inside"] + len(wood["firms_outside"])
    assert all(f["town"] != "石桥子镇" for f in wood["firms_outside"])
