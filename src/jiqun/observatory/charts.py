"""The survey report's charts (PRODUCT.md O8) with matplotlib's Agg backend, and the CJK font
they and the PDF are drawn with.

A fresh Debian machine has no font with Chinese glyphs; matplotlib would then draw empty boxes.
:func:`cjk_font` finds one at run time (Noto Sans CJK, WenQuanYi Micro Hei, Source Han Sans …,
else any installed font that has Chinese characters) and otherwise raises :class:`NoCjkFont`,
which tells the user to install ``fonts-noto-cjk`` or ``fonts-wqy-microhei``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from jiqun.i18n import Lang, current_lang
from jiqun.observatory.errors import UserError

# Families known to cover simplified Chinese, best first.
PREFERRED = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
PROBE = "集群产业镇街"


@dataclass(frozen=True)
class CjkFont:
    """A font file with Chinese glyphs; ``index`` is the face in a collection (.ttc)."""

    name: str
    path: str
    index: int = 0


class NoCjkFont(UserError):
    """No installed font can draw Chinese."""

    def __init__(self) -> None:
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        if (lang or current_lang()) == "en":
            return [
                "No font with Chinese characters is installed, so charts and PDFs would show "
                "empty boxes: install one, e.g. `apt-get install fonts-noto-cjk` "
                "(or the small fonts-wqy-microhei), and run again."
            ]
        return [
            "未安装含中文字形的字体，图表和PDF中的汉字会显示为方框：请先安装中文字体，"
            "例如 `apt-get install fonts-noto-cjk`（或较小的 fonts-wqy-microhei），再运行。"
        ]


def _covers(path: str, index: int) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        charmap = FT2Font(path, face_index=index).get_charmap()
    except Exception:  # an unreadable font file is simply not a candidate
        return False
    return all(ord(ch) in charmap for ch in PROBE)


@lru_cache(maxsize=1)
def find_cjk_font() -> CjkFont | None:
    """The best installed font with Chinese glyphs, or None."""
    entries = [
        e
        for e in font_manager.fontManager.ttflist
        if e.style == "normal" and str(e.fname).lower().endswith((".ttf", ".ttc", ".otf", ".otc"))
    ]
    for family in PREFERRED:
        for e in sorted(entries, key=lambda e: abs(int(e.weight) - 400)):
            if e.name == family:
                return CjkFont(e.name, str(e.fname), int(getattr(e, "index", 0)))
    for e in entries:
        index = int(getattr(e, "index", 0))
        if _covers(str(e.fname), index):
            return CjkFont(e.name, str(e.fname), index)
    return None


def cjk_font() -> CjkFont:
    """The font to draw Chinese with; :class:`NoCjkFont` when there is none."""
    font = find_cjk_font()
    if font is None:
        raise NoCjkFont()
    return font


@dataclass(frozen=True)
class Chart:
    """One chart, as PNG (PDF, DOCX) and SVG (HTML, inline) of the same figure."""

    title: str
    png: bytes
    svg: str
    width_in: float
    height_in: float


def _render(figure: Figure, title: str) -> Chart:
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=150, bbox_inches="tight")
    svg = io.StringIO()
    figure.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = svg.getvalue()
    # Inline in HTML: no XML declaration, DOCTYPE, metadata or namespace URLs (HTML5 knows them).
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    width, height = figure.get_size_inches()
    return Chart(title, png.getvalue(), text, float(width), float(height))


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _rc(font: CjkFont) -> Any:  # matplotlib types rc keys as literals
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [font.name, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",  # glyphs as paths: the page needs no font
        "svg.hashsalt": "jiqun",
    }


def heatmap(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    label: str,
    centre: float | None = 1.0,
) -> Chart:
    """A rows × columns heat map (towns × industries of LQ or share), diverging at ``centre``;
    None (the industry is absent) is grey."""
    import numpy as np

    font = cjk_font()
    data = np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)
    width = max(6.0, 1.6 + 0.42 * len(columns))
    height = max(3.0, 1.4 + 0.34 * len(rows))
    with matplotlib.rc_context(_rc(font)):
        figure = _figure(width, height)
        ax = figure.add_subplot()
        finite = data[np.isfinite(data)]
        top = float(finite.max()) if finite.size else 1.0
        if centre is not None and finite.size and 0 < centre < top:
            norm = TwoSlopeNorm(vmin=0.0, vcenter=centre, vmax=top)
            cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#e4e4e4")
            image = ax.imshow(data, cmap=cmap, norm=norm, aspect="auto")
        else:
            cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#e4e4e4")
            image = ax.imshow(data, cmap=cmap, aspect="auto", vmin=0.0)
        ax.set_xticks(range(len(columns)), list(columns), rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), list(rows), fontsize=8)
        ax.set_title(title, fontsize=10)
        figure.colorbar(image, ax=ax, label=label, shrink=0.8)
        return _render(figure, title)


def tier_bars(
    title: str,
    names: Sequence[str],
    values: Sequence[float],
    thresholds: Sequence[float | None],
    value_label: str,
    threshold_label: str,
    unit: str,
) -> Chart:
    """Horizontal bars (each cluster's revenue) with its tier threshold marked."""
    font = cjk_font()
    height = max(3.0, 1.2 + 0.38 * len(names))
    with matplotlib.rc_context(_rc(font)):
        figure = _figure(7.5, height)
        ax = figure.add_subplot()
        y = list(range(len(names)))
        reached = [t is None or v >= t for v, t in zip(values, thresholds, strict=True)]
        colours = ["#3a7dc9" if ok else "#e39b3a" for ok in reached]
        ax.barh(y, values, color=colours, label=value_label)
        marks = [(i, t) for i, t in enumerate(thresholds) if t is not None]
        if marks:
            ax.scatter(
                [t for _, t in marks],
                [i for i, _ in marks],
                marker="|",
                s=300,
                linewidths=2.5,
                color="#c0392b",
                label=threshold_label,
                zorder=3,
            )
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:g}", va="center", fontsize=7)
        ax.set_yticks(y, list(names), fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(unit, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
        ax.margins(x=0.12)
        return _render(figure, title)


def share_bars(title: str, names: Sequence[str], values: Sequence[float], unit: str) -> Chart:
    """Vertical bars, e.g. each cluster's revenue in 亿元."""
    font = cjk_font()
    with matplotlib.rc_context(_rc(font)):
        figure = _figure(max(6.0, 1.5 + 0.6 * len(names)), 3.6)
        ax = figure.add_subplot()
        x = list(range(len(names)))
        ax.bar(x, values, color="#3a7dc9")
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:g}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, list(names), rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(title, fontsize=10)
        ax.margins(y=0.12)
        return _render(figure, title)
