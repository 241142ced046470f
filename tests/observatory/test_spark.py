"""The Spark engine against the embedded one: the same JSON, byte for byte (PRODUCT.md O9).

One local[2] session for the module. The registers are real files read by the embedded
loader; the golden figures of the fractional register come from Python's ``Decimal``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.observatory import demo_register, spark, stats, towns
from jiqun.observatory.register import Register, load_register

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def session() -> Iterator[SparkSession]:
    s = spark.session("local[2]", spark.SMALL)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "zhucheng.csv"
    demo_register.write(demo_register.generate(), path)
    return path


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Register:
    return load_register(demo_path)


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


def test_stats_identical_on_the_demo_register(demo: Register, session: SparkSession) -> None:
    embedded = stats.compute(demo).to_json()
    assert embedded["year"] == 2024 and embedded["clusters"]
    assert any(c["key_enterprises"] for c in embedded["clusters"])
    assert dump(spark.compute(demo, spark=session).to_json()) == dump(embedded)


@pytest.mark.parametrize(
    ("level", "measure"),
    [("cluster", "employees"), ("group", "firms"), ("class", "revenue")],
)
def test_towns_identical_on_the_demo_register(
    demo: Register, session: SparkSession, level: str, measure: str
) -> None:
    embedded = towns.diagnose(demo, level=level, measure=measure).to_json()  # type: ignore[arg-type]
    assert embedded["towns"] and embedded["industries"]
    ours = spark.diagnose(demo, level=level, measure=measure, spark=session)  # type: ignore[arg-type]
    assert dump(ours.to_json()) == dump(embedded)


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, ["--lang", "zh", "observatory", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_engines_print_the_same_json(demo_path: Path, session: SparkSession) -> None:
    for command in (["stats", "--year", "2023"], ["towns", "--level", "division"]):
        args = [*command, str(demo_path), "--format", "json"]
        embedded = cli(*args)
        assert json.loads(embedded)["year"] in (2023, 2024)
        assert cli(*args, "--engine", "spark") == embedded
        assert cli(*args, "--engine", "embedded") == embedded


# A register with fractional amounts (down to the fen), negative profits, empty cells, its own
# cluster column, one cluster with flagged key enterprises and ties in revenue.
HEADER = ["年度", "企业名称", "镇街", "行业代码", "所属集群", "主营业务收入（万元）",
          "利润（万元）", "从业人员", "骨干企业"]  # fmt: skip
ROWS = [
    ["2024", f"企业{k:02d}", town, code, cluster, revenue, profit, staff, key]
    for k, (town, code, cluster, revenue, profit, staff, key) in enumerate(
        [
            ("甲镇", "1810", "纺织服装", "0.000001", "-0.333333", "3", ""),
            ("甲镇", "1810", "纺织服装", "1234.567891", "12.1", "40", ""),
            ("乙镇", "1820", "纺织服装", "1234.567891", "-7.000001", "", ""),
            ("乙镇", "3670", "汽车零部件", "0.1", "0.2", "12", "是"),
            ("乙镇", "3670", "汽车零部件", "0.2", "", "5", ""),
            ("丙镇", "3670", "汽车零部件", "99999.999999", "1000.000001", "900", "是"),
            ("丙镇", "1351", "", "0.3", "-0.1", "7", ""),
            ("丙镇", "1810", "纺织服装", "1234.567891", "0.000005", "1", ""),
            ("甲镇", "1351", "食品", "0", "", "", ""),
        ]
        * 3
    )
]
ROWS += [["2023", "企业00", "甲镇", "1810", "纺织服装", "500.5", "-1", "2", ""]]


@pytest.fixture(scope="module")
def fractional(tmp_path_factory: pytest.TempPathFactory) -> Register:
    path = tmp_path_factory.mktemp("spark") / "fractional.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *ROWS])
    return load_register(path)


def exact(column: int, cluster: str | None = None) -> float:
    """Σ of a column for 2024 (one cluster or all) in Decimal, rounded to 4 decimals."""
    total = sum(
        (Decimal(r[column]) for r in ROWS if r[0] == "2024" and r[column])
        if cluster is None
        else (Decimal(r[column]) for r in ROWS if r[0] == "2024" and r[column] and r[4] == cluster),
        Decimal(0),
    )
    return float(round(total, 4))


def test_fractional_amounts_exact_and_identical(
    fractional: Register, session: SparkSession
) -> None:
    embedded = stats.compute(fractional).to_json()
    assert dump(spark.compute(fractional, spark=session).to_json()) == dump(embedded)
    assert embedded["city"]["revenue"] == exact(5)
    assert embedded["city"]["profit"] == exact(6)
    clusters = {c["name"]: c for c in embedded["clusters"]}
    assert clusters["纺织服装"]["revenue"] == exact(5, "纺织服装")
    assert clusters["汽车零部件"]["profit"] == exact(6, "汽车零部件")
    # flagged key enterprises only, by revenue; five largest otherwise, ties by name then row
    assert clusters["汽车零部件"]["key_enterprises"] == ["企业05", "企业14", "企业23", "企业03",
                                                         "企业12", "企业21"]  # fmt: skip
    assert clusters["纺织服装"]["key_enterprises"] == ["企业01", "企业02", "企业07", "企业10",
                                                     "企业11"]  # fmt: skip
    for level, measure in [("cluster", "revenue"), ("class", "employees")]:
        mine = towns.diagnose(fractional, level=level, measure=measure)  # type: ignore[arg-type]
        theirs = spark.diagnose(fractional, level=level, measure=measure, spark=session)  # type: ignore[arg-type]
        assert dump(theirs.to_json()) == dump(mine.to_json())
