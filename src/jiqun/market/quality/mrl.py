"""GB 2763 maximum residue limits (MRL) for vegetables: the curated table and its lookup (M8).

The table ships as three CSV files in ``data/``:

- ``foods.csv`` — the food category tree of GB 2763-2021 Appendix A (蔬菜 → 叶菜类蔬菜 → 绿叶类 →
  菠菜 …; 食用菌 beside 蔬菜), each node with its English name and aliases (西红柿 → 番茄);
- ``pesticides.csv`` — the pesticides, with English names and aliases (高效氯氟氰菊酯 → 氯氟氰菊酯);
- ``mrl.csv`` — one limit (mg/kg) per pesticide and food or category, with the categories it
  does not apply to (``except``: GB 2763's "（…除外）"), its source (standard, clause, year) and
  notes. A note starting with 不确定 marks a value that could not be checked against the
  published text when the table was compiled; the values are to be verified before the table
  is used for an official judgement.

A limit is looked up from the most specific category upward: the food itself, then its parent
category, and so on to the root. A row whose ``except`` names the food or one of the categories
between it and the row's category does not apply, and the search goes on upward. GB 2763's
"（单列的除外）" (except those listed separately) needs no entry: a separately listed food is
found before its category. No row on the way up means GB 2763 sets no limit for that pair, which
is reported as such, never as zero.

The loader checks every row and reports every bad one with file, row, field, value and reason.
Limits are :class:`decimal.Decimal`, exact as written.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from jiqun.i18n import Lang, current_lang
from jiqun.observatory.errors import UserError

DATA = Path(__file__).resolve().parent / "data"
FOODS, PESTICIDES, LIMITS = "foods.csv", "pesticides.csv", "mrl.csv"
LIST_SEP = (";", "；")  # aliases
EXCEPT_SEP = ("、", ";", "；", ",", "，")


# ---------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is (file, row as the spreadsheet numbers it, field) and why."""

    file: str
    row: int  # 1 is the header
    field: str
    value: str
    zh: str
    en: str

    def message(self, lang: Lang | None = None) -> str:
        if (lang or current_lang()) == "zh":
            return f"{self.file} 第{self.row}行，字段“{self.field}”的值“{self.value}”：{self.zh}"
        return f"{self.file} row {self.row}, field '{self.field}', value '{self.value}': {self.en}"


class TableError(UserError):
    """The MRL table has bad rows (each listed) or a file cannot be read."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self, lang: Lang | None = None) -> list[str]:
        zh = (lang or current_lang()) == "zh"
        out = [p.message(lang) for p in self.problems]
        n = len(self.problems)
        out.append(f"限量表有 {n} 处错误，未加载" if zh else f"{n} problem(s): table not loaded")
        return out


class UnknownName(UserError):
    """A pesticide or food the table does not know, with the nearest known names."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str]) -> None:
        self.kind, self.name, self.suggestions = kind, name, list(suggestions)
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        zh = (lang or current_lang()) == "zh"
        if zh:
            what = "农药" if self.kind == "pesticide" else "食品"
            text = f"限量表中没有{what}“{self.name}”"
            if self.suggestions:
                text += "；您是否要找：" + "、".join(self.suggestions)
            return [text]
        what = "pesticide" if self.kind == "pesticide" else "food"
        text = f"no {what} '{self.name}' in the MRL table"
        if self.suggestions:
            text += "; did you mean: " + ", ".join(self.suggestions)
        return [text]


# ---------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Food:
    name: str
    parent: str | None
    name_en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pesticide:
    name: str
    name_en: str
    aliases: tuple[str, ...] = ()
    kind: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Limit:
    pesticide: str
    food: str  # a food or a category
    mg_per_kg: Decimal
    excepts: tuple[str, ...]
    standard: str
    clause: str
    year: int
    notes: str
    row: int

    @property
    def source(self) -> str:
        return f"{self.standard}-{self.year} {self.clause}"

    @property
    def unsure(self) -> bool:
        return self.notes.startswith("不确定")


