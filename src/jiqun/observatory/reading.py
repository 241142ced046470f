"""Reading a register file into a table of text cells, with the user's row numbers.

Every format ends as a :class:`RawTable`: the header as the user wrote it and one text column
per header cell, plus ``_row``, the row number the user's spreadsheet shows (Excel's row
number; the line number of a CSV file; the record number of a Parquet file). Typing and
checking the cells is :mod:`jiqun.observatory.register`'s job.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import python_calamine as calamine

from jiqun.i18n import t
from jiqun.observatory.errors import CellProblem, FileProblem, InvalidRows, RowProblem
from jiqun.observatory.schema import BY_NAME, REQUIRED, canonical_name

ROW = "_row"
HEADER_SEARCH_ROWS = 20
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


@dataclass(frozen=True)
class RawTable:
    """A register as text: ``headers[i]`` names column ``c{i}`` of ``frame``."""

    path: Path
    sheet: str | None
    headers: tuple[str, ...]
    frame: pl.DataFrame

    @staticmethod
    def column(i: int) -> str:
        return f"c{i}"


def read_table(path: Path, sheet: str | None = None) -> RawTable:
    """Read ``path`` (xlsx, xls, csv or parquet) as text cells; FileProblem when unreadable."""
    if not path.exists():
        raise FileProblem(path, "file_missing")
    if path.stat().st_size == 0:
        raise FileProblem(path, "file_empty")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    raise FileProblem(path, "file_format", suffix=suffix or path.name)


# ---------------------------------------------------------------- header detection


def _header_score(cells: Sequence[str | None]) -> int:
    return len({canonical_name(c) for c in cells if c} - {None})


def find_header(
    path: Path, rows: Sequence[Sequence[str | None]], guess_encoding: bool = False
) -> int:
    """Index of the header row among the first rows: the one naming the most register columns."""
    best, best_score = -1, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = _header_score(row)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        if not any(any(c for c in row) for row in rows):
            raise FileProblem(path, "file_empty")
        first = next(row for row in rows if any(c for c in row))
        if guess_encoding and not any(canonical_name(c) for c in first if c):
            raise FileProblem(
                path, "encoding_garbled", headers="、".join(c for c in first if c)[:80]
            )
        required = "、".join(BY_NAME[n].aliases[0] for n in REQUIRED)
        raise FileProblem(path, "no_header", rows=HEADER_SEARCH_ROWS, required=required)
    return best


def check_two_row_header(path: Path, rows: Sequence[Sequence[str | None]], h: int) -> None:
    """A header whose blank cells have a label just above or below it spans two rows."""
    header = rows[h]
    for other in (h - 1, h + 1):
        if not 0 <= other < len(rows):
            continue
        neighbour = rows[other]
        blanks_filled = any(
            not header[j] and j < len(neighbour) and neighbour[j] and not _is_number(neighbour[j])
            for j in range(len(header))
        )
        if blanks_filled and (other < h or _header_score(neighbour) > 0):
            first, second = sorted((h, other))
            raise FileProblem(path, "two_row_header", first=first + 1, second=second + 1)


def _is_number(text: str | None) -> bool:
    try:
        float((text or "").replace(",", ""))
    except ValueError:
        return False
    return True


def _headers(path: Path, row: Sequence[str | None]) -> tuple[str, ...]:
    headers = [(c or "").strip() for c in row]
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, str] = {}
    for h in headers:
        canonical = canonical_name(h) if h else None
        if canonical is None:
            continue
        if canonical in seen:
            raise FileProblem(
                path,
                "duplicate_column",
                first=seen[canonical],
                second=h,
                canonical=BY_NAME[canonical].aliases[0],
            )
        seen[canonical] = h
    return tuple(headers)


def _no_rows(path: Path, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        raise FileProblem(path, "no_rows")


# ---------------------------------------------------------------- CSV


def _decode(path: Path, data: bytes) -> tuple[str | None, bytes]:
    """(encoding, UTF-8 bytes): UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (⊃ GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16").encode("utf-8")
    try:
        data.decode("utf-8")
        return "utf-8", data
    except UnicodeDecodeError as e:
        utf8_error = e.start
    try:
        return "gb18030", data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        line = data[:utf8_error].count(b"\n") + 1
        raise FileProblem(path, "encoding", line=line) from None


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _read_csv(path: Path) -> RawTable:
    encoding, data = _decode(path, path.read_bytes())
    head_text = data[: 1 << 16].decode("utf-8", errors="replace")
    head_lines = head_text.splitlines()[: HEADER_SEARCH_ROWS + 2]
    delimiter = _sniff_delimiter(max(head_lines, key=len) if head_lines else "")
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
    head_rows: list[list[str | None]] = [
        list(r) for _, r in zip(range(HEADER_SEARCH_ROWS + 2), reader, strict=False)
    ]
    h = find_header(path, head_rows, guess_encoding=encoding == "gb18030")
    check_two_row_header(path, head_rows, h)
    headers = _headers(path, head_rows[h])
    frame = _csv_fast(data, delimiter, h, len(head_rows[h]))
    if frame is None:
        frame = _csv_exact(path, data, delimiter, h, len(head_rows[h]))
    frame = _drop_blank_rows(frame, len(headers))
    _no_rows(path, frame)
    names = [RawTable.column(i) for i in range(len(headers))]
    return RawTable(path, None, headers, frame.select([*names, ROW]))


def _csv_fast(data: bytes, delimiter: str, h: int, width: int) -> pl.DataFrame | None:
    """Arrow's CSV reader; None when any row is irregular (then the exact reader takes over)."""
    irregular = False

    def on_invalid(_row: object) -> str:
        nonlocal irregular
        irregular = True
        return "skip"

    names = [RawTable.column(i) for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=h + 1, column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if irregular:
        return None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.with_row_index(ROW, offset=h + 2).with_columns(pl.col(ROW).cast(pl.Int64))


def _csv_exact(path: Path, data: bytes, delimiter: str, h: int, width: int) -> pl.DataFrame:
    """Python's csv module: quoted line breaks, ragged rows and blank lines.

    Rows are numbered by record, as a spreadsheet shows the file: a quoted line break stays
    inside its cell, and a blank line is an empty row.
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    rows: list[int] = []
    problems: list[RowProblem] = []
    for i, record in enumerate(reader):
        if i <= h:
            continue
        line = i + 1
        if len(record) > width and any(c.strip() for c in record[width:]):
            problems.append(
                RowProblem(
                    str(path),
                    None,
                    line,
                    (
                        CellProblem(
                            "",
                            delimiter.join(record)[:60],
                            "ragged_row",
                            (("found", len(record)), ("expected", width)),
                        ),
                    ),
                ),
            )
            continue
        for j in range(width):
            columns[j].append(record[j] if j < len(record) and record[j] != "" else None)
        rows.append(line)
    if problems:
        raise InvalidRows(problems)
    frame = pl.DataFrame(
        {RawTable.column(j): pl.Series(columns[j], dtype=pl.String) for j in range(width)}
    )
    return frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))


def _drop_blank_rows(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """Rows whose every cell is empty are spacing, not data (a row with any value is kept)."""
    cells = [pl.col(RawTable.column(i)) for i in range(min(width, frame.width - 1))]
    if not cells:
        return frame
    blank = pl.all_horizontal([c.is_null() | (c.str.strip_chars() == "") for c in cells])
    return frame.filter(~blank)


# ---------------------------------------------------------------- Excel


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _read_excel(path: Path, sheet: str | None) -> RawTable:
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises its own error types for corrupt files
        raise FileProblem(path, "file_unreadable", detail=str(e)) from None
    names: list[str] = list(workbook.sheet_names)
    if sheet is not None and sheet not in names:
        raise FileProblem(path, "no_sheet", sheet=sheet, sheets="、".join(names))
    try:
        # Loading a sheet reads all of it: each is loaded once and handed on.
        loaded = [(n, workbook.get_sheet_by_name(n)) for n in names if sheet in (None, n)]
    except Exception as e:  # calamine's own error types, for a damaged sheet
        raise FileProblem(path, "file_unreadable", detail=str(e)) from None
    with_data = [(n, s) for n, s in loaded if s.height > 0]
    if not with_data:
        raise FileProblem(path, "file_empty")
    if len(with_data) > 1:
        raise FileProblem(path, "several_sheets", sheets="、".join(n for n, _ in with_data))
    return _read_sheet(path, *with_data[0])


def _read_sheet(path: Path, name: str, sheet: calamine.CalamineSheet) -> RawTable:
    cells: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    probe = [[_cell_text(v) for v in row] for row in cells[: HEADER_SEARCH_ROWS + 2]]
    h = find_header(path, probe)
    _check_merged_header(path, sheet, h)
    check_two_row_header(path, probe, h)
    headers = _headers(path, probe[h])
    width = len(headers)
    body = cells[h + 1 :]
    columns = {
        RawTable.column(j): pl.Series(
            [_cell_text(row[j]) if j < len(row) else None for row in body], dtype=pl.String
        )
        for j in range(width)
    }
    rows = pl.Series(ROW, range(h + 2, h + 2 + len(body)), dtype=pl.Int64)
    frame = pl.DataFrame(columns).with_columns(rows)
    _check_ragged_excel(path, name, body, width, h)
    frame = _drop_blank_rows(frame, width)
    _no_rows(path, frame)
    return RawTable(path, name, headers, frame)


def _check_merged_header(path: Path, sheet: calamine.CalamineSheet, h: int) -> None:
    merged: Iterable[tuple[tuple[int, int], tuple[int, int]]] = sheet.merged_cell_ranges or []
    # A title merged across the top is fine; a merge that takes in the header row is not.
    touching = [(start, end) for start, end in merged if start[0] <= h <= end[0]]
    if touching:
        cells = "、".join(f"{_a1(*s)}:{_a1(*e)}" for s, e in touching)
        raise FileProblem(path, "merged_header", cells=cells)


def _a1(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _check_ragged_excel(
    path: Path, sheet: str, body: list[list[object]], width: int, h: int
) -> None:
    """Values to the right of the header's last column would be lost: they are an error."""
    problems = []
    for i, row in enumerate(body):
        extra = [v for v in row[width:] if _cell_text(v) is not None]
        if extra:
            problems.append(
                RowProblem(
                    str(path),
                    sheet,
                    h + 2 + i,
                    (
                        CellProblem(
                            "",
                            str(extra[0])[:60],
                            "ragged_row",
                            (("found", width + len(row[width:])), ("expected", width)),
                        ),
                    ),
                )
            )
    if problems:
        raise InvalidRows(problems)


# ---------------------------------------------------------------- Parquet


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as e:  # polars raises several error types for corrupt files
        raise FileProblem(path, "file_unreadable", detail=str(e)) from None
    headers = _headers(path, frame.columns)
    if _header_score(headers) < 2:
        required = "、".join(BY_NAME[n].aliases[0] for n in REQUIRED)
        raise FileProblem(path, "no_header", rows=1, required=required)
    frame = (
        frame.select(
            [_as_text(frame[c]).alias(RawTable.column(i)) for i, c in enumerate(frame.columns)]
        )
        .with_row_index(ROW, offset=1)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )
    _no_rows(path, frame)
    return RawTable(path, None, headers, frame)


def _as_text(series: pl.Series) -> pl.Series:
    if series.dtype.is_float():
        whole = series == series.floor()
        return pl.select(
            pl.when(whole)
            .then(series.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(series.cast(pl.String))
        ).to_series()
    return series.cast(pl.String)


__all__ = ["ROW", "RawTable", "find_header", "read_table", "t"]
