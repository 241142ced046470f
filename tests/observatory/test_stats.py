"""Cluster statistics against sums worked out independently from the rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiqun.observatory.clusters import default_definitions, load_definitions, parse_definitions
from jiqun.observatory.errors import FileProblem
from jiqun.observatory.register import load_register
from jiqun.observatory.stats import compute

from .conftest import HEADER, good_rows, write_csv

REV = HEADER.index("主营业务收入（万元）")


def col(rows: list[list[str]], name: str) -> list[float]:
    return [float(r[HEADER.index(name)]) for r in rows]


def test_figures_shares_and_growth(tmp_path: Path) -> None:
    rows = good_rows()
    result = compute(load_register(write_csv(tmp_path / "r.csv", rows)))
    data = result.to_json()
    this_year = [r for r in rows if r[0] == "2024"]
    textile = [r for r in this_year if r[4][:2] in ("17", "18")]
    textile_2023 = [r for r in rows if r[0] == "2023" and r[4][:2] in ("17", "18")]
    assert data["year"] == 2024 and data["unit"] == "万元"
    assert data["city"] == {
        "firms": 5,
        "registered_capital": sum(col(this_year, "注册资金（万元）")),
        "revenue": sum(col(this_year, "主营业务收入（万元）")),
        "profit_tax": sum(col(this_year, "利税（万元）")),
        "profit": sum(col(this_year, "利润（万元）")),
    }
    first = data["clusters"][0]
    assert first["name"] == "纺织服装业"
    assert first["firms"] == 3
    assert first["revenue"] == 1_020_000
    assert first["high_tech_firms"] == 1
    assert first["rd_centres"] == 2
    assert first["provincial_brand_products"] == 5
    assert first["key_enterprises"] == ["新郎服饰", "桑莎集团"]  # flagged ones, by revenue
    assert first["share"]["revenue"] == pytest.approx(1_020_000 / 3_110_000)
    assert first["growth"]["revenue"] == pytest.approx(
        1_020_000 / sum(col(textile_2023, "主营业务收入（万元）")) - 1
    )
    assert first["growth"]["profit_tax"] == pytest.approx(102_000 / 91_000 - 1)
    assert sum(col(textile, "利润（万元）")) == first["profit"]
    auto = data["clusters"][1]
    assert auto["name"] == "汽车及机械加工业" and auto["firms"] == 1
    # 开元电机 (3811) is outside the nine clusters: city totals only
    assert sum(c["firms"] for c in data["clusters"]) == 4
    assert [c["name"] for c in data["clusters"]] == default_definitions().names
    empty = data["clusters"][2]
    assert (
        empty["firms"] == 0
        and empty["growth"]["revenue"] is None
        and empty["key_enterprises"] == []
    )


def test_growth_is_null_without_the_previous_year(tmp_path: Path) -> None:
    rows = [r for r in good_rows() if r[0] == "2024"]
    data = compute(load_register(write_csv(tmp_path / "r.csv", rows))).to_json()
    assert all(v is None for c in data["clusters"] for v in c["growth"].values())


def test_earlier_year_and_unknown_year(tmp_path: Path) -> None:
    reg = load_register(write_csv(tmp_path / "r.csv", good_rows()))
    data = compute(reg, year=2023).to_json()
    assert data["city"]["firms"] == 3
    assert data["clusters"][0]["growth"]["revenue"] is None  # no 2022 in the register
    with pytest.raises(FileProblem) as info:
        compute(reg, year=2020)
    assert "没有2020年度的数据（有：2023、2024）" in str(info.value)


def test_key_enterprises_fall_back_to_the_five_largest(tmp_path: Path) -> None:
    rows = []
    for i, revenue in enumerate([5, 60, 7, 80, 9, 10, 3]):
        rows.append(
            [
                "2024",
                f"厂{i}",
                "",
                "昌城镇",
                "1711",
                "1",
                str(revenue),
                "1",
                "1",
                "1",
                "否",
                "0",
                "0",
                "否",
            ]
        )
    data = compute(load_register(write_csv(tmp_path / "r.csv", rows))).to_json()
    assert data["clusters"][0]["key_enterprises"] == ["厂3", "厂1", "厂5", "厂4", "厂2"]


def test_register_cluster_column_orders_by_revenue(tmp_path: Path) -> None:
    header = ["年度", "企业名称", "镇街", "所属集群", "主营业务收入（万元）", "利润（万元）"]
    rows = [
        ["2024", "甲", "龙都街道", "箱包产业", "100", "-30"],
        ["2024", "乙", "龙都街道", "木器家具业", "300", "20"],
        ["2024", "丙", "龙都街道", "", "50", "5"],
        ["2023", "乙", "龙都街道", "木器家具业", "200", "-10"],
    ]
    data = compute(load_register(write_csv(tmp_path / "r.csv", rows, header=header))).to_json()
    assert [c["name"] for c in data["clusters"]] == ["木器家具业", "箱包产业"]
    wood = data["clusters"][0]
    assert wood["growth"]["profit"] == pytest.approx(3.0)  # from −10 to 20: (20 − (−10)) / |−10|
    assert data["city"]["revenue"] == 450


def test_toml_definitions(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        '[[cluster]]\nname = "服装"\nindustry_codes = ["18"]\n\n'
        '[[cluster]]\nname = "汽车整车"\nindustry_codes = ["361"]\n',
        encoding="utf-8",
    )
    reg = load_register(write_csv(tmp_path / "r.csv", good_rows()))
    data = compute(reg, definitions=load_definitions(toml)).to_json()
    assert [(c["name"], c["firms"], c["revenue"]) for c in data["clusters"]] == [
        ("服装", 1, 600000),
        ("汽车整车", 1, 2000000),
    ]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("[[cluster]]\nname = 1\n", "name missing"),
        ('[[cluster]]\nname = "a"\n', "industry_codes missing"),
        ('[[cluster]]\nname = "a"\nindustry_codes = [17]\n', "not 2 to 4 digits"),
        (
            '[[cluster]]\nname = "a"\nindustry_codes = ["17"]\n'
            '[[cluster]]\nname = "b"\nindustry_codes = ["17"]\n',
            "industry code 17 is in both a and b",
        ),
        ("name = ", "Invalid"),
        ("", "no [[cluster]] tables"),
    ],
)
def test_bad_definitions(text: str, detail: str) -> None:
    with pytest.raises(FileProblem) as info:
        parse_definitions(text, "c.toml")
    assert detail in str(info.value) and str(info.value).startswith("c.toml：")


def test_longest_prefix_wins() -> None:
    import polars as pl

    d = default_definitions()
    got = pl.select(
        d.assign(pl.Series(["3531", "3530", "3467", "3541", "2911", "2920", "3811"]))
    ).to_series()
    assert got.to_list() == [
        "食品包装机械业",
        "汽车及机械加工业",
        "食品包装机械业",
        "造纸机械业",
        "汽车及机械加工业",
        None,
        None,
    ]
