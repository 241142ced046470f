"""Typing and validating a register (PRODUCT.md O1), column by column.

Every check is a vectorised expression over a whole column; only the rows that fail are
turned into Python objects, one :class:`RowProblem` per bad row. A bad register raises
:class:`InvalidRows` unless the caller asks to skip bad rows: then they come back as
``rejects`` (the user's cells, row number and reasons), never dropped silently.

A Parquet file is read with its own types (O9: tens of millions of rows): numbers and flags
are checked as numbers, not turned into text and parsed back; a dictionary-encoded
(categorical) column is checked once per distinct value and the results spread to its rows.
The checks and the messages are the same as for text cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from jiqun.observatory import credit_code, reading
from jiqun.observatory.errors import CellProblem, FileProblem, InvalidRows, RowProblem
from jiqun.observatory.reading import ROW, RawTable, read_table
from jiqun.observatory.schema import BY_NAME, COLUMNS, REQUIRED, Column, Kind, canonical_name

_FULL_WIDTH = [chr(0xFF10 + d) for d in range(10)] + [
    "．",
    "－",
    "＋",
    "−",
    "，",
    ",",
    " ",
    "\u3000",
    "'",
]
_HALF_WIDTH = [str(d) for d in range(10)] + [".", "-", "+", "-", "", "", "", "", ""]
_TRUE = ["是", "y", "yes", "1", "true", "t", "√", "✓", "有"]
_FALSE = ["否", "n", "no", "0", "false", "f", "×", "无"]


@dataclass(frozen=True)
class Register:
    """A valid register: one row per enterprise and year, canonical typed columns.

    ``frame`` has every canonical column (absent ones as nulls, so that later stages need no
    special cases), the user's extra columns under their own headers, and ``_row``.
    ``present`` names the canonical columns the file actually had.
    """

    source: str
    sheet: str | None
    frame: pl.DataFrame
    present: frozenset[str]
    rejects: pl.DataFrame | None = field(default=None)

    @property
    def rejected(self) -> int:
        return 0 if self.rejects is None else self.rejects.height

    def years(self) -> list[int]:
        return sorted(int(y) for y in self.frame["year"].unique().drop_nulls())


def load_register(path: Path, *, sheet: str | None = None, skip_invalid: bool = False) -> Register:
    """Read, type and check a register file (xlsx, xls, csv or parquet)."""
    if path.suffix.lower() in (".parquet", ".pq") and path.exists() and path.stat().st_size:
        return validate(read_typed_parquet(path), skip_invalid=skip_invalid)
    return validate(read_table(path, sheet=sheet), skip_invalid=skip_invalid)


def read_typed_parquet(path: Path) -> RawTable:
    """A Parquet register as a :class:`RawTable` whose columns keep the file's types (text,
    numbers, flags, categorical text); headers are checked as for every other format."""
    try:
        frame = pl.read_parquet(path)
    except Exception as e:  # polars raises several error types for corrupt files
        raise FileProblem(path, "file_unreadable", detail=str(e)) from None
    headers = reading._headers(path, frame.columns)
    if reading._header_score(headers) < 2:
        required = "、".join(BY_NAME[n].aliases[0] for n in REQUIRED)
        raise FileProblem(path, "no_header", rows=1, required=required)
    frame = frame.rename({c: RawTable.column(i) for i, c in enumerate(frame.columns)}).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW)
    )
    reading._no_rows(path, frame)
    return RawTable(path, None, headers, frame)


_NUMERIC_KINDS = (Kind.YEAR, Kind.AMOUNT, Kind.SIGNED_AMOUNT, Kind.COUNT)


def _source(column: Column, src: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr | None]:
    """The cell expression a column's checks read, and for a number kind stored as numbers
    the parsed value itself (None: parse the text)."""
    if dtype.is_numeric() and column.kind in _NUMERIC_KINDS:
        return pl.col(src), pl.col(src).cast(pl.Float64)
    if dtype == pl.String():
        return pl.col(src), None
    if dtype == pl.Boolean() and column.kind is Kind.FLAG:
        return pl.col(src), None
    return _as_text(pl.col(src), dtype), None


def _as_text(cells: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Typed cells as the user would read them: a whole float without ".0" (as
    :mod:`jiqun.observatory.reading` writes numbers of a spreadsheet)."""
    if dtype.is_float():
        whole = cells.is_finite() & (cells == cells.floor())  # polars: NaN == NaN
        integer = cells.cast(pl.Int64, strict=False).cast(pl.String)
        return pl.when(whole).then(integer).otherwise(cells.cast(pl.String))
    return cells.cast(pl.String)


