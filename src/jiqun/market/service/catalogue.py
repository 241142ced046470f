"""The market's catalogue (PRODUCT.md M2): varieties (name, category, NY/T 2137 code where
known), grades (特级/一级/二级) and package codes with standard net weights.

A built-in catalogue of Shouguang vegetables (the demo's varieties and packages) plus what
administrators add (table ``catalogue``; an added entry with a built-in code replaces it).
A supplier's lot must name a variety, grade and package of the catalogue, and its unit net
weight must be the package's standard net weight (:func:`check_lot`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jiqun.market.service.tables import catalogue as c

KINDS = ("variety", "grade", "package")


@dataclass(frozen=True)
class Variety:
    name: str
    category: str
    standard_code: str = ""  # NY/T 2137 code where known; left empty rather than guessed


@dataclass(frozen=True)
class Package:
    code: str  # what lots carry in ``package``: the container and its standard net weight
    name: str
    net_g: int


@dataclass(frozen=True)
class Catalogue:
    varieties: dict[str, Variety]
    grades: tuple[str, ...]
    packages: dict[str, Package]

    def to_json(self) -> dict[str, Any]:
        return {
            "varieties": [asdict(v) for v in self.varieties.values()],
            "grades": list(self.grades),
            "packages": [asdict(p) for p in self.packages.values()],
        }


VARIETIES = (
    Variety("黄瓜", "瓜类"),
    Variety("番茄", "茄果类"),
    Variety("茄子", "茄果类"),
    Variety("辣椒", "茄果类"),
    Variety("彩椒", "茄果类"),
    Variety("西葫芦", "瓜类"),
    Variety("大白菜", "白菜类"),
    Variety("菠菜", "绿叶菜类"),
    Variety("芹菜", "绿叶菜类"),
    Variety("韭菜", "葱蒜类"),
    Variety("苦瓜", "瓜类"),
    Variety("丝瓜", "瓜类"),
)
GRADES = ("特级", "一级", "二级")
PACKAGES = (
    Package("纸箱10kg", "纸箱", 10_000),
    Package("纸箱5kg", "纸箱", 5_000),
    Package("塑料筐15kg", "塑料筐", 15_000),
    Package("网袋25kg", "网袋", 25_000),
    Package("泡沫箱7.5kg", "泡沫箱", 7_500),
    Package("泡沫箱5kg", "泡沫箱", 5_000),
    Package("捆10kg", "捆", 10_000),
)


def load(engine: Engine) -> Catalogue:
    """The built-in catalogue with the administrators' additions (blocking: a query)."""
    varieties = {v.name: v for v in VARIETIES}
    grades = list(GRADES)
    packages = {p.code: p for p in PACKAGES}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c).order_by(c.c.at_ms, c.c.kind, c.c.code)).all()
    for row in rows:
        if row.kind == "variety":
            varieties[row.code] = Variety(row.code, row.category, row.standard_code)
        elif row.kind == "grade" and row.code not in grades:
            grades.append(row.code)
        elif row.kind == "package" and row.net_g is not None:
            packages[row.code] = Package(row.code, row.name, int(row.net_g))
    return Catalogue(varieties, tuple(grades), packages)


def add(engine: Engine, entry: dict[str, Any], at_ms: int) -> None:
    """Add or replace one entry (checked by the caller); blocking."""
    with engine.begin() as conn:
        conn.execute(c.delete().where(c.c.kind == entry["kind"], c.c.code == entry["code"]))
        conn.execute(c.insert().values(**entry, at_ms=at_ms))


def check_lot(cat: Catalogue, data: dict[str, Any]) -> str | None:
    """Why a lot's variety, grade, package or unit weight is not the catalogue's, or None."""
    name, code = data.get("variety"), data.get("package")
    variety = cat.varieties.get(name) if isinstance(name, str) else None
    if variety is None:
        return "unknown_variety"
    if data.get("grade") not in cat.grades:
        return "unknown_grade"
    package = cat.packages.get(code) if isinstance(code, str) else None
    if package is None:
        return "unknown_package"
    if data.get("unit_net_g") != package.net_g:
        return "not_the_standard_weight"
    if data.get("category", variety.category) != variety.category:
        return "wrong_category"
    return None
