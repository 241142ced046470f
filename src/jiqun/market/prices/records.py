"""Price records for the index: reading ``RECORDS.csv`` and checking every row.

Columns (header names, in any order; other columns are ignored): ``date`` (ISO 2026-11-27),
``variety``, ``category``, ``grade``, ``volume_g`` (integer grams ≥ 0), ``amount_fen``
(integer fen ≥ 0); or in Chinese 日期, 品种, 类别, 等级, 成交量（克）, 成交额（分）.
The file is UTF-8 (a BOM is fine) or GB18030/GBK, as spreadsheets save it.

Rules (docs/guide/price-index.md):

- Several rows of the same date × variety × grade are summed (several trades a day are normal).
- A row with volume 0 and amount 0 records no trade (e.g. a day with only withdrawn lots): it
  adds nothing to any sum and its date still appears in the index.
- volume 0 with an amount, or an amount of 0 with a volume, has no price: an error.
- A variety belongs to one category: a variety listed under two categories is an error.
- Every bad row is reported with its file, row (as a spreadsheet numbers it, the header being
  row 1), field, value and reason; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jiqun.i18n import Lang, current_lang
from jiqun.observatory.errors import UserError

COLUMNS = ("date", "variety", "category", "grade", "volume_g", "amount_fen")

# Chinese headers a user's spreadsheet may have, for the same columns.
ALIASES = {
    "日期": "date",
    "品种": "variety",
    "类别": "category",
    "等级": "grade",
    "成交量克": "volume_g",
    "成交量(克)": "volume_g",
    "成交额分": "amount_fen",
    "成交额(分)": "amount_fen",
}


def _column(header: str) -> str:
    """A header cell as a column name: case, spaces, a BOM and full-width brackets aside."""
    name = header.strip().lstrip("\ufeff").lower().replace("（", "(").replace("）", ")")
    name = name.replace(" ", "")
    return ALIASES.get(name, name)


@dataclass(frozen=True)
class PriceRow:
    """One row of RECORDS.csv: the trading of one variety × grade on one day."""

    date: date
    variety: str
    category: str
    grade: str
    volume_g: int
    amount_fen: int


@dataclass(frozen=True)
class Problem:
    """One bad cell (or row): where, which field, what value, why — in both languages."""

    file: str
    row: int | None
    field: str | None
    value: str | None
    zh: str
    en: str

    def message(self, lang: Lang) -> str:
        zh = lang == "zh"
        parts = [self.file]
        if self.row is not None:
            parts.append(f"第 {self.row} 行" if zh else f"row {self.row}")
        if self.field is not None:
            value = "" if self.value is None else self.value
            parts.append(
                f"字段 {self.field}，值“{value}”" if zh else f"field {self.field}, value '{value}'"
            )
        return ("，".join(parts) + "：" + self.zh) if zh else (", ".join(parts) + ": " + self.en)


class RecordsError(UserError):
    """RECORDS.csv cannot be used: every problem found, one line each, then a count."""

    LIMIT = 100

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self, lang: Lang | None = None) -> list[str]:
        lang = lang or current_lang()
        out = [p.message(lang) for p in self.problems[: self.LIMIT]]
        more = len(self.problems) - self.LIMIT
        if more > 0:
            out.append(f"……另有 {more} 个问题" if lang == "zh" else f"… and {more} more problems")
        if len(self.problems) > 1:
            n = len(self.problems)
            out.append(f"共 {n} 个问题，未计算指数" if lang == "zh" else f"{n} problems; no index")
        return out


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise RecordsError(
            [
                Problem(
                    name,
                    None,
                    None,
                    None,
                    f"无法识别文件编码（既不是 UTF-8 也不是 GB18030，第 {e.start} 字节）",
                    f"cannot decode the file (neither UTF-8 nor GB18030, byte {e.start})",
                )
            ]
        ) from None


_INT = re.compile(r"[+]?\d+")


def _integer(text: str) -> int | None:
    text = text.strip()
    return int(text) if _INT.fullmatch(text) else None


def parse_rows(text: str, name: str) -> list[PriceRow]:
    """The rows of a RECORDS text (``name`` is how errors call the file)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise RecordsError([Problem(name, None, None, None, "文件为空", "the file is empty")])
    names = [_column(h) for h in header]
    missing = [c for c in COLUMNS if c not in names]
    doubled = sorted({c for c in COLUMNS if names.count(c) > 1})
    if missing or doubled:
        header_problems: list[Problem] = []
        if missing:
            cols = ", ".join(missing)
            header_problems.append(
                Problem(
                    name,
                    1,
                    None,
                    None,
                    f"缺少必需的列：{cols}（需要 {', '.join(COLUMNS)}）",
                    f"required columns missing: {cols} (needs {', '.join(COLUMNS)})",
                )
            )
        if doubled:
            cols = ", ".join(doubled)
            header_problems.append(
                Problem(name, 1, None, None, f"列重复：{cols}", f"columns repeated: {cols}")
            )
        raise RecordsError(header_problems)
    at = {c: names.index(c) for c in COLUMNS}
    rows: list[PriceRow] = []
    problems: list[Problem] = []
    category_of: dict[str, tuple[str, int]] = {}  # variety → (category, first row)
    numbers: list[int] = []  # each row's number in the file
    for number, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue  # a blank line is no record
        cells = {c: (raw[i].strip() if i < len(raw) else "") for c, i in at.items()}
        row, found = _check_row(name, number, cells, category_of)
        problems += found
        if row is not None:
            rows.append(row)
            numbers.append(number)
    problems += _priceless(name, rows, numbers)
    if problems:
        raise RecordsError(problems)
    return rows