def _cell_texts(cells: pl.Series) -> list[str | None]:
    """The user's cells of a few (bad) rows, as text for the messages."""
    return pl.select(_as_text(pl.lit(cells), cells.dtype)).to_series().to_list()


def _text(cells: pl.Expr) -> pl.Expr:
    """Cell text without surrounding blanks; an empty cell is null."""
    stripped = cells.str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped)


def _half_width(text: pl.Expr, digits_only: bool = False) -> pl.Expr:
    n = 10 if digits_only else len(_FULL_WIDTH)
    return text.str.replace_many(_FULL_WIDTH[:n], _HALF_WIDTH[:n])


@dataclass(frozen=True)
class _Check:
    """A failing-cell mask for one column and the reason it reports."""

    index: int
    bad: pl.Expr
    reason: str


@dataclass(frozen=True)
class _Plan:
    """How one column is typed and checked, in two steps.

    ``prepare`` computes the column's cleaned text (``_t``) and parsed value (``_v``) once, as
    materialised columns; ``typed`` and every check then read those instead of parsing the
    raw text again for each check (which polars would do: it does not share such work).
    """

    prepare: list[pl.Expr]
    typed: pl.Expr
    checks: list[_Check]


def _column_plan(column: Column, src: str, index: int, dtype: pl.DataType | None = None) -> _Plan:
    """The typed expression for one column and the checks on its cells (text cells unless
    ``dtype`` says the file stored them typed)."""
    t, v = f"_t{index}", f"_v{index}"
    text, value = pl.col(t), pl.col(v)
    present = text.is_not_null()
    cells, number = _source(column, src, dtype or pl.String())
    typed_flags = dtype == pl.Boolean() and column.kind is Kind.FLAG
    raw = number is not None or typed_flags  # stored typed: a cell is there when not null
    prepare = [(cells if raw else _text(cells)).alias(t)]
    checks: list[_Check] = []
    if column.required:
        checks.append(_Check(index, ~present, "required"))

    def plan(parsed: pl.Expr, typed: pl.Expr, *more: tuple[pl.Expr, str]) -> _Plan:
        checks.extend(_Check(index, bad, reason) for bad, reason in more)
        return _Plan([*prepare, parsed.alias(v)], typed, checks)

    kind = column.kind
    if kind is Kind.TEXT or typed_flags:
        return _Plan(prepare, text, checks)
    if kind is Kind.YEAR:
        parsed = (
            number
            if number is not None
            else _half_width(_text(cells).str.strip_suffix("年")).cast(pl.Float64, strict=False)
        )
        ok = value.is_not_null() & (value == value.floor()) & value.is_between(1900, 2200)
        return plan(parsed, value.cast(pl.Int64, strict=False), (present & ~ok, "bad_year"))
    if kind in (Kind.AMOUNT, Kind.SIGNED_AMOUNT, Kind.COUNT):
        parsed = (
            number
            if number is not None
            else _half_width(_text(cells)).cast(pl.Float64, strict=False)
        )
        numeric = value.is_not_null() & value.is_finite()
        more = [(present & ~numeric, "not_a_number")]
        if kind is not Kind.SIGNED_AMOUNT:
            more.append((numeric & (value < 0), "negative"))
        if kind is Kind.COUNT:
            more.append((numeric & (value >= 0) & (value != value.floor()), "not_an_integer"))
            return plan(parsed, value.cast(pl.Int64, strict=False), *more)
        return plan(parsed, value, *more)
    if kind is Kind.FLAG:
        is_true, is_false = value.is_in(_TRUE), value.is_in(_FALSE)
        typed = pl.when(is_true).then(True).when(is_false).then(False)
        return plan(
            _text(cells).str.to_lowercase(), typed, (present & ~is_true & ~is_false, "bad_flag")
        )
    if kind is Kind.INDUSTRY_CODE:
        parsed = _half_width(_text(cells), digits_only=True).str.replace(r"^[A-Ta-t]", "")
        bad = present & ~value.str.contains(r"^\d{2,4}$")
        return plan(parsed, value, (bad, "bad_industry_code"))
    if kind is Kind.CREDIT_CODE:
        parsed = _half_width(_text(cells).str.to_uppercase(), digits_only=True)
        length_ok = value.str.len_chars() == 18
        charset_ok = value.str.contains(f"^[{credit_code.ALPHABET}]+$")
        wrong_check = _check_char(value) != value.str.slice(17, 1)
        return plan(
            parsed,
            value,
            (present & ~length_ok, "credit_code_length"),
            (present & length_ok & ~charset_ok, "credit_code_charset"),
            (present & length_ok & charset_ok & wrong_check, "credit_code_check"),
        )
    raise AssertionError(kind)