@dataclass(frozen=True)
class Match:
    """The answer to a lookup: the limit that applies (``None``: GB 2763 sets none), the
    category it was found at, the path searched and the rows skipped for their exclusions."""

    pesticide: Pesticide
    food: Food
    limit: Limit | None
    path: tuple[str, ...]  # the food, then each category up to the root
    skipped: tuple[Limit, ...] = ()

    def to_json(self) -> dict[str, object]:
        limit = self.limit
        return {
            "pesticide": self.pesticide.name,
            "pesticide_en": self.pesticide.name_en,
            "food": self.food.name,
            "food_en": self.food.name_en,
            # a JSON number written from the exact decimal (short decimals print exactly)
            "limit_mg_kg": None if limit is None else _number(limit.mg_per_kg),
            "matched": None if limit is None else limit.food,
            "except": [] if limit is None else list(limit.excepts),
            "source": None
            if limit is None
            else {"standard": limit.standard, "clause": limit.clause, "year": limit.year},
            "notes": "" if limit is None else limit.notes,
            "path": list(self.path),
            "skipped": [
                {"category": s.food, "limit_mg_kg": _number(s.mg_per_kg), "except": list(s.excepts)}
                for s in self.skipped
            ],
        }

    def text(self, lang: Lang | None = None) -> str:
        zh = (lang or current_lang()) == "zh"
        p, f, limit = self.pesticide, self.food, self.limit
        path = " → ".join(self.path)
        lines: list[str] = []
        if limit is None:
            if zh:
                lines.append(f"GB 2763 未规定{p.name}（{p.name_en}）在{f.name}中的最大残留限量")
                lines.append(f"已查类别：{path}")
            else:
                lines.append(
                    f"GB 2763 sets no maximum residue limit for {p.name_en} in {f.name_en}"
                )
                lines.append(f"categories searched: {path}")
        elif zh:
            lines.append(
                f"{p.name}（{p.name_en}）在{f.name}中的最大残留限量：{limit.mg_per_kg} mg/kg"
            )
            lines.append(f"依据：{limit.source}")
            where = limit.food + (f"（{'、'.join(limit.excepts)}除外）" if limit.excepts else "")
            lines.append(f"匹配类别：{where}；查找路径：{path}")
        else:
            lines.append(
                f"maximum residue limit of {p.name_en} ({p.name}) in {f.name_en} ({f.name}): "
                f"{limit.mg_per_kg} mg/kg"
            )
            lines.append(f"source: {limit.source}")
            where = limit.food + (f" (except {', '.join(limit.excepts)})" if limit.excepts else "")
            lines.append(f"matched category: {where}; path: {path}")
        for s in self.skipped:
            if zh:
                lines.append(f"未采用：{s.food} {s.mg_per_kg} mg/kg（{'、'.join(s.excepts)}除外）")
            else:
                lines.append(
                    f"not applied: {s.food} {s.mg_per_kg} mg/kg (except {', '.join(s.excepts)})"
                )
        if limit is not None and limit.notes:
            lines.append(("备注：" if zh else "notes: ") + limit.notes)
        return "\n".join(lines) + "\n"


@dataclass
class MrlTable:
    foods: dict[str, Food]
    pesticides: dict[str, Pesticide]
    limits: dict[tuple[str, str], Limit]
    _food_names: dict[str, str] = field(default_factory=dict)  # name or alias (casefolded) → name
    _pesticide_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.foods.values():
            for n in (f.name, f.name_en, *f.aliases):
                if n:
                    self._food_names.setdefault(_key(n), f.name)
        for p in self.pesticides.values():
            for n in (p.name, p.name_en, *p.aliases):
                if n:
                    self._pesticide_names.setdefault(_key(n), p.name)

    # ------------------------------------------------------------------ names

    def find_food(self, name: str) -> Food | None:
        found = self._food_names.get(_key(name))
        return None if found is None else self.foods[found]

    def food(self, name: str) -> Food:
        found = self.find_food(name)
        if found is None:
            raise UnknownName("food", name, _suggest(name, self._food_names))
        return found

    def pesticide(self, name: str) -> Pesticide:
        found = self._pesticide_names.get(_key(name))
        if found is None:
            raise UnknownName("pesticide", name, _suggest(name, self._pesticide_names))
        return self.pesticides[found]

    def path(self, food: str) -> tuple[str, ...]:
        """The food, then each category above it up to the root."""
        out: list[str] = []
        node: str | None = self.food(food).name
        while node is not None:
            out.append(node)
            node = self.foods[node].parent
        return tuple(out)

    def is_under(self, food: str, category: str) -> bool:
        """Whether ``food`` is ``category`` or below it."""
        return category in self.path(food)

    # ------------------------------------------------------------------ lookup

    def lookup(self, pesticide: str, food: str) -> Match:
        """The limit of ``pesticide`` in ``food`` from the most specific category upward,
        honouring exclusions (see the module's docstring)."""
        p = self.pesticide(pesticide)
        f = self.food(food)
        path = self.path(f.name)
        skipped: list[Limit] = []
        for i, node in enumerate(path):
            limit = self.limits.get((p.name, node))
            if limit is None:
                continue
            below = set(path[:i])  # the food and the categories between it and ``node``
            if below.intersection(limit.excepts):
                skipped.append(limit)
                continue
            return Match(p, f, limit, path, tuple(skipped))
        return Match(p, f, None, path, tuple(skipped))


