"""Errors a user can cause, with the file, sheet, row, column, value and reason they concern."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jiqun.i18n import Lang, current_lang, t


@dataclass(frozen=True)
class CellProblem:
    """One bad cell: the column as the user's header names it, the value, a message key."""

    column: str
    value: str
    reason: str
    fields: tuple[tuple[str, object], ...] = ()

    def message(self, lang: Lang | None = None) -> str:
        reason = t(self.reason, lang, **dict(self.fields))
        return t("cell", lang, column=self.column, value=self.value, reason=reason)


@dataclass(frozen=True)
class RowProblem:
    """Everything wrong with one row of a register, as the user's spreadsheet numbers the row."""

    file: str
    sheet: str | None
    row: int
    cells: tuple[CellProblem, ...]

    def message(self, lang: Lang | None = None) -> str:
        lang = lang or current_lang()
        sheet = t("where_sheet", lang, sheet=self.sheet) if self.sheet else ""
        where = t("where", lang, file=self.file, sheet=sheet, row=self.row)
        colon, sep = ("：", "；") if lang == "zh" else (": ", "; ")
        return where + colon + sep.join(c.message(lang) for c in self.cells)


class UserError(Exception):
    """A mistake in the user's input: reported as clear lines, never as a traceback."""

    def lines(self, lang: Lang | None = None) -> list[str]:
        return [str(self)]


class FileProblem(UserError):
    """A problem with a whole file (encoding, header, sheets …)."""

    def __init__(self, path: Path | str, key: str, **fields: object) -> None:
        self.path = str(path)
        self.key = key
        self.fields = fields
        super().__init__(self.lines()[0])

    def lines(self, lang: Lang | None = None) -> list[str]:
        sep = "：" if (lang or current_lang()) == "zh" else ": "
        return [f"{self.path}{sep}{t(self.key, lang, **self.fields)}"]


class InvalidRows(UserError):
    """The register has bad rows; each is listed, then a summary."""

    LIMIT = 200

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self, lang: Lang | None = None) -> list[str]:
        shown = [p.message(lang) for p in self.problems[: self.LIMIT]]
        if len(self.problems) > self.LIMIT:
            shown.append(t("more_problems", lang, count=len(self.problems) - self.LIMIT))
        shown.append(t("invalid_summary", lang, count=len(self.problems)))
        return shown