def _check_char(code: pl.Expr) -> pl.Expr:
    """GB 32100-2015 check character of each code, vectorised (see :mod:`credit_code`)."""
    values = {ch: i for i, ch in enumerate(credit_code.ALPHABET)}
    total = pl.sum_horizontal(
        code.str.slice(i, 1).replace_strict(values, default=0, return_dtype=pl.Int64) * w
        for i, w in enumerate(credit_code.WEIGHTS)
    )
    index = (31 - total % 31) % 31
    return index.replace_strict(dict(enumerate(credit_code.ALPHABET)), return_dtype=pl.String)


def validate(table: RawTable, *, skip_invalid: bool = False) -> Register:
    """Type every column and check every cell; raise InvalidRows or split off rejects."""
    canonical = {i: canonical_name(h) for i, h in enumerate(table.headers) if h}
    found = {name: i for i, name in canonical.items() if name is not None}
    missing = [BY_NAME[n].aliases[0] for n in REQUIRED if n not in found]
    if missing:
        raise FileProblem(table.path, "missing_columns", columns="、".join(missing))

    frame = table.frame
    plans: list[_Plan] = []
    spread: list[pl.Series] = []
    for column in COLUMNS:
        if column.name not in found:
            continue
        index = found[column.name]
        src = RawTable.column(index)
        dtype = frame.schema[src]
        if isinstance(dtype, pl.Categorical | pl.Enum):
            plan, columns = _per_value(frame[src], _column_plan(column, src, index), index)
            plans.append(plan)
            spread.extend(columns)
        else:
            plans.append(_column_plan(column, src, index, dtype))
    checks = [check for p in plans for check in p.checks]
    extra = [
        pl.col(RawTable.column(i)).alias(header or f"列{i + 1}")
        for i, header in enumerate(table.headers)
        if canonical.get(i) is None
    ]
    prepared = frame.with_columns(*spread, *[e for p in plans for e in p.prepare])
    masks = prepared.select(
        pl.col(ROW), *[c.bad.fill_null(False).alias(f"bad{k}") for k, c in enumerate(checks)]
    )
    names = [c.name for c in COLUMNS if c.name in found]
    typed = [p.typed.alias(name) for p, name in zip(plans, names, strict=True)]
    typed_frame = prepared.select(pl.col(ROW), *typed, *extra)
    del prepared
    dup_masks = _duplicates(typed_frame, found)

    problems = _problems(table, frame, masks, checks, dup_masks)
    rejects = None
    if problems:
        if not skip_invalid:
            raise InvalidRows(problems)
        bad_rows = pl.Series(ROW, [p.row for p in problems], dtype=pl.Int64)
        reasons = pl.DataFrame({ROW: bad_rows, "问题": [_reason_text(p) for p in problems]})
        raw = frame.rename(
            {RawTable.column(i): h or f"列{i + 1}" for i, h in enumerate(table.headers)}
        )
        joined = raw.join(reasons, on=ROW, how="inner").rename({ROW: "行号"})
        rejects = joined.select("行号", pl.exclude("行号", "问题"), "问题")
        typed_frame = typed_frame.filter(~pl.col(ROW).is_in(bad_rows.implode()))
    for column in COLUMNS:
        if column.name not in found:
            typed_frame = typed_frame.with_columns(
                pl.lit(None, _dtype(column.kind)).alias(column.name)
            )
    return Register(str(table.path), table.sheet, typed_frame, frozenset(found), rejects)


