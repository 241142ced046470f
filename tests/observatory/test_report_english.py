"""``jiqun --lang en observatory report``: the survey in English (O8).

The report's prose, headings, table headers and chart captions are English; what stays
Chinese are proper names: the city, the towns, the enterprises and the clusters as the
register and the plan name them, and the plan's own name ("三二三三三"). The names are taken
from the seed's files (shared/data) and the demo ledger, not from the report: once they are
removed, no Chinese character may be left in the English text.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lhtml

from jiqun.cli import main
from jiqun.observatory import demo_register
from jiqun.observatory.placements import DEMO_PLACEMENTS, write_demo_ledger

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def proper_names(shared: Path) -> list[str]:
    """Every name the report may quote as it is, longest first (so that 龙都街道 goes
    before any shorter name inside it)."""
    data = shared / "data"
    names = {"诸城市", "三二三三三"}
    names |= {r["town"] for r in _rows(data / "zhucheng_towns.csv")}
    for row in _rows(data / "zhucheng_clusters_2024.csv"):
        names.add(row["cluster"])
        names |= set(row["key_enterprises"].split("|"))
    for row in _rows(data / "zhucheng_cluster_plan.csv"):
        names.add(row["cluster"])
        names |= set(row["centre_towns"].split("|"))
        names |= set(row["key_enterprises"].split("|"))
    for enterprise, attracting, hosting, *_ in DEMO_PLACEMENTS:
        names |= {enterprise, attracting, hosting}
    return sorted(names, key=len, reverse=True)


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> str:
    folder = tmp_path_factory.mktemp("english")
    register = folder / "zhucheng.xlsx"
    demo_register.write(demo_register.generate(), register)
    ledger = folder / "ledger.csv"
    write_demo_ledger(ledger)
    out = folder / "survey.html"
    data = shared / "data"
    mp = pytest.MonkeyPatch()  # `--lang en` sets JIQUN_LANG for the process: undone below
    mp.setenv("JIQUN_LANG", "zh")
    try:
        result = CliRunner().invoke(
            main,
            [
                "--lang",
                "en",
                "observatory",
                "report",
                str(register),
                "-o",
                str(out),
                "--city",
                "诸城市",
                "--plan",
                str(data / "zhucheng_cluster_plan.csv"),
                "--targets",
                str(data / "zhucheng_plan_targets.csv"),
                "--target-year",
                "2029",
                "--placements",
                str(ledger),
            ],
        )
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _texts(page: str, xpath: str) -> list[str]:
    tree = lhtml.fromstring(page)
    return [" ".join(e.text_content().split()) for e in tree.xpath(xpath)]


def test_headings_are_english(english: str) -> None:
    headings = _texts(english, "//h1 | //h2 | //h3")
    assert headings[0] == "Industrial clusters of 诸城市: the state in 2024"
    for title in (
        "1. The state of the clusters",
        "2. The towns' industries",
        "3. Progress towards the plan",
        "4. New enterprises: scores and tax shares",
        "Table: main figures of the clusters, 2024",
        "Leading industries of the towns",
        "Tiers",
    ):
        assert title in headings
    assert '<html lang="en">' in english


def test_sentences_are_english_with_the_seed_figures(english: str) -> None:
    prose = _texts(english, "//p")
    textile = next(p for p in prose if p.startswith("(1) Textiles and clothing."))
    # The seed: 169 firms, registered capital 20亿 = 2 billion, revenue 142亿 = 14.2 billion.
    assert "The cluster has 169 enterprises above the statistical quota" in textile
    assert "registered capital of 2 billion yuan" in textile
    assert "In 2024 its firms achieved revenue of 14.2 billion yuan" in textile
    assert "Key enterprises include 新郎服饰, 桑莎集团" in textile
    assert any(p.startswith("昌城镇 has 4 leading industries: ") for p in prose)
    assert any(p.startswith('Plan "三二三三三": by 2029') for p in prose)


def test_no_chinese_outside_proper_names(english: str, shared: Path) -> None:
    names = proper_names(shared)
    texts = _texts(
        english,
        "//title | //h1 | //h2 | //h3 | //p | //th | //figcaption",
    )
    assert len(texts) > 40
    for text in texts:
        rest = text
        for name in names:
            rest = rest.replace(name, " ")
        assert not HAN.search(rest), (text, rest)
