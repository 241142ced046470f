"""The observatory's towns, plan and placements commands as a user runs them: outputs, files,
languages, and mistakes as clear lines with exit status 2 (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.observatory import demo_register


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "zhucheng.xlsx"
    demo_register.write(demo_register.generate(), path)
    return path


# ------------------------------------------------------------------ towns


def test_towns_json_has_the_issues_shape(register: Path) -> None:
    code, out, _ = run("observatory", "towns", str(register), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["year"], data["measure"], data["level"]) == (2024, "revenue", "division")
    towns = {t["town"]: t for t in data["towns"]}
    assert len(towns) == 13
    shunwang = towns["舜王街道"]
    assert set(shunwang) == {
        "town",
        "total",
        "leading",
        "effective_number",
        "many_leading",
        "industries",
    }
    assert set(shunwang["industries"][0]) == {"industry", "value", "share", "lq"}
    assert shunwang["leading"] == ["34", "30", "26", "13"] and shunwang["many_leading"]
    assert shunwang["total"] == 220000
    assert len(towns["昌城镇"]["leading"]) == 4 and towns["昌城镇"]["many_leading"]
    assert set(data["industries"][0]) == {
        "industry",
        "total",
        "towns_present",
        "hhi",
        "gini",
        "eg",
        "ms",
    }
    assert "舜王街道有机械加工、建筑建材、化工、食品加工4个主导产业。" in data["sentences"]
    assert data["plan"] is None


def test_towns_table_english_and_thresholds(register: Path) -> None:
    code, out, _ = run("observatory", "towns", str(register))
    assert code == 0
    assert "舜王街道有机械加工、建筑建材、化工、食品加工4个主导产业。" in out
    assert "一镇多业" in out and "最接近进入的产业" in out
    code, out, _ = run("--lang", "en", "observatory", "towns", str(register))
    assert code == 0
    assert (
        "舜王街道 has 4 leading industries: machining, building materials, chemicals and "
        "food processing." in out
    )
    # with a 25 % share floor 舜王街道 keeps only machining (27.3 %)
    code, out, _ = run(
        "observatory", "towns", str(register), "--min-share", "0.25", "--format", "json"
    )
    towns = {t["town"]: t for t in json.loads(out)["towns"]}
    assert towns["舜王街道"]["leading"] == ["34"]


def test_towns_xlsx_and_plan(register: Path, shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "towns.xlsx"
    plan = shared / "data" / "zhucheng_cluster_plan.csv"
    code, _, _ = run(
        "observatory",
        "towns",
        str(register),
        "--plan",
        str(plan),
        "--format",
        "xlsx",
        "-o",
        str(out),
    )
    assert code == 0
    names = python_calamine.CalamineWorkbook.from_path(str(out)).sheet_names
    assert names == [
        "镇街主导产业",
        "镇街×行业",
        "行业集中度",
        "多元化",
        "规划布局",
        "中心镇街外企业",
    ]
    code, text, _ = run(
        "observatory", "towns", str(register), "--plan", str(plan), "--format", "json"
    )
    shares = {s["cluster"]: s for s in json.loads(text)["plan"]}
    assert len(shares) == 14
    assert shares["箱包产业"]["centre_towns"] == ["林家村镇"]


def test_towns_mistakes(register: Path, tmp_path: Path) -> None:
    code, _, err = run("observatory", "towns", str(tmp_path / "none.csv"))
    assert code == 2 and "找不到文件" in err and "Traceback" not in err
    code, _, err = run("observatory", "towns", str(register), "--format", "xlsx")
    assert code == 2 and "-o" in err
    code, _, err = run("observatory", "towns", str(register), "--year", "2019")
    assert code == 2 and "登记表中没有2019年度的数据" in err
    code, _, err = run("observatory", "towns", str(register), "--min-share", "2")
    assert code == 2
    plan = tmp_path / "plan.csv"
    plan.write_text("cluster,centre_towns\n纺织服装业,北京\n", encoding="utf-8")
    code, _, err = run("observatory", "towns", str(register), "--plan", str(plan))
    assert code == 2
    assert "第2行：列“centre_towns”，值“北京”：登记表中没有这个乡镇（街道）" in err


# ------------------------------------------------------------------ plan


def plan_args(register: Path, shared: Path) -> list[str]:
    data = shared / "data"
    return [
        "observatory",
        "plan",
        str(register),
        "--plan",
        str(data / "zhucheng_cluster_plan.csv"),
        "--targets",
        str(data / "zhucheng_plan_targets.csv"),
        "--target-year",
        "2029",
    ]


def test_plan_json_and_table(register: Path, shared: Path) -> None:
    code, out, _ = run(*plan_args(register, shared), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["plan"] == "三二三三三" and data["met"] is False
    assert [t["cumulative_required"] for t in data["tiers"]] == [3, 5, 8, 11, 14]
    assert [t["reached"] for t in data["tiers"]] == [3, 3, 5, 9, 12]
    assert [c["cluster"] for c in data["clusters"]][:2] == ["机械电器制造业", "食品加工业"]
    textile = next(c for c in data["clusters"] if c["cluster"] == "纺织服装业")
    assert textile["revenue"] == 1420000 and textile["assigned_tier"] == 1
    # tier 1 is 100亿 = 1 000 000万; (1 000 000 / 1 420 000)^(1/5) − 1
    assert textile["required_growth"] == pytest.approx((1_000_000 / 1_420_000) ** 0.2 - 1)
    code, out, _ = run(*plan_args(register, shared))
    assert code == 0
    assert "“三二三三三”计划：到2029年培育3个营业收入过100亿元" in out
    assert "尚有4档未达到。" in out


def test_plan_mistakes(register: Path, shared: Path, tmp_path: Path) -> None:
    args = plan_args(register, shared)
    code, _, err = run(*args[:-2], "--target-year", "2024")
    assert code == 2 and "目标年度2024必须晚于统计年度2024" in err
    code, _, err = run(*args[:5], *args[7:])  # no --targets
    assert code == 2 and "--targets" in err
    targets = tmp_path / "targets.csv"
    targets.write_text("tier,revenue_threshold_yi,clusters_required\n1,一百,3\n", encoding="utf-8")
    code, _, err = run(*args[:6], str(targets), *args[7:])
    assert code == 2
    assert err.splitlines()[0] == f"{targets}，第2行：列“revenue_threshold_yi”，值“一百”：不是数字"
    assert "Traceback" not in err
    clusters = tmp_path / "defs.toml"
    clusters.write_text('[[cluster]]\nname = "纺织服装业"\nindustry_codes = ["17"]\n', "utf-8")
    code, _, err = run(*args, "--clusters", str(clusters))
    assert code == 2 and "集群定义中没有这些规划集群：机械电器制造业" in err


# ------------------------------------------------------------------ placements


def test_placements_json_and_table(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "企业名称,年度,招商乡镇,承接乡镇,分值,地方留成税收（万元）\n"
        "甲公司,2024,甲镇,乙镇,10,100\n"
        "乙公司,2024,乙镇,乙镇,8,50\n",
        encoding="utf-8",
    )
    code, out, _ = run("observatory", "placements", str(ledger), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["tax_split"] == [0.6, 0.4]
    towns = {t["town"]: (t["score"], t["tax_share"]) for t in data["towns"]}
    assert towns == {"甲镇": (10, 60), "乙镇": (13, 90)}  # 乙: 5 + 8 (once), 40 + 50
    code, out, _ = run(
        "observatory",
        "placements",
        str(ledger),
        "--tax-split",
        "7:3",
        "--host-share",
        "40%",
        "--format",
        "json",
    )
    towns = {t["town"]: (t["score"], t["tax_share"]) for t in json.loads(out)["towns"]}
    assert towns == {"甲镇": (10, 70), "乙镇": (12, 80)}
    code, out, _ = run("observatory", "placements", str(ledger))
    assert code == 0 and "招商乡镇得分100%，承接乡镇得分50%" in out and "按6:4分享" in out
    code, out, _ = run("--lang", "en", "observatory", "placements", str(ledger))
    assert code == 0 and "local tax split 6:4" in out


def test_placements_mistakes(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "enterprise,year,attracting_town,hosting_town,points,local_tax\n"
        "甲公司,2024,甲镇,乙镇,10,100\n"
        "乙公司,2024,甲镇,乙镇,-1,100\n",
        encoding="utf-8",
    )
    code, _, err = run("observatory", "placements", str(ledger))
    assert code == 2
    assert err.splitlines()[0] == f"{ledger}，第3行：列“points”，值“-1”：不能为负数"
    code, _, err = run("observatory", "placements", str(ledger), "--tax-split", "2:1")
    assert code == 2 and "“2:1”不是0到1之间的比例" in err
    rejects = tmp_path / "bad.csv"
    code, out, err = run(
        "observatory",
        "placements",
        str(ledger),
        "--skip-invalid",
        "--rejects",
        str(rejects),
        "--format",
        "json",
    )
    assert code == 0 and "已跳过1行无效数据" in err
    assert json.loads(out)["rejected"] == 1
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,乙公司,2024")
    code, _, err = run(
        "observatory",
        "placements",
        str(ledger),
        "--skip-invalid",
        "--rejects",
        str(rejects),
        "--year",
        "2020",
    )
    assert code == 2 and "台账中没有2020年度的记录（有：2024）" in err


def test_demo_ledger_then_placements(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    code, out, _ = run("observatory", "demo-ledger", str(path))
    assert code == 0 and path.exists()
    code, out, _ = run("observatory", "placements", str(path), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total"]["enterprises"] == 12
    assert data["total"]["local_tax"] == sum(t["tax_share"] for t in data["towns"])
