"""``jiqun quality rapid | lab | plan``: verdicts and the plan from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiqun.cli import main


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIQUN_LANG", "zh")


def invoke(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.output


def test_rapid() -> None:
    code, out = invoke("quality", "rapid", "62", "50", "50.0")
    assert code == 0 and out.startswith("不合格")
    code, out = invoke("quality", "rapid", "49.99", "--variety", "西红柿", "--format", "json")
    data = json.loads(out)
    assert data["status"] == "pass" and data["handling"]["group"] == "番茄"
    code, out = invoke("quality", "rapid", "101")
    assert code == 2 and "0 到 100" in out


def test_lab() -> None:
    code, out = invoke("quality", "lab", "黄瓜", "毒死蜱=0.02", "--format", "json")
    data = json.loads(out)
    assert data["status"] == "pass" and data["lines"][0]["limit_mg_kg"] == "0.02"
    code, out = invoke("quality", "lab", "黄瓜", "毒死蜱=0.021")
    assert code == 0 and "超标" in out and "结论：不合格" in out
    code, out = invoke("quality", "lab", "黄瓜", "毒死蜱")
    assert code == 2 and "农药=含量" in out


def test_plan(tmp_path: Path) -> None:
    f = tmp_path / "arrivals.csv"
    rows = ["lot,supplier,variety,time"]
    rows += [f"L{i},S{i % 7},黄瓜,2026-11-{23 + i // 20:02d}T06:{i % 60:02d}" for i in range(120)]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out = invoke("quality", "plan", str(f), "--seed", "9", "--format", "json")
    first = json.loads(out)["draws"]
    _, again = invoke("quality", "plan", str(f), "--seed", "9", "--format", "json")
    assert json.loads(again)["draws"] == first
    weeks = {(d["supplier"], d["at_ms"] // (7 * 86_400_000)) for d in first if d["drawn"]}
    assert {s for s, _ in weeks} == {f"S{i}" for i in range(7)}
    code, out = invoke("quality", "plan", str(f))
    assert code == 0 and out.strip().endswith("批")
    bad = tmp_path / "bad.csv"
    bad.write_text("lot,supplier,variety,time\nL1,S1,黄瓜,昨天\n", encoding="utf-8")
    code, out = invoke("quality", "plan", str(bad))
    assert code == 2 and "bad.csv 第2行" in out and "time" in out
