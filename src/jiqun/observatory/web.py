"""The observatory section of ``jiqun serve`` (PRODUCT.md O8): upload a register, see the
survey's figures and charts, download the report as HTML, PDF, DOCX or XLSX.

Pages are Chinese by default, English with ``?lang=en``.

Who may use it:

- everyone, without logging in, sees the demo (``/observatory/r/demo``: the Zhucheng demo
  register with the seed's plan and the demo placement ledger) and downloads its report;
- uploading needs a staff log-in (:data:`UPLOADERS`: the bureau's people get staff accounts).
  Market members (buyers, suppliers) cannot upload: loading and drawing take seconds of CPU on
  the market's server. Like every form of the app, the upload carries the session's CSRF token
  (the app's middleware checks it); an upload is seen only by the user who made it.

Uploads: the app reads request bodies up to 64 KiB (``client_max_size``, for the JSON API), too
little for a register. The page therefore sends the form with the token in the
``X-CSRF-Token`` header, so that the middleware leaves the body alone, and this module reads
the multipart stream itself, part by part, to disk, stopping at
``JIQUN_OBSERVATORY_UPLOAD_MB`` megabytes (default 32) — only this route gets the larger
limit. (Without JavaScript the browser sends the token as a form field; the middleware then
reads the form under the app's 64 KiB limit, which is enough for a small register only.)
The files go to a temporary folder that is deleted as soon as they are loaded; what is kept is
the computed survey, in memory, for a limited time (:mod:`web_store`). Nothing is written to
the market's database.

Loading, computing, drawing the charts and writing PDF or DOCX are CPU work of seconds: they
run on the observatory's worker thread (``run_in_executor``, :func:`web_store.off_loop`), never
on the event loop, so the clock's live traffic is not delayed. A user's mistake (a bad file, a
bad row) is shown on the page as the command line shows it — file, row, column, value, reason.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web

from jiqun.i18n import Lang
from jiqun.market.service.app import Handler, lang_of, page, session_of
from jiqun.market.service.users import STAFF_ROLES
from jiqun.observatory import demo_register, web_demo
from jiqun.observatory.errors import UserError
from jiqun.observatory.web_store import off_loop, store_of
from jiqun.observatory.web_work import FORMATS, Analysis, Inputs, analyse, error_lines

log = logging.getLogger(__name__)

UPLOADERS: tuple[str, ...] = STAFF_ROLES
FILE_FIELDS = ("register", "clusters", "plan", "targets", "ledger")
TEXT_FIELDS = ("csrf", "year", "city", "sheet", "target_year", "skip_invalid")
MAX_TEXT = 200  # characters of a text field
CHUNK = 256 * 1024
DEMO = "demo"

WORDS: dict[str, tuple[str, str]] = {
    "observatory": ("集群监测", "Cluster observatory"),
    "intro": (
        "上传企业名录（.xlsx、.xls、.csv 或 .parquet），查看产业集群统计、乡镇（街道）产业布局、"
        "规划目标进展和新增企业考核，下载调研报告。",
        "Upload an enterprise register (.xlsx, .xls, .csv or .parquet) to see the cluster "
        "figures, the towns' industries, the plan's progress and the placements, and download "
        "the survey report.",
    ),
    "demo": ("查看演示（诸城市）", "See the demo (Zhucheng)"),
    "demo_register": ("下载演示企业名录", "Download the demo register"),
    "upload": ("上传企业名录", "Upload a register"),
    "register": ("企业名录", "Enterprise register"),
    "clusters_file": ("集群定义（TOML，可选）", "Cluster definitions (TOML, optional)"),
    "plan_file": ("集群规划（可选）", "Cluster plan (optional)"),
    "targets_file": ("规划目标档次", "The plan's revenue tiers"),
    "target_year": ("目标年份", "Target year"),
    "ledger_file": ("新增企业台账（可选）", "Placement ledger (optional)"),
    "year": ("统计年度（默认最新）", "Year (default: the latest)"),
    "city": ("城市名称", "City"),
    "sheet": ("工作表（有多个时）", "Worksheet (when several)"),
    "skip_invalid": ("跳过错误行（可下载错误行）", "Skip bad rows (listed for download)"),
    "submit": ("上传并分析", "Upload and analyse"),
    "working": ("正在分析，请稍候…", "Working, please wait…"),
    "login_to_upload": ("上传名录需以工作人员身份登录", "Log in as staff to upload a register"),
    "not_allowed": (
        "您的账户不能上传名录（仅限工作人员）",
        "Your account cannot upload registers (staff only)",
    ),
    "errors": ("无法分析上传的文件", "The upload could not be analysed"),
    "download": ("下载报告", "Download the report"),
    "back": ("重新上传", "Upload another register"),
    "rejected": ("已跳过{count}个错误行", "{count} bad rows skipped"),
    "rejects": ("下载错误行", "download them"),
    "expired": (
        "该分析已过期或不属于您的账户，请重新上传。",
        "This analysis has expired or is not yours: upload the register again.",
    ),
    "no_register": ("请选择企业名录文件", "choose the register file"),
    "plan_together": (
        "集群规划、目标档次和目标年份须一起提供",
        "the plan, its tiers and the target year go together",
    ),
    "not_integer": ("“{field}”应为整数：{value}", "'{field}' must be a whole number: {value}"),
    "too_big": (
        "上传的文件太大（上限{mb}MB）",
        "the upload is too big (the limit is {mb} MB)",
    ),
    "not_multipart": ("请通过上传表单提交文件", "send the files with the upload form"),
    "unexpected": ("无法读取上传的文件：{detail}", "cannot read the upload: {detail}"),
    "source": ("数据来源", "Source"),
}


def _say(key: str, lang: Lang, **fields: object) -> str:
    zh, en = WORDS[key]
    return (zh if lang == "zh" else en).format(**fields)


def upload_limit() -> int:
    """The largest upload in bytes: ``JIQUN_OBSERVATORY_UPLOAD_MB`` megabytes (default 32)."""
    try:
        mb = float(os.environ.get("JIQUN_OBSERVATORY_UPLOAD_MB", "32"))
    except ValueError:
        mb = 32.0
    return max(1, int(mb * 1024 * 1024))


def megabytes(size: int) -> str:
    return f"{round(size / 1024 / 1024, 2):g}"


class Rejected(Exception):
    """An upload refused before loading: the lines to show and the HTTP status."""

    def __init__(self, status: int, lines: list[str]) -> None:
        super().__init__(lines[0])
        self.status, self.lines = status, lines


def _lang(request: web.Request) -> Lang:
    return "en" if lang_of(request) == "en" else "zh"


def _may_upload(request: web.Request) -> bool:
    session = session_of(request)
    return session is not None and session.role in UPLOADERS


def _home(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    session = session_of(request)
    response = page(
        request,
        "observatory.html",
        words=WORDS,
        may_upload=_may_upload(request),
        logged_in=session is not None,
        csrf=session.csrf if session is not None else "",
        errors=errors or [],
        limit_mb=megabytes(upload_limit()),
    )
    response.set_status(status)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    return _home(request)


# ------------------------------------------------------------------ receiving an upload


_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


def safe_name(filename: str, field: str) -> str:
    """The user's file name without any folder part or characters a file system refuses;
    kept because the loaders' messages name the file and the suffix chooses the format."""
    # Browsers send the name as UTF-8 with '"', CR and LF percent-encoded; aiohttp's client
    # percent-encodes all of it.
    name = unquote(filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = stem[: 110 - len(suffix)] + dot + suffix if dot else name[:120]
    return name or field


async def _save(part: BodyPartReader, path: Path, budget: int) -> int:
    """Stream one file part to ``path``; the bytes written (at most ``budget``)."""
    written = 0
    with path.open("wb") as f:
        while chunk := await part.read_chunk(CHUNK):
            written += len(chunk)
            if written > budget:
                raise OverflowError
            f.write(chunk)
    return written


async def _text(part: BodyPartReader) -> str:
    data = b""
    while chunk := await part.read_chunk(1024):
        data += chunk
        if len(data) > MAX_TEXT * 4:
            break
    return data.decode("utf-8", "replace")[:MAX_TEXT]


async def receive(
    request: web.Request, folder: Path, lang: Lang
) -> tuple[dict[str, Path], dict[str, str]]:
    """The upload's files (saved as ``folder/<field>/<user's file name>``) and text fields."""
    files: dict[str, Path] = {}
    fields: dict[str, str] = {}
    limit = upload_limit()
    too_big = Rejected(413, [_say("too_big", lang, mb=megabytes(limit))])

    def target(field: str, filename: str) -> Path:
        (folder / field).mkdir(exist_ok=True)
        return folder / field / safe_name(filename, field)

    if request.content_type != "multipart/form-data":
        raise Rejected(400, [_say("not_multipart", lang)])
    if request.headers.get("X-CSRF-Token") is None:
        # The middleware has read the form (the browser sent the token as a field).
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                if name in FILE_FIELDS and value.filename:
                    path = target(name, value.filename)
                    with path.open("wb") as f:
                        shutil.copyfileobj(value.file, f)
                    files[name] = path
            elif name in TEXT_FIELDS:
                fields[name] = str(value)[:MAX_TEXT]
        return files, fields
    reader = await request.multipart()
    used = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise Rejected(400, [_say("not_multipart", lang)])
        name = part.name or ""
        if part.filename is not None:
            if name not in FILE_FIELDS or not part.filename:
                await part.release()  # an unknown field, or a file input left empty
                continue
            path = target(name, part.filename)
            try:
                used += await _save(part, path, limit - used)
            except OverflowError:
                raise too_big from None
            files[name] = path
        elif name in TEXT_FIELDS:
            fields[name] = await _text(part)
        else:
            await part.release()
    return files, fields


def _integer(fields: dict[str, str], name: str, label: str, lang: Lang) -> int | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Rejected(400, [_say("not_integer", lang, field=label, value=text)]) from None


def inputs_of(files: dict[str, Path], fields: dict[str, str], lang: Lang) -> Inputs:
    """The upload as the command line's arguments, checked as the command checks them."""
    if "register" not in files:
        raise Rejected(400, [_say("no_register", lang)])
    target_year = _integer(fields, "target_year", _say("target_year", lang), lang)
    planned = [files.get("plan"), files.get("targets"), target_year]
    if any(v is not None for v in planned) and not all(v is not None for v in planned):
        raise Rejected(400, [_say("plan_together", lang)])
    return Inputs(
        files["register"],
        clusters=files.get("clusters"),
        plan=files.get("plan"),
        targets=files.get("targets"),
        target_year=target_year,
        ledger=files.get("ledger"),
        year=_integer(fields, "year", _say("year", lang), lang),
        city=fields.get("city", "").strip() or None,
        sheet=fields.get("sheet", "").strip() or None,
        skip_invalid=fields.get("skip_invalid", "") not in ("", "0", "off", "false"),
    )


def _load(inputs: Inputs, folder: Path, lang: Lang) -> Analysis:
    """Load and compute (on the worker thread); the folder is deleted whatever happens."""
    try:
        return analyse(inputs)
    except UserError as e:
        raise Rejected(400, error_lines(e, lang, folder)) from None
    except Exception as e:  # a file no loader expected: one clear line, never a traceback
        log.exception("observatory upload failed")
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        detail = detail.replace(str(folder), "")
        raise Rejected(400, [_say("unexpected", lang, detail=detail)]) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def upload(request: web.Request) -> web.StreamResponse:
    lang = _lang(request)
    session = session_of(request)
    if session is None or session.role not in UPLOADERS:
        return _home(request, errors=[_say("not_allowed", lang)], status=403)
    folder = Path(tempfile.mkdtemp(prefix="jiqun-upload-"))
    try:
        try:
            files, fields = await receive(request, folder, lang)
            inputs = inputs_of(files, fields, lang)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        analysis = await off_loop(lambda: _load(inputs, folder, lang))
    except Rejected as e:
        return _home(request, errors=e.lines, status=e.status)
    key = store_of(request.app).put(session.user, analysis)
    raise web.HTTPSeeOther(f"/observatory/r/{key}?lang={lang}")


# ------------------------------------------------------------------ results and downloads


async def _analysis(request: web.Request) -> Analysis | None:
    key = request.match_info["key"]
    store = store_of(request.app)
    if key == DEMO:
        return await store.demo(web_demo.analysis)
    session = session_of(request)
    return store.get(key, session.user if session is not None else None)


def _expired(request: web.Request) -> web.StreamResponse:
    return _home(request, errors=[_say("expired", _lang(request))], status=404)


async def result(request: web.Request) -> web.StreamResponse:
    analysis = await _analysis(request)
    if analysis is None:
        return _expired(request)
    lang = _lang(request)
    survey, doc, _ = await off_loop(lambda: analysis.document(lang))
    return page(
        request,
        "observatory_result.html",
        words=WORDS,
        key=request.match_info["key"],
        survey=survey,
        doc=doc,
        formats=list(FORMATS),
        rejected=_say("rejected", lang, count=analysis.rejected) if analysis.rejected else "",
        has_rejects=analysis.rejects_csv is not None,
        may_upload=_may_upload(request),
    )


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


async def download(request: web.Request) -> web.StreamResponse:
    fmt = request.match_info["fmt"]
    if fmt not in FORMATS:
        raise web.HTTPNotFound()
    analysis = await _analysis(request)
    if analysis is None:
        return _expired(request)
    lang = _lang(request)
    try:
        data = await off_loop(lambda: analysis.report(fmt, lang))
    except UserError as e:  # no Chinese font for PDF or DOCX
        return _home(request, errors=e.lines(lang), status=503)
    stem = Path(analysis.source).stem
    suffix, content_type = FORMATS[fmt]
    name = f"{stem}_{'调研报告' if lang == 'zh' else 'survey'}{suffix}"
    return web.Response(
        body=data,
        content_type=content_type,
        charset="utf-8" if fmt == "html" else None,
        headers={"Content-Disposition": _attachment(name)},
    )


async def rejects(request: web.Request) -> web.StreamResponse:
    analysis = await _analysis(request)
    if analysis is None or analysis.rejects_csv is None:
        return _expired(request)
    name = f"{Path(analysis.source).stem}.rejects.csv"
    return web.Response(
        body=analysis.rejects_csv.encode("utf-8-sig"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": _attachment(name)},
    )


async def demo_register_file(request: web.Request) -> web.StreamResponse:
    """The demo register itself, to try the upload with."""

    def write() -> bytes:
        with tempfile.TemporaryDirectory(prefix="jiqun-demo-") as name:
            path = Path(name) / web_demo.REGISTER_NAME
            demo_register.write(demo_register.generate(), path)
            return path.read_bytes()

    return web.Response(
        body=await off_loop(write),
        content_type=FORMATS["xlsx"][1],
        headers={"Content-Disposition": _attachment(web_demo.REGISTER_NAME)},
    )


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/observatory", home),
    ("POST", "/observatory/upload", upload),
    ("GET", "/observatory/demo-register.xlsx", demo_register_file),
    ("GET", "/observatory/r/{key}", result),
    ("GET", "/observatory/r/{key}/report.{fmt}", download),
    ("GET", "/observatory/r/{key}/rejects.csv", rejects),
]