def _per_value(cells: pl.Series, plan: _Plan, index: int) -> tuple[_Plan, list[pl.Series]]:
    """A categorical column's plan evaluated once per distinct value (a few thousand towns
    or industry codes instead of millions of cells), its results spread to the rows by a
    join on the category codes. Returns the plan reading those columns, and the columns."""
    values = cells.unique()
    small = pl.DataFrame({cells.name: values.cast(pl.String)})
    names = [f"_c{index}_typed", *[f"_c{index}_bad{k}" for k in range(len(plan.checks))]]
    results = small.with_columns(plan.prepare).select(
        plan.typed.alias(names[0]),
        *[c.bad.fill_null(False).alias(n) for c, n in zip(plan.checks, names[1:], strict=True)],
    )
    codes = values.to_physical()
    known = codes.is_not_null()
    positions = pl.Series(range(values.len()), dtype=pl.UInt32)
    # Row → position of its value, by an array indexed by category code (numpy: twice as fast
    # as a hash lookup per row); the last slot is the null value's (empty cells).
    known_codes = codes.filter(known).to_numpy().astype(np.int64)
    lookup = np.zeros(int(known_codes.max(initial=-1)) + 2, dtype=np.uint32)
    lookup[known_codes] = positions.filter(known).to_numpy()
    if not known.all():
        lookup[-1] = positions.filter(~known)[0]
    physical = cells.to_physical().fill_null(len(lookup) - 1).to_numpy()
    at = pl.Series(lookup[physical])
    spread = [results[n].gather(at) for n in names]
    checks = [
        _Check(c.index, pl.col(n), c.reason) for c, n in zip(plan.checks, names[1:], strict=True)
    ]
    return _Plan([], pl.col(names[0]), checks), spread


def _reason_text(problem: RowProblem) -> str:
    return "；".join(c.message() for c in problem.cells)


def _dtype(kind: Kind) -> pl.DataType:
    if kind in (Kind.YEAR, Kind.COUNT):
        return pl.Int64()
    if kind in (Kind.AMOUNT, Kind.SIGNED_AMOUNT):
        return pl.Float64()
    if kind is Kind.FLAG:
        return pl.Boolean()
    return pl.String()


def _duplicates(typed: pl.DataFrame, found: dict[str, int]) -> list[tuple[str, pl.DataFrame, int]]:
    """Rows repeating an earlier row's (year, credit_code) or (year, name, town)."""
    out: list[tuple[str, pl.DataFrame, int]] = []
    keysets = [
        ("duplicate_code", ["year", "credit_code"]),
        ("duplicate_name", ["year", "name", "town"]),
    ]
    for reason, keys in keysets:
        if not all(k in found for k in keys):
            continue
        key_ok = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
        first = pl.col(ROW).min().over(keys)
        # Rows sharing a 64-bit hash of their keys first (cheap), the exact check on those.
        # The repeated hashes are found by sorting the hashes (a radix sort of integers): an
        # ``is_duplicated`` hash table of tens of millions of entries is ten times slower.
        hashes = typed.select(pl.struct(keys).hash().alias("h"))["h"].sort()
        repeated = hashes.filter(hashes == hashes.shift(1)).unique()
        if repeated.len() == 0:
            continue
        same_hash = pl.struct(keys).hash().is_in(repeated.implode())
        dups = (
            typed.filter(key_ok & same_hash)
            .filter(pl.len().over(keys) > 1)
            .select(pl.col(ROW), first.alias("other"))
            .filter(pl.col(ROW) != pl.col("other"))
        )
        if dups.height:
            column_index = found["credit_code" if reason == "duplicate_code" else "name"]
            out.append((reason, dups, column_index))
    return out


def _problems(
    table: RawTable,
    frame: pl.DataFrame,
    masks: pl.DataFrame,
    checks: list[_Check],
    dups: list[tuple[str, pl.DataFrame, int]],
) -> list[RowProblem]:
    by_row: dict[int, list[CellProblem]] = {}
    any_bad = masks.select(pl.any_horizontal(pl.exclude(ROW))).to_series() if checks else None
    if any_bad is not None and any_bad.any():
        bad_frame = frame.filter(any_bad)
        bad_masks = masks.filter(any_bad)
        for k, check in enumerate(checks):
            hit = bad_masks[f"bad{k}"]
            if not hit.any():
                continue
            rows = bad_masks.filter(hit)[ROW].to_list()
            values = _cell_texts(bad_frame.filter(hit)[RawTable.column(check.index)])
            header = table.headers[check.index]
            for row, value in zip(rows, values, strict=True):
                by_row.setdefault(row, []).append(CellProblem(header, value or "", check.reason))
    cells_by_row = dict(zip(frame[ROW].to_list(), range(frame.height), strict=True)) if dups else {}
    for reason, dup, index in dups:
        header = table.headers[index]
        column = frame[RawTable.column(index)]
        for row, other in dup.iter_rows():
            value = _cell_texts(column.slice(cells_by_row[row], 1))[0] or ""
            by_row.setdefault(row, []).append(
                CellProblem(header, value, reason, (("other", other),))
            )
    return [
        RowProblem(str(table.path), table.sheet, row, tuple(cells))
        for row, cells in sorted(by_row.items())
    ]