def _priceless(name: str, rows: list[PriceRow], numbers: list[int]) -> list[Problem]:
    """A day's trading of a variety × grade must have a price: its summed volume and amount
    both above 0, or both 0 (no trade; the date still counts). The definition works on the
    sums (u = Σ amount / Σ kg), so a single row of 0 g or 0 fen is fine when the day's sums
    are not; a sum that gives no price names the key's last row."""
    sums: dict[tuple[date, str, str], list[int]] = {}
    for row, number in zip(rows, numbers, strict=True):
        key = (row.date, row.variety, row.grade)
        total = sums.setdefault(key, [0, 0, number])
        total[0] += row.volume_g
        total[1] += row.amount_fen
        total[2] = number
    problems = []
    for (day, variety, grade), (volume, amount, number) in sums.items():
        what = f"{day} {variety} {grade}"
        if volume == 0 and amount > 0:
            problems.append(
                Problem(
                    name,
                    number,
                    "volume_g",
                    "0",
                    f"{what} 当日成交量合计为 0 而成交额为 {amount} 分：没有价格",
                    f"{what}: the day's volume is 0 but its amount is {amount} fen: no price",
                )
            )
        elif amount == 0 and volume > 0:
            problems.append(
                Problem(
                    name,
                    number,
                    "amount_fen",
                    "0",
                    f"{what} 当日成交额合计为 0 而成交量为 {volume} 克：没有价格",
                    f"{what}: the day's amount is 0 but its volume is {volume} g: no price",
                )
            )
    return problems


def _check_row(
    name: str, number: int, cells: dict[str, str], category_of: dict[str, tuple[str, int]]
) -> tuple[PriceRow | None, list[Problem]]:
    """The row, or the problems of its cells (every one of them, not only the first)."""
    problems: list[Problem] = []

    def bad(field: str, zh: str, en: str) -> None:
        problems.append(Problem(name, number, field, cells[field], zh, en))

    day: date | None = None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells["date"]):
            raise ValueError
        day = date.fromisoformat(cells["date"])
    except ValueError:
        bad("date", "不是日期（应为 2026-11-27 这样的格式）", "not a date (use 2026-11-27)")
    for field in ("variety", "category", "grade"):
        if not cells[field]:
            bad(field, "不能为空", "must not be empty")
    volume = _integer(cells["volume_g"])
    if volume is None:
        bad("volume_g", "不是非负整数（克）", "not a non-negative integer (grams)")
    amount = _integer(cells["amount_fen"])
    if amount is None:
        bad("amount_fen", "不是非负整数（分）", "not a non-negative integer (fen)")
    variety, category = cells["variety"], cells["category"]
    if variety and category:
        first = category_of.setdefault(variety, (category, number))
        if first[0] != category:
            bad(
                "category",
                f"品种“{variety}”在第 {first[1]} 行属于“{first[0]}”，一个品种只能属于一个类别",
                f"variety '{variety}' is in category '{first[0]}' on row {first[1]}; "
                "a variety belongs to one category",
            )
    if problems or day is None or volume is None or amount is None:
        return None, problems
    return PriceRow(day, variety, category, cells["grade"], volume, amount), []


def _file_problem(name: str, zh: str, en: str) -> RecordsError:
    return RecordsError([Problem(name, None, None, None, zh, en)])


def read_records(path: Path) -> list[PriceRow]:
    """The rows of RECORDS.csv, or a :class:`RecordsError` naming every bad one."""
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _file_problem(name, "找不到文件", "file not found") from None
    except OSError as e:
        reason = e.strerror or str(e)
        raise _file_problem(name, f"无法读取文件（{reason}）", f"cannot read ({reason})") from None
    return parse_rows(_decode(data, name), name)
