"""The plan and its targets (O6): tiers, assigned and on-track tiers, gaps, required growth.

Golden figures are hand computations on a three-cluster register, and, on the demo register,
cluster revenues summed here from the generator's rows with our own longest-prefix match of the
shipped definitions.
"""

from __future__ import annotations

import csv
import math
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from jiqun.observatory import demo_register
from jiqun.observatory.clusters import parse_definitions
from jiqun.observatory.errors import FileProblem
from jiqun.observatory.plan import (
    Mistake,
    TableRows,
    default_plan_definitions,
    load_plan,
    load_targets,
    progress,
)
from jiqun.observatory.register import Register, load_register

from .conftest import write_csv

HEADER = ["年度", "企业名称", "镇街", "所属集群", "主营业务收入（万元）"]
# 2024: 甲集群 12 000 (东镇 9 000, 西镇 3 000), 乙集群 4 000, 丙集群 1 000;
# 2023: 甲 10 000, 乙 2 000, 丙 1 000; 丁集群 is not a planned cluster.
ROWS = [
    ["2024", "甲一", "东镇", "甲集群", "9000"],
    ["2024", "甲二", "西镇", "甲集群", "3000"],
    ["2024", "乙一", "西镇", "乙集群", "4000"],
    ["2024", "丙一", "南镇", "丙集群", "1000"],
    ["2024", "丁一", "南镇", "丁集群", "50000"],
    ["2023", "甲一", "东镇", "甲集群", "10000"],
    ["2023", "乙一", "西镇", "乙集群", "2000"],
    ["2023", "丙一", "南镇", "丙集群", "1000"],
]
PLAN = (
    "no,cluster,centre_towns,key_enterprises,note\n"
    "1,甲集群,东镇,甲一,\n2,乙集群,西镇,,\n3,丙集群,南镇,,\n"
)
# tiers: 1亿 × 1, 0.5亿 × 1, 0.2亿 × 1 (thresholds 10 000, 5 000, 2 000 万元)
TARGETS = "tier,revenue_threshold_yi,clusters_required\n1,1,1\n2,0.5,1\n3,0.2,1\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Register, Path, Path]:
    register = load_register(write_csv(tmp_path / "r.csv", ROWS, header=HEADER))
    plan = tmp_path / "plan.csv"
    plan.write_text(PLAN, encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text(TARGETS, encoding="utf-8")
    return register, plan, targets


def test_progress_by_hand(files: tuple[Register, Path, Path]) -> None:
    register, plan, targets = files
    result = progress(register, load_plan(plan), load_targets(targets), 2026).to_json()
    assert result["year"] == 2024 and result["matched_by"] == "name"
    a, b, c = result["clusters"]
    # ranks by revenue fill the slots top-down: 甲 → tier 1, 乙 → tier 2, 丙 → tier 3
    assert [x["rank"] for x in (a, b, c)] == [1, 2, 3]
    assert [x["assigned_tier"] for x in (a, b, c)] == [1, 2, 3]
    assert [x["threshold"] for x in (a, b, c)] == [10000, 5000, 2000]
    assert [x["gap"] for x in (a, b, c)] == [0, 1000, 1000]
    # (threshold / revenue)^(1 / (2026 − 2024)) − 1
    assert a["required_growth"] == pytest.approx(math.sqrt(10000 / 12000) - 1)
    assert b["required_growth"] == pytest.approx(math.sqrt(1.25) - 1)
    assert c["required_growth"] == pytest.approx(math.sqrt(2) - 1)
    # growth over 2023: 20 %, 100 %, 0 %; projections 12 000·1.2², 4 000·2², 1 000
    assert [x["growth"] for x in (a, b, c)] == [pytest.approx(0.2), 1.0, 0.0]
    assert a["projected"] == 17280 and b["projected"] == 16000 and c["projected"] == 1000
    assert [x["on_track_tier"] for x in (a, b, c)] == [1, 1, None]
    assert a["centre_share"] == pytest.approx(0.75)  # 9 000 of 12 000 in 东镇
    # cumulative requirements 1, 2, 3; clusters at ≥ 10 000: 甲; ≥ 5 000: 甲; ≥ 2 000: 甲, 乙
    assert [(t["cumulative_required"], t["reached"], t["met"]) for t in result["tiers"]] == [
        (1, 1, True),
        (2, 1, False),
        (3, 2, False),
    ]
    assert result["met"] is False
    assert result["plan"] == "一一一"


def test_plan_met_when_every_cumulative_requirement_is(
    files: tuple[Register, Path, Path], tmp_path: Path
) -> None:
    register, plan, _ = files
    targets = tmp_path / "easy.csv"
    # ≥ 0.4亿 × 2 (甲, 乙 reach 4 000), ≥ 0.1亿 × 1 (丙 reaches 1 000): met
    targets.write_text("档次,门槛（亿元）,集群数\n1,0.4,2\n2,0.1,1\n", encoding="utf-8")
    result = progress(register, load_plan(plan), load_targets(targets), 2029)
    assert result.met
    assert [t.reached for t in result.tiers] == [2, 3]
    assert result.clusters[1].gap == 0 and result.clusters[2].gap == 0


def test_a_cluster_beyond_the_slots_has_no_tier(
    files: tuple[Register, Path, Path], tmp_path: Path
) -> None:
    register, plan, _ = files
    targets = tmp_path / "two.csv"
    targets.write_text("tier,revenue_threshold_yi,clusters_required\n1,1,2\n", encoding="utf-8")
    result = progress(register, load_plan(plan), load_targets(targets), 2027)
    third = result.clusters[2]
    assert third.assigned_tier is None and third.gap is None and third.required_growth is None
    second = result.clusters[1]
    assert second.required_growth == pytest.approx((10000 / 4000) ** (1 / 3) - 1)


def test_sentences_and_table(files: tuple[Register, Path, Path]) -> None:
    register, plan, targets = files
    result = progress(register, load_plan(plan), load_targets(targets), 2026)
    zh = result.sentences("zh")
    assert zh[0] == (
        "“一一一”计划：到2026年培育1个营业收入过1亿元、1个营业收入过0.5亿元、"
        "1个营业收入过0.2亿元的产业集群。"
    )
    assert zh[1].startswith("2024年，营业收入过1亿元的集群1个（累计需1个），")
    assert zh[1].endswith("尚有2档未达到。")
    table = result.text("zh")
    assert "甲集群" in table and "需年均增长" in table
    assert "2 of 3 tiers are not reached" in result.sentences("en")[1]


def test_seed_targets_are_cumulative(shared: Path) -> None:
    targets = load_targets(shared / "data" / "zhucheng_plan_targets.csv")
    assert targets.code() == "三二三三三"
    assert [t.threshold for t in targets.tiers] == [1_000_000, 500_000, 300_000, 200_000, 100_000]
    assert targets.slots == [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]


def test_target_year_must_be_later(files: tuple[Register, Path, Path]) -> None:
    register, plan, targets = files
    with pytest.raises(Mistake) as e:
        progress(register, load_plan(plan), load_targets(targets), 2024)
    assert e.value.lines("zh") == ["目标年度2024必须晚于统计年度2024"]


# ------------------------------------------------------------------ bad files


def lines(error: TableRows) -> list[str]:
    return error.lines("zh")


def test_bad_targets_rows(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(
        "tier,revenue_threshold_yi,clusters_required\n1,100,3\n2,abc,2\n1,30,-1\n4,120,3\n",
        encoding="utf-8",
    )
    with pytest.raises(TableRows) as e:
        load_targets(path)
    shown = lines(e.value)
    assert shown[0] == (f"{path}，第3行：列“revenue_threshold_yi”，值“abc”：不是数字")
    assert shown[1] == (
        f"{path}，第4行：列“tier”，值“1”：与第2行重复（同一档次）；"
        "列“clusters_required”，值“-1”：不能为负数"
    )
    assert shown[2] == (
        f"{path}，第5行：列“revenue_threshold_yi”，值“120”："
        "档次靠后的门槛应更低：应低于第1档的100亿元"
    )
    assert shown[-1] == "文件有3行无效数据，未做任何计算，请改正后重试"


def test_targets_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("tier,clusters_required\n1,3\n", encoding="utf-8")
    with pytest.raises(FileProblem) as e:
        load_targets(path)
    assert "缺少必需的列：营业收入门槛（亿元）" in e.value.lines("zh")[0]


def test_bad_plan_rows(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "序号,产业集群,中心镇街\n1,甲集群,东镇\n2,,西镇\n3,甲集群,\nx,乙集群,南镇\n",
        encoding="utf-8",
    )
    with pytest.raises(TableRows) as e:
        load_plan(path)
    shown = lines(e.value)
    assert shown[0] == f"{path}，第3行：列“产业集群”，值“”：必填项为空"
    assert shown[1] == (
        f"{path}，第4行：列“产业集群”，值“甲集群”：与第2行重复（同一产业集群）；"
        "列“中心镇街”，值“”：必填项为空"
    )
    assert shown[2] == f"{path}，第5行：列“序号”，值“x”：应为正整数"


def test_plan_definitions_must_define_every_planned_cluster(
    files: tuple[Register, Path, Path], tmp_path: Path
) -> None:
    register, plan, targets = files
    defs = parse_definitions('[[cluster]]\nname = "甲集群"\nindustry_codes = ["17"]\n', "d.toml")
    with pytest.raises(FileProblem) as e:
        progress(register, load_plan(plan), load_targets(targets), 2029, definitions=defs)
    assert e.value.lines("zh") == ["d.toml：集群定义中没有这些规划集群：乙集群、丙集群"]


def test_register_names_that_miss_a_planned_cluster_count_as_zero(
    files: tuple[Register, Path, Path], tmp_path: Path
) -> None:
    register, _, targets = files
    plan = tmp_path / "plan.csv"
    plan.write_text("cluster,centre_towns\n甲集群,东镇\n戊集群,南镇\n", encoding="utf-8")
    result = progress(register, load_plan(plan), load_targets(targets), 2029)
    assert result.match.unmatched == ("戊集群",)
    assert result.clusters[1].revenue == 0 and result.clusters[1].required_growth is None


# ------------------------------------------------------------------ the shipped 14 clusters


def test_plan_definitions_name_the_seeds_14_clusters(shared: Path) -> None:
    defs = default_plan_definitions()
    with (shared / "data" / "zhucheng_cluster_plan.csv").open(encoding="utf-8") as f:
        planned = [row["cluster"] for row in csv.DictReader(f)]
    assert defs.names == planned
    codes = [code for c in defs.clusters for code in c.industry_codes]
    assert len(codes) == len(set(codes))


# key enterprises of the plan as the demo register names them (the rest are named alike)
REGISTER_NAMES = {
    "义和车桥公司": "义和车桥",
    "泰盛化工公司": "泰盛化工",
    "良丰化学公司": "良丰化学",
    "云飞化工公司": "云飞化工",
    "环宇油漆公司": "环宇油漆",
    "润生淀粉公司": "润生集团",
    "松源木业公司": "松源木业",
    "顺合木业公司": "顺合木业",
    "昊宝服饰公司": "昊宝服饰",
}


def test_key_enterprises_fall_in_their_planned_cluster(shared: Path) -> None:
    """Each planned cluster's key enterprises (by their codes in the demo register) belong to
    it — except 义和车桥, an axle maker (3670) the plan puts in 机械电器制造业: by its code it
    is in 汽车及配件业, as the definitions' notes say."""
    codes = {
        name: code
        for name, code in demo_register.generate()
        .filter(year=2024)
        .select("name", "industry_code")
        .iter_rows()
    }
    defs = default_plan_definitions()
    with (shared / "data" / "zhucheng_cluster_plan.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    checked = 0
    for row in rows:
        for key in row["key_enterprises"].split("|"):
            code = codes.get(REGISTER_NAMES.get(key, key))
            if code is None:
                continue  # 半岛装饰城, 龙都建材城: markets, not in the register
            expected = "汽车及配件业" if key == "义和车桥公司" else row["cluster"]
            assert longest_prefix(defs_table(), code) == expected, (key, code)
            checked += 1
    assert checked == 28
    assert defs.names  # loaded


def defs_table() -> dict[str, str]:
    """code prefix → cluster, read from the shipped TOML with tomllib (not the code under test)."""
    text = (
        resources.files("jiqun.observatory")
        .joinpath("data/zhucheng_plan_clusters.toml")
        .read_text("utf-8")
    )
    return {code: c["name"] for c in tomllib.loads(text)["cluster"] for code in c["industry_codes"]}


def longest_prefix(table: dict[str, str], code: str) -> str | None:
    for n in (4, 3, 2):
        if code[:n] in table:
            return table[code[:n]]
    return None


def test_demo_register_against_the_seeds_plan(shared: Path, tmp_path: Path) -> None:
    frame = demo_register.generate()
    table = defs_table()
    revenue: dict[tuple[str, int], int] = {}
    for year, code, value in frame.select("year", "industry_code", "revenue").iter_rows():
        cluster = longest_prefix(table, code)
        if cluster is not None:
            revenue[(cluster, year)] = revenue.get((cluster, year), 0) + value
    path = tmp_path / "zhucheng.csv"
    demo_register.write(frame, path)
    result = progress(
        load_register(path),
        load_plan(shared / "data" / "zhucheng_cluster_plan.csv"),
        load_targets(shared / "data" / "zhucheng_plan_targets.csv"),
        2029,
    )
    assert result.match.matched_by == "definitions"
    for c in result.clusters:
        assert c.revenue == revenue[(c.cluster, 2024)]
        assert c.previous == revenue[(c.cluster, 2023)]
    current = sorted((v for (_, y), v in revenue.items() if y == 2024), reverse=True)
    thresholds = [1_000_000, 500_000, 300_000, 200_000, 100_000]
    reached = [sum(1 for v in current if v >= t) for t in thresholds]
    assert [t.reached for t in result.tiers] == reached == [3, 3, 5, 9, 12]
    assert not result.met
    largest = max(result.clusters, key=lambda c: c.revenue)
    assert largest.cluster == "汽车及配件业" and largest.assigned_tier == 1
    # a cluster exactly at its threshold: 机械电器制造业 has 200 000 (20亿), rank 9 → tier 4
    machinery = next(c for c in result.clusters if c.cluster == "机械电器制造业")
    assert (machinery.revenue, machinery.rank, machinery.assigned_tier, machinery.gap) == (
        200000,
        9,
        4,
        0,
    )
    assert machinery.required_growth == pytest.approx(0.0, abs=1e-12)
