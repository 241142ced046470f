"""Property tests: any register, however its numbers are spelled, gives the plain sums."""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jiqun.observatory.clusters import default_definitions
from jiqun.observatory.register import load_register
from jiqun.observatory.stats import compute

FULL_WIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
TOWNS = ["密州街道", "龙都街道", "昌城镇"]
CODES = ["1711", "1810", "3670", "3531", "3541", "2911", "2920", "3811", "1310", "4710"]


def spell(value: int, style: int) -> str:
    """The same whole number as office software and people write it."""
    if style == 1:
        return f"{value:,}"
    if style == 2:
        return str(value).translate(FULL_WIDTH)
    if style == 3:
        return f"{value}.00"
    return str(value)


firm = st.fixed_dictionaries(
    {
        "year": st.sampled_from([2023, 2024]),
        "town": st.sampled_from(TOWNS),
        "code": st.sampled_from(CODES),
        "revenue": st.integers(0, 10**8),
        "profit": st.integers(-(10**6), 10**6),
        "high_tech": st.booleans(),
        "key": st.booleans(),
        "style": st.integers(0, 3),
    }
)


def cluster_of(code: str) -> str | None:
    """Longest-prefix match, written out plainly (independent of ClusterDefinitions.assign)."""
    best: tuple[int, str] | None = None
    for cluster in default_definitions().clusters:
        for prefix in cluster.industry_codes:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), cluster.name)
    return None if best is None else best[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(firm, min_size=1, max_size=40))
def test_sums_shares_and_growth_match_plain_python(firms: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(
                [
                    "年度",
                    "企业名称",
                    "镇街",
                    "行业代码",
                    "主营业务收入（万元）",
                    "利润（万元）",
                    "高新技术企业",
                    "骨干企业",
                ]
            )
            for i, x in enumerate(firms):
                w.writerow(
                    [
                        x["year"],
                        f"企业{i}",
                        x["town"],
                        x["code"],
                        spell(x["revenue"], x["style"]),
                        spell(x["profit"], x["style"] % 2 * 3),
                        "是" if x["high_tech"] else "否",
                        "Y" if x["key"] else "N",
                    ]
                )
        data = compute(load_register(path)).to_json()

    year = max(x["year"] for x in firms)
    totals: dict[tuple[int, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for x in firms:
        for key in ((x["year"], cluster_of(x["code"])), (x["year"], "city")):
            t = totals[key]
            t["firms"] += 1
            t["revenue"] += x["revenue"]
            t["profit"] += x["profit"]
            t["high_tech"] += x["high_tech"]
    city = totals[(year, "city")]
    assert data["year"] == year
    assert data["city"]["firms"] == city["firms"]
    assert data["city"]["revenue"] == city["revenue"]
    assert data["city"]["profit"] == city["profit"]
    has_previous = any(x["year"] == year - 1 for x in firms)
    for c in data["clusters"]:
        mine = totals.get(
            (year, c["name"]), {"firms": 0, "revenue": 0, "profit": 0, "high_tech": 0}
        )
        assert (c["firms"], c["revenue"], c["profit"], c["high_tech_firms"]) == (
            mine["firms"],
            mine["revenue"],
            mine["profit"],
            mine["high_tech"],
        )
        share = c["share"]["revenue"]
        assert (
            share is None
            if city["revenue"] == 0
            else abs(share - mine["revenue"] / city["revenue"]) < 1e-12
        )
        before = totals.get((year - 1, c["name"]), {}).get("revenue", 0)
        growth = c["growth"]["revenue"]
        if not has_previous or before == 0:
            assert growth is None
        else:
            assert abs(growth - (mine["revenue"] - before) / before) < 1e-12
        members = [
            (x["revenue"], f"企业{i}", x["key"])
            for i, x in enumerate(firms)
            if x["year"] == year and cluster_of(x["code"]) == c["name"]
        ]
        flagged = [m for m in members if m[2]]
        chosen = flagged if flagged else members
        ranked = sorted(chosen, key=lambda m: (-m[0], m[1]))
        expected = [m[1] for m in (ranked if flagged else ranked[:5])]
        assert c["key_enterprises"] == expected
    assert sum(c["firms"] for c in data["clusters"]) == sum(
        1 for x in firms if x["year"] == year and cluster_of(x["code"]) is not None
    )