def _number(d: Decimal) -> int | float:
    """An exact decimal as a JSON number: an int when whole, else the float whose shortest
    repr is the same decimal (true of every limit in the table: a few significant digits)."""
    if d == d.to_integral_value():
        return int(d)
    f = float(d)
    if Decimal(repr(f)) != d:
        raise ValueError(f"{d} has no exact short float form")
    return f


def _key(name: str) -> str:
    return name.strip().casefold()


def _suggest(name: str, names: Mapping[str, str], n: int = 5) -> list[str]:
    """Known names containing the query (or contained in it), then the closest by spelling."""
    key = _key(name)
    out: list[str] = []
    if key:
        for k, canonical in names.items():
            if (key in k or k in key) and canonical not in out:
                out.append(canonical)
    for k in difflib.get_close_matches(key, list(names), n=n, cutoff=0.5):
        if names[k] not in out:
            out.append(names[k])
    return out[:n]


# ---------------------------------------------------------------------------- loading


def _split(text: str, seps: Iterable[str]) -> tuple[str, ...]:
    for sep in seps:
        text = text.replace(sep, "\x00")
    return tuple(part.strip() for part in text.split("\x00") if part.strip())


def _read(path: Path, required: Sequence[str], problems: list[Problem]) -> list[dict[str, str]]:
    """Rows as dicts with their spreadsheet row number under ``"__row"``."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem(name, 0, "", str(path), "找不到文件", "file not found"))
        return []
    except (OSError, UnicodeDecodeError) as e:
        problems.append(Problem(name, 0, "", str(path), f"无法读取：{e}", f"cannot read: {e}"))
        return []
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(
            Problem(
                name,
                1,
                "header",
                ",".join(header),
                "缺少必需的列：" + "、".join(missing),
                "required columns missing: " + ", ".join(missing),
            )
        )
        return []
    rows = []
    for i, raw in enumerate(reader, start=2):
        if None in raw:  # more cells than header columns
            problems.append(
                Problem(name, i, "", ",".join(raw[None] or []), "多余的单元格", "extra cells")
            )
            continue
        row = {k: (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        row["__row"] = str(i)
        rows.append(row)
    return rows


def _foods(rows: list[dict[str, str]], file: str, problems: list[Problem]) -> dict[str, Food]:
    foods: dict[str, Food] = {}
    first_row: dict[str, int] = {}
    names: dict[str, str] = {}  # every name and alias → the food it names
    for row in rows:
        n = int(row["__row"])
        name = row["name"]
        if not name:
            problems.append(Problem(file, n, "name", "", "名称不能为空", "the name is empty"))
            continue
        if name in foods:
            problems.append(
                Problem(
                    file,
                    n,
                    "name",
                    name,
                    f"重复：第{first_row[name]}行已有此食品",
                    f"duplicate of row {first_row[name]}",
                )
            )
            continue
        aliases = _split(row.get("aliases", ""), LIST_SEP)
        for alias in (name, *aliases):
            other = names.get(_key(alias))
            if other is not None and other != name:
                problems.append(
                    Problem(
                        file,
                        n,
                        "aliases" if alias != name else "name",
                        alias,
                        f"与“{other}”的名称或别名重复",
                        f"already names '{other}'",
                    )
                )
            names.setdefault(_key(alias), name)
        parent = row["parent"] or None
        foods[name] = Food(name, parent, row.get("name_en", ""), aliases)
        first_row[name] = n
    for name, food in foods.items():
        if food.parent is not None and food.parent not in foods:
            problems.append(
                Problem(
                    file,
                    first_row[name],
                    "parent",
                    food.parent,
                    "上级类别不存在",
                    "unknown parent category",
                )
            )
    for name in foods:  # a parent chain must end at a root
        seen: set[str] = set()
        node: str | None = name
        while node is not None and node in foods and node not in seen:
            seen.add(node)
            node = foods[node].parent
        if node is not None and node in seen:
            problems.append(
                Problem(
                    file,
                    first_row[name],
                    "parent",
                    foods[name].parent or "",
                    "上级类别成环",
                    "the parent categories form a cycle",
                )
            )
    return foods


def _pesticides(
    rows: list[dict[str, str]], file: str, problems: list[Problem]
) -> dict[str, Pesticide]:
    out: dict[str, Pesticide] = {}
    names: dict[str, str] = {}
    first_row: dict[str, int] = {}
    for row in rows:
        n = int(row["__row"])
        name = row["name"]
        if not name:
            problems.append(Problem(file, n, "name", "", "名称不能为空", "the name is empty"))
            continue
        if name in out:
            problems.append(
                Problem(
                    file,
                    n,
                    "name",
                    name,
                    f"重复：第{first_row[name]}行已有此农药",
                    f"duplicate of row {first_row[name]}",
                )
            )
            continue
        aliases = _split(row.get("aliases", ""), LIST_SEP)
        name_en = row.get("name_en", "")
        for alias in (name, name_en, *aliases):
            if not alias:
                continue
            other = names.get(_key(alias))
            if other is not None and other != name:
                problems.append(
                    Problem(
                        file,
                        n,
                        "aliases",
                        alias,
                        f"与“{other}”的名称或别名重复",
                        f"already names '{other}'",
                    )
                )
            names.setdefault(_key(alias), name)
        out[name] = Pesticide(name, name_en, aliases, row.get("kind", ""), row.get("notes", ""))
        first_row[name] = n
    return out


def _limits(
    rows: list[dict[str, str]],
    file: str,
    foods: Mapping[str, Food],
    pesticides: Mapping[str, Pesticide],
    problems: list[Problem],
) -> dict[tuple[str, str], Limit]:
    out: dict[tuple[str, str], Limit] = {}

    def bad(n: int, column: str, value: str, zh: str, en: str) -> None:
        problems.append(Problem(file, n, column, value, zh, en))

    def ancestors(name: str) -> list[str]:
        chain: list[str] = []
        node: str | None = name
        while node is not None and node in foods and node not in chain:
            chain.append(node)
            node = foods[node].parent
        return chain

    for row in rows:
        n = int(row["__row"])
        ok = True
        pesticide, food = row["pesticide"], row["food"]
        if pesticide not in pesticides:
            bad(n, "pesticide", pesticide, "农药不在 pesticides.csv 中", "unknown pesticide")
            ok = False
        if food not in foods:
            bad(n, "food", food, "食品或类别不在 foods.csv 中", "unknown food or category")
            ok = False
        text = row["limit_mg_kg"]
        try:
            value = Decimal(text)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            bad(n, "limit_mg_kg", text, "不是数字", "not a number")
            ok = False
        else:
            if value < 0:
                bad(n, "limit_mg_kg", text, "限量不能为负", "a limit cannot be negative")
                ok = False
            elif value == 0:
                bad(n, "limit_mg_kg", text, "限量必须大于 0", "a limit must be above 0")
                ok = False
            elif len(value.as_tuple().digits) > 6:
                bad(n, "limit_mg_kg", text, "有效数字过多（至多 6 位）", "more than 6 digits")
                ok = False
        excepts = _split(row.get("except", ""), EXCEPT_SEP)
        for e in excepts:
            if e not in foods:
                bad(n, "except", e, "除外的食品不在 foods.csv 中", "unknown excepted food")
                ok = False
            elif food in foods and (e == food or food not in ancestors(e)):
                bad(
                    n,
                    "except",
                    e,
                    f"除外的食品不在“{food}”之下",
                    f"the excepted food is not under '{food}'",
                )
                ok = False
        for column in ("standard", "clause"):
            if not row[column]:
                bad(n, column, "", "缺少来源", "the source is missing")
                ok = False
        year_text = row["year"]
        if not (year_text.isdigit() and len(year_text) == 4):
            bad(n, "year", year_text, "年份应为四位数字", "the year must have four digits")
            ok = False
        if not ok:
            continue
        key = (pesticide, food)
        if key in out:
            bad(
                n,
                "food",
                food,
                f"重复：第{out[key].row}行已规定{pesticide}在{food}中的限量",
                f"duplicate of row {out[key].row} ({pesticide} in {food})",
            )
            continue
        out[key] = Limit(
            pesticide,
            food,
            value,
            excepts,
            row["standard"],
            row["clause"],
            int(year_text),
            row.get("notes", ""),
            n,
        )
    return out


FOOD_COLUMNS = ("name", "parent", "name_en", "aliases")
PESTICIDE_COLUMNS = ("name", "name_en", "aliases")
LIMIT_COLUMNS = ("pesticide", "food", "limit_mg_kg", "except", "standard", "clause", "year")


def load(directory: Path | str = DATA) -> MrlTable:
    """Load and check the three files in ``directory``; every problem is reported at once."""
    d = Path(directory)
    problems: list[Problem] = []
    food_rows = _read(d / FOODS, FOOD_COLUMNS, problems)
    pesticide_rows = _read(d / PESTICIDES, PESTICIDE_COLUMNS, problems)
    limit_rows = _read(d / LIMITS, LIMIT_COLUMNS, problems)
    foods = _foods(food_rows, FOODS, problems)
    pesticides = _pesticides(pesticide_rows, PESTICIDES, problems)
    limits = _limits(limit_rows, LIMITS, foods, pesticides, problems)
    if problems:
        raise TableError(problems)
    return MrlTable(foods, pesticides, limits)


_DEFAULT: MrlTable | None = None


def default_table() -> MrlTable:
    """The shipped table, loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load(DATA)
    return _DEFAULT
