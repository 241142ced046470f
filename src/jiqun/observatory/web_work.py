"""The observatory's work behind the web pages: load the uploaded files, compute the survey,
draw it and write the report — the same calls, in the same order, as
``jiqun observatory report`` (:func:`jiqun.cli.report_command`), so that the page and the
downloads show exactly what the command writes.

Everything here is synchronous and CPU-bound (Polars, matplotlib, fpdf2, python-docx): the web
handlers run it on :data:`jiqun.observatory.web_store.WORKER`, never on the event loop.
"""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jiqun.i18n import Lang, t
from jiqun.observatory import charts, documents, report
from jiqun.observatory.clusters import load_definitions
from jiqun.observatory.errors import InvalidRows, UserError
from jiqun.observatory.placements import TownTable, load_ledger, town_table
from jiqun.observatory.plan import PlanProgress, TableRows, load_plan, load_targets, progress
from jiqun.observatory.register import load_register
from jiqun.observatory.stats import SurveyStats, compute
from jiqun.observatory.towns import TownDiagnosis, diagnose

# Report downloads: format → (suffix, content type).
FORMATS: dict[str, tuple[str, str]] = {
    "html": (".html", "text/html"),
    "pdf": (".pdf", "application/pdf"),
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


SKIP_ON_THE_PAGE = (
    "登记表有{count}行无效数据，未做任何计算。可勾选“跳过错误行”后重新上传（错误行可下载）",
    "the register has {count} invalid rows; nothing was computed. Tick 'Skip bad rows' and "
    "upload again to skip them (they can be downloaded)",
)


# The command-line options the loaders' messages name, as the upload form names them.
OPTIONS_ON_THE_PAGE: tuple[dict[str, str], dict[str, str]] = (
    {" --sheet ": "“工作表”一栏", " --clusters ": "“集群定义”文件"},
    {" --sheet": " the Worksheet field", " --clusters": " the Cluster definitions file"},
)


@dataclass(frozen=True)
class Inputs:
    """Files saved from one upload (each under the name the user gave it) and the options."""

    register: Path
    clusters: Path | None = None
    plan: Path | None = None
    targets: Path | None = None
    target_year: int | None = None
    ledger: Path | None = None
    year: int | None = None
    city: str | None = None
    sheet: str | None = None
    skip_invalid: bool = False


@dataclass
class Analysis:
    """One loaded register and everything computed from it; drawn documents and written
    reports are kept per language and format once made (:meth:`document`, :meth:`report`)."""

    stats: SurveyStats
    towns: TownDiagnosis
    plan: PlanProgress | None
    placements: TownTable | None
    source: str
    city: str | None
    rejected: int = 0
    rejects_csv: str | None = None
    _documents: dict[str, tuple[report.Survey, documents.Document, bool]] = field(
        default_factory=dict, repr=False
    )
    _reports: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def document(self, lang: Lang) -> tuple[report.Survey, documents.Document, bool]:
        """The survey in ``lang`` with its charts (False as third item when no Chinese font
        is installed: then without charts, as :func:`report.write` writes HTML)."""
        with self._lock:
            found = self._documents.get(lang)
            if found is None:
                drawn = charts.find_cjk_font() is not None
                survey, doc = report.document(
                    self.stats,
                    self.city,
                    self.source,
                    lang,
                    towns=self.towns,
                    plan=self.plan,
                    placements=self.placements,
                    charts=drawn,
                )
                found = self._documents[lang] = (survey, doc, drawn)
            return found

    def report(self, fmt: str, lang: Lang) -> bytes:
        """The report as the bytes of an ``.html``, ``.pdf``, ``.docx`` or ``.xlsx`` file;
        :class:`charts.NoCjkFont` for PDF and DOCX without a Chinese font."""
        cached = self._reports.get((fmt, lang))
        if cached is not None:
            return cached
        survey, doc, drawn = self.document(lang)
        if fmt == "html":
            data = report.html(survey, lang, doc).encode("utf-8")
        else:
            if fmt in ("pdf", "docx") and not drawn:
                raise charts.NoCjkFont()
            suffix = FORMATS[fmt][0]
            with tempfile.TemporaryDirectory(prefix="jiqun-report-") as folder:
                path = Path(folder) / f"report{suffix}"
                {
                    "pdf": documents.write_pdf,
                    "docx": documents.write_docx,
                    "xlsx": documents.write_xlsx,
                }[fmt](doc, path)
                data = path.read_bytes()
        with self._lock:
            self._reports[(fmt, lang)] = data
        return data

    @property
    def size(self) -> int:
        """Bytes held by the written reports (the store's budget counts them)."""
        return sum(len(b) for b in self._reports.values())


def analyse(inputs: Inputs) -> Analysis:
    """Load and compute as ``jiqun observatory report`` does. Raises the loaders'
    :class:`UserError` (file, row, column, value, reason) on bad input."""
    loaded = load_register(inputs.register, sheet=inputs.sheet, skip_invalid=inputs.skip_invalid)
    definitions = load_definitions(inputs.clusters) if inputs.clusters else None
    stats = compute(loaded, inputs.year, definitions)
    towns = diagnose(loaded, year=stats.year, definitions=definitions)
    plan = None
    if inputs.plan is not None and inputs.targets is not None and inputs.target_year is not None:
        plan = progress(
            loaded,
            load_plan(inputs.plan),
            load_targets(inputs.targets),
            inputs.target_year,
            stats.year,
        )
    placements = None
    if inputs.ledger is not None:
        placements = town_table(load_ledger(inputs.ledger), stats.year)
    rejects = None
    if loaded.rejects is not None and loaded.rejected:
        rejects = loaded.rejects.write_csv()
    return Analysis(
        stats,
        towns,
        plan,
        placements,
        inputs.register.name,
        inputs.city,
        loaded.rejected,
        rejects,
    )


def error_lines(error: UserError, lang: Lang, folder: Path) -> list[str]:
    """The error's lines in ``lang`` with the upload folder (``folder/<field>/<file>``) taken
    out of the file names, so that they name the user's own file ("名录.xlsx，第12行：…")."""
    inside = re.compile(re.escape(str(folder)) + r"[/\\][^/\\]+[/\\]")
    lines = [inside.sub("", line) for line in error.lines(lang)]
    if isinstance(error, InvalidRows):  # the summary names a command-line option: the page's
        count = len(error.problems)
        if isinstance(error, TableRows):
            lines[-1] = t("file_invalid_summary", lang, count=count)
        else:
            zh, en = SKIP_ON_THE_PAGE
            lines[-1] = (zh if lang == "zh" else en).format(count=count)
    words = OPTIONS_ON_THE_PAGE[0 if lang == "zh" else 1]
    for option, label in words.items():
        lines = [line.replace(option, label) for line in lines]
    return lines
