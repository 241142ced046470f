"""``--engine spark`` without PySpark: one clear line naming the extra, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiqun.cli import main
from jiqun.observatory import demo_register, spark
from jiqun.observatory.register import load_register


@pytest.fixture
def no_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import pyspark`` fail as it does where the extra is not installed."""
    for name in list(sys.modules):
        if name == "pyspark" or name.startswith("pyspark."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyspark", None)


@pytest.fixture(scope="module")
def register_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nospark") / "zhucheng.csv"
    demo_register.write(demo_register.generate(), path)
    return path


def test_api_raises_spark_missing(no_pyspark: None, register_path: Path) -> None:
    register = load_register(register_path)
    with pytest.raises(spark.SparkMissing) as caught:
        spark.compute(register)
    assert "jiqun[spark]" in caught.value.lines("en")[0]
    with pytest.raises(spark.SparkMissing):
        spark.diagnose(register)


@pytest.mark.parametrize("command", ["stats", "towns"])
def test_cli_says_what_to_install(no_pyspark: None, register_path: Path, command: str) -> None:
    result = CliRunner().invoke(
        main, ["--lang", "zh", "observatory", command, str(register_path), "--engine", "spark"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "PySpark" in result.output and "pip install 'jiqun[spark]'" in result.output
    assert "--engine embedded" in result.output


def test_embedded_engine_needs_no_pyspark(no_pyspark: None, register_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["observatory", "stats", str(register_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"year": 2024' in result.output
