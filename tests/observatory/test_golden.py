"""The whole pipeline on the demo register against the seed's figures and words."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from jiqun.observatory import demo_register
from jiqun.observatory.narrative import paragraphs
from jiqun.observatory.register import load_register
from jiqun.observatory.stats import compute

from .test_narrative import TEXTILE

CSV_TO_JSON = {
    "firms_above_quota": "firms",
    "registered_capital_wan": "registered_capital",
    "provincial_brand_products": "provincial_brand_products",
    "provincial_famous_trademarks": "provincial_famous_trademarks",
    "national_brand_products": "national_brand_products",
    "china_well_known_trademarks": "china_well_known_trademarks",
    "high_tech_firms": "high_tech_firms",
    "rd_centres": "rd_centres",
    "revenue_wan": "revenue",
    "profit_tax_wan": "profit_tax",
    "profit_wan": "profit",
}


@pytest.fixture(scope="module")
def demo_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "zhucheng.xlsx"
    demo_register.write(demo_register.generate(), path)
    return path


def stats_json(path: Path) -> dict[str, Any]:
    return compute(load_register(path)).to_json()


def test_demo_statistics_equal_the_seed_table(shared: Path, demo_xlsx: Path) -> None:
    data = stats_json(demo_xlsx)
    assert data["year"] == 2024
    with (shared / "data" / "zhucheng_clusters_2024.csv").open(encoding="utf-8") as f:
        seed = list(csv.DictReader(f))
    assert [c["name"] for c in data["clusters"]] == [row["cluster"] for row in seed]
    for row, cluster in zip(seed, data["clusters"], strict=True):
        for column, field in CSV_TO_JSON.items():
            assert cluster[field] == int(row[column]), (row["cluster"], field)
        assert cluster["key_enterprises"] == row["key_enterprises"].split("|")
        assert all(v is not None and v > 0 for v in cluster["growth"].values())
    shares = sum(c["share"]["revenue"] for c in data["clusters"])
    assert 0.9 < shares < 1  # firms outside the nine clusters count in the city only


def test_demo_textile_paragraph_is_the_seeds(demo_xlsx: Path) -> None:
    assert paragraphs(compute(load_register(demo_xlsx)))[0] == TEXTILE


def test_xlsx_gbk_csv_and_parquet_give_identical_statistics(
    tmp_path: Path, demo_xlsx: Path
) -> None:
    frame = demo_register.generate()
    utf8 = tmp_path / "utf8.csv"
    demo_register.write(frame, utf8)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8-sig").encode("gbk"))
    parquet = tmp_path / "register.parquet"
    pl.read_csv(utf8, infer_schema=False).write_parquet(parquet)
    typed_parquet = tmp_path / "typed.parquet"
    frame.rename(
        dict(zip(frame.columns, pl.read_csv(utf8, n_rows=0).columns, strict=True))
    ).with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, return_dtype=pl.String)
    ).write_parquet(typed_parquet)
    expected = stats_json(demo_xlsx)
    for path in (utf8, gbk, parquet, typed_parquet):
        assert stats_json(path) == expected, path.name
