"""The placement ledger (O7): scores 100 % / 50 % (100 % once for the same town), tax 6:4,
in exact decimals. Every expected figure is worked by hand below."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from jiqun.observatory.placements import (
    DEMO_PLACEMENTS,
    load_ledger,
    parse_ratio,
    town_table,
    write_demo_ledger,
)
from jiqun.observatory.plan import TableRows

LEDGER = (
    "enterprise,year,attracting_town,hosting_town,points,local_tax\n"
    "甲公司,2024,甲镇,乙镇,10,100\n"  # 甲: 10 points, 60 tax; 乙: 5 points, 40 tax
    "乙公司,2024,乙镇,乙镇,8,50\n"  # 乙 attracts and hosts: 8 points (not 12), all 50 tax
    "丙公司,2024,丙镇,甲镇,6.5,33.33\n"  # 丙: 6.5, 19.998; 甲: 3.25, 13.332
    "丁公司,2023,甲镇,丙镇,100,1000\n"  # another year
)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_text(LEDGER, encoding="utf-8")
    return path


def towns(path: Path, **kw: object) -> dict[str, dict[str, object]]:
    table = town_table(load_ledger(path), **kw)  # type: ignore[arg-type]
    return {t["town"]: t for t in table.to_json()["towns"]}


def test_hand_worked_year(ledger: Path) -> None:
    table = town_table(load_ledger(ledger))
    assert table.year == 2024  # the latest year by default
    data = table.to_json()
    assert [t["town"] for t in data["towns"]] == ["甲镇", "乙镇", "丙镇"]  # by score
    jia, yi, bing = data["towns"]
    assert jia == {
        "town": "甲镇",
        "attracted": 1,
        "hosted": 1,
        "points_attracting": 10,
        "points_hosting": 6.5,
        "score": 13.25,  # 10 + 50 % of 6.5
        "tax_share": 73.332,  # 60 % of 100 + 40 % of 33.33
    }
    assert yi == {
        "town": "乙镇",
        "attracted": 1,
        "hosted": 2,
        "points_attracting": 8,
        "points_hosting": 18,
        "score": 13,  # 50 % of 10 + 100 % (once) of 8
        "tax_share": 90,  # 40 % of 100 + all of 50
    }
    assert bing["score"] == 6.5 and bing["tax_share"] == 19.998
    assert data["total"] == {"enterprises": 3, "points": 24.5, "score": 32.75, "local_tax": 183.33}


def test_figures_are_exact_decimals(ledger: Path) -> None:
    table = town_table(load_ledger(ledger))
    shares = {t.town: t.tax_share for t in table.towns}
    assert shares["丙镇"] == Decimal("19.998")  # 0.6 × 33.33 in binary floats is 19.997999…
    assert shares["甲镇"] == Decimal("73.332")
    assert sum(shares.values()) == Decimal("183.33")  # the shares add up to the ledger exactly
    split = next(s for s in table.splits if s.placement.enterprise == "丙公司")
    assert (split.attracting_tax, split.hosting_tax) == (Decimal("19.998"), Decimal("13.332"))


def test_same_town_gets_the_full_score_once(ledger: Path) -> None:
    split = next(
        s for s in town_table(load_ledger(ledger)).splits if s.placement.enterprise == "乙公司"
    )
    assert split.attracting_score == 8 and split.hosting_score == 0
    assert split.attracting_tax == 50 and split.hosting_tax == 0


def test_other_year_and_custom_shares(ledger: Path) -> None:
    assert towns(ledger, year=2023) == {
        "甲镇": {
            "town": "甲镇",
            "attracted": 1,
            "hosted": 0,
            "points_attracting": 100,
            "points_hosting": 0,
            "score": 100,
            "tax_share": 600,
        },
        "丙镇": {
            "town": "丙镇",
            "attracted": 0,
            "hosted": 1,
            "points_attracting": 0,
            "points_hosting": 100,
            "score": 50,
            "tax_share": 400,
        },
    }
    custom = towns(
        ledger,
        attract_share=Decimal("0.8"),
        host_share=Decimal("0.4"),
        tax_split=parse_ratio("7:3"),
    )
    # 甲: 0.8·10 + 0.4·6.5 = 10.6; tax 0.7·100 + 0.3·33.33 = 79.999
    assert custom["甲镇"]["score"] == 10.6 and custom["甲镇"]["tax_share"] == 79.999
    # 乙: 0.4·10 + 0.8·8 (same town: the larger share once) = 10.4; tax 30 + 50
    assert custom["乙镇"]["score"] == 10.4 and custom["乙镇"]["tax_share"] == 80


def test_parse_ratio() -> None:
    for text in ("0.6", "60%", "6:4", "3：2", "0.60"):
        assert parse_ratio(text) == Decimal("0.6"), text
    assert parse_ratio("1") == 1 and parse_ratio("0") == 0
    for bad in ("2:1", "1.5", "-0.1", "abc", "0:0", "150%"):
        with pytest.raises(ValueError):
            parse_ratio(bad)


def test_chinese_headers_xlsx_and_written_numbers(tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    sheet.write_row(
        0, 0, ["企业名称", "年度", "招商乡镇", "承接乡镇", "分值", "地方留成税收（万元）"]
    )
    sheet.write_row(1, 0, ["甲公司", 2024, "甲镇", "乙镇", "１２", "1,250.5"])
    sheet.write_row(2, 0, ["乙公司", "2024年", "乙镇", "甲镇", 3, 0.1])
    workbook.close()
    result = {t.town: t for t in town_table(load_ledger(path)).towns}
    # 甲: 12 + 0.5·3 = 13.5; tax 0.6·1250.5 + 0.4·0.1 = 750.3 + 0.04
    assert result["甲镇"].score == Decimal("13.5")
    assert result["甲镇"].tax_share == Decimal("750.34")
    assert result["乙镇"].tax_share == Decimal("500.2") + Decimal("0.06")


def test_bad_rows_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        "企业名称,年度,招商乡镇,承接乡镇,分值,地方留成税收（万元）\n"
        "甲公司,2024,甲镇,乙镇,10,100\n"
        "乙公司,二〇二四,甲镇,,-5,abc\n"
        "甲公司,2024,丙镇,乙镇,1,1\n",
        encoding="utf-8",
    )
    with pytest.raises(TableRows) as e:
        load_ledger(path)
    shown = e.value.lines("zh")
    assert shown[0] == (
        f"{path}，第3行：列“承接乡镇”，值“”：必填项为空；列“年度”，值“二〇二四”：不是有效的年度；"
        "列“分值”，值“-5”：不能为负数；列“地方留成税收（万元）”，值“abc”：不是数字"
    )
    assert shown[1] == f"{path}，第4行：列“企业名称”，值“甲公司”：与第2行重复（同一年度、同一企业）"
    assert shown[2].startswith("台账有2行无效数据，未做任何计算。可加 --skip-invalid")
    assert e.value.lines("en")[1].endswith("duplicates row 2 (same year and enterprise)")


def test_skip_invalid_keeps_the_rest_and_the_rejects(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        "enterprise,year,attracting_town,hosting_town,points,local_tax\n"
        "甲公司,2024,甲镇,乙镇,10,100\n"
        "乙公司,2024,甲镇,乙镇,ten,1\n",
        encoding="utf-8",
    )
    loaded = load_ledger(path, skip_invalid=True)
    assert loaded.rejected == 1
    assert loaded.rejects is not None
    assert loaded.rejects["行号"].to_list() == [3]
    assert loaded.rejects["points"].to_list() == ["ten"]
    assert "不是数字" in loaded.rejects["问题"][0]
    table = town_table(loaded)
    assert table.rejected == 1 and len(table.splits) == 1


def test_missing_columns_and_unknown_year(ledger: Path, tmp_path: Path) -> None:
    from jiqun.observatory.errors import FileProblem
    from jiqun.observatory.plan import Mistake

    path = tmp_path / "short.csv"
    path.write_text("enterprise,year,attracting_town,points\n甲,2024,甲镇,1\n", encoding="utf-8")
    with pytest.raises(FileProblem) as e:
        load_ledger(path)
    assert e.value.lines("zh")[0].endswith("缺少必需的列：承接乡镇、地方留成税收（万元）")
    with pytest.raises(Mistake) as m:
        town_table(load_ledger(ledger), 2020)
    assert m.value.lines("zh") == ["台账中没有2020年度的记录（有：2023、2024）"]


def test_demo_ledger(tmp_path: Path) -> None:
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"demo{suffix}"
        write_demo_ledger(path)
        table = town_table(load_ledger(path))
        assert len(table.splits) == len(DEMO_PLACEMENTS) == 12
        mizhou = next(t for t in table.towns if t.town == "密州街道")
        # attracts 恒泰 (30), 金源 (18, also hosts it: 100 % once), 盛世 (22): 70 points;
        # tax 0.6·186.5 + 72.6 + 0.6·101.75 = 111.9 + 72.6 + 61.05
        assert mizhou.score == 70 and mizhou.points_hosting == 18
        assert mizhou.tax_share == Decimal("245.55")
        assert table.total_tax == sum(t.tax_share for t in table.towns)
