"""The server-side SVG charts: well-formed, gaps break lines, names escaped, no outside
resources."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from jiqun.market.prices.charts import line_chart, nice_ticks

NS = "{http://www.w3.org/2000/svg}"


def test_gaps_break_the_line_and_names_are_escaped() -> None:
    d0 = date(2026, 11, 1)
    series = {
        "<总指数>": [(d0 + timedelta(days=i), v) for i, v in enumerate([100, 101, None, 99, 98])],
        "叶菜": [(d0, 100.0)],
    }
    svg = line_chart(series, title="指数 & 类别", unit="", reference=100.0)
    root = ET.fromstring(svg)  # well-formed XML
    lines = root.findall(f"{NS}polyline")
    assert len(lines) == 2  # 100, 101 | 99, 98
    assert [len(p.get("points", "").split()) for p in lines] == [2, 2]
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "<总指数>" in texts and "指数 & 类别" in texts
    assert "href" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_span_and_empty_chart() -> None:
    d0 = date(2026, 11, 10)
    svg = line_chart({"一级": [(d0, 5.8)]}, title="t", unit="元/公斤",
                     span=(date(2026, 11, 1), date(2026, 11, 30)))  # fmt: skip
    labels = [t.text for t in ET.fromstring(svg).iter(f"{NS}text")]
    assert "11-01" in labels and "11-30" in labels
    empty = ET.fromstring(line_chart({}, title="t", unit=""))
    assert [t.text for t in empty.iter(f"{NS}text")] == ["t", "—"]


def test_nice_ticks_cover_the_values() -> None:
    assert nice_ticks(81.3, 129.7) == [80, 90, 100, 110, 120, 130]
    assert nice_ticks(5.8, 5.8)[0] <= 5.8 <= nice_ticks(5.8, 5.8)[-1]
