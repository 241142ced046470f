"""The ``jiqun`` command line: ``observatory …``, ``market …``, ``serve`` and ``demo``.

A user's mistake (a bad file, a bad row, a missing option) ends in clear lines on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from jiqun import __version__
from jiqun.cliutil import DB_OPTION, F, as_json, database_errors, emit, user_errors
from jiqun.i18n import current_lang, t
from jiqun.market.prices import commands as prices_commands
from jiqun.market.quality import commands as quality_commands
from jiqun.market.sealed import commands as sealed_commands
from jiqun.market.voice import commands as voice_commands
from jiqun.observatory.clusters import ClusterDefinitions, load_definitions
from jiqun.observatory.register import Register, load_register
from jiqun.observatory.stats import SurveyStats, compute


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jiqun")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of messages and reports (default: $JIQUN_LANG, else zh).",
)
def main(lang: str | None) -> None:
    """jiqun (集群): the open platform of an industrial cluster."""
    if lang:
        os.environ["JIQUN_LANG"] = lang


# ------------------------------------------------------------------ observatory


@main.group()
def observatory() -> None:
    """Cluster observatory (集群监测): registers, statistics, reports."""


def register_options(command: F) -> F:
    options = [
        click.argument("register", type=click.Path(path_type=Path)),
        click.option("--year", type=int, help="Year of the statistics (default: the latest)."),
        click.option(
            "--clusters",
            "clusters_file",
            type=click.Path(path_type=Path),
            help="TOML cluster definitions (default: the register's cluster column, "
            "else the nine Zhucheng clusters).",
        ),
        click.option("--sheet", help="Worksheet to read when a workbook has several."),
        click.option(
            "--skip-invalid",
            is_flag=True,
            help="Skip bad rows instead of failing; they are written to the rejects file.",
        ),
        click.option(
            "--rejects",
            type=click.Path(path_type=Path),
            help="Where --skip-invalid writes bad rows (default: REGISTER-NAME.rejects.csv here).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _load(register: Path, sheet: str | None, skip_invalid: bool, rejects: Path | None) -> Register:
    loaded = load_register(register, sheet=sheet, skip_invalid=skip_invalid)
    if loaded.rejects is not None and loaded.rejected:
        target = rejects or Path(f"{register.stem}.rejects.csv")
        target.write_text(loaded.rejects.write_csv(), encoding="utf-8-sig")
        click.echo(t("skipped", count=loaded.rejected, path=target), err=True)
    return loaded


def _stats(
    register: Path,
    year: int | None,
    clusters_file: Path | None,
    sheet: str | None,
    skip_invalid: bool,
    rejects: Path | None,
    engine: str = "embedded",
) -> SurveyStats:
    definitions: ClusterDefinitions | None = (
        load_definitions(clusters_file) if clusters_file else None
    )
    loaded = _load(register, sheet, skip_invalid, rejects)
    if engine == "spark":
        from jiqun.observatory import spark

        return spark.compute(loaded, year, definitions)
    return compute(loaded, year, definitions)


ENGINE_OPTION = click.option(
    "--engine",
    type=click.Choice(["embedded", "spark"]),
    default="embedded",
    show_default=True,
    help="Who aggregates the validated register: the embedded engine (polars), or PySpark "
    "(pip install 'jiqun[spark]'; Java 17). Both give identical figures.",
)


@observatory.command()
@register_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table", "xlsx", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout."
)
@ENGINE_OPTION
@user_errors
def stats(
    register: Path,
    year: int | None,
    clusters_file: Path | None,
    sheet: str | None,
    skip_invalid: bool,
    rejects: Path | None,
    fmt: str,
    output: Path | None,
    engine: str,
) -> None:
    """Per-cluster statistics of one year: firms, capital, brands, revenue, shares, growth."""
    from jiqun.observatory import tables

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs -o OUT.xlsx")
    result = _stats(register, year, clusters_file, sheet, skip_invalid, rejects, engine)
    lang = current_lang()
    if fmt == "xlsx":
        assert output is not None
        tables.write_xlsx(result, output, lang)
        return
    if fmt == "json":
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = tables.csv_text(result, lang)
    else:
        text = tables.text_table(result, lang)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")


@observatory.command("report")
@register_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="OUT.md, OUT.html, OUT.pdf, OUT.docx or OUT.xlsx",
)
@click.option("--city", help="The city's name in the report (e.g. 诸城市).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path),
    help="A plan (like zhucheng_cluster_plan.csv): adds the plan's progress (with --targets "
    "and --target-year).",
)
@click.option(
    "--targets", "targets_file", type=click.Path(path_type=Path), help="The plan's revenue tiers."
)
@click.option("--target-year", type=int, help="The year the plan's tiers are due.")
@click.option(
    "--placements",
    "ledger_file",
    type=click.Path(path_type=Path),
    help="A placement ledger: adds the towns' scores and tax shares of the report's year.",
)
@user_errors
def report_command(
    register: Path,
    year: int | None,
    clusters_file: Path | None,
    sheet: str | None,
    skip_invalid: bool,
    rejects: Path | None,
    output: Path,
    city: str | None,
    plan_file: Path | None,
    targets_file: Path | None,
    target_year: int | None,
    ledger_file: Path | None,
) -> None:
    """Write the survey: city overview and one section per cluster, the town diagnosis (with a
    town × industry heat map), the plan's progress (with --plan, --targets, --target-year) and
    the placement table (with --placements). Charts and PDF need a Chinese font."""
    from jiqun.observatory import report
    from jiqun.observatory.placements import load_ledger, town_table
    from jiqun.observatory.plan import load_plan, load_targets, progress
    from jiqun.observatory.towns import diagnose

    if output.suffix.lower() not in report.FORMATS:
        raise click.UsageError(f"-o must end in {' or '.join(report.FORMATS)}")
    planned = [plan_file, targets_file, target_year]
    if any(v is not None for v in planned) and not all(v is not None for v in planned):
        raise click.UsageError("--plan, --targets and --target-year go together")
    loaded = _load(register, sheet, skip_invalid, rejects)
    definitions = load_definitions(clusters_file) if clusters_file else None
    result = compute(loaded, year, definitions)
    towns = diagnose(loaded, year=result.year, definitions=definitions)
    plan = None
    if plan_file is not None and targets_file is not None and target_year is not None:
        plan = progress(
            loaded, load_plan(plan_file), load_targets(targets_file), target_year, result.year
        )
    placements = None
    if ledger_file is not None:
        placements = town_table(load_ledger(ledger_file), result.year)
    report.write(
        result,
        output,
        city=city,
        source=register.name,
        lang=current_lang(),
        towns=towns,
        plan=plan,
        placements=placements,
    )
    click.echo(str(output))


@observatory.command("demo-register")
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--seed", type=int, default=2024, show_default=True, help="Seed of the generator.")
@user_errors
def demo_register(output: Path, seed: int) -> None:
    """Write the synthetic Zhucheng register (2023 and 2024) to OUT.xlsx or OUT.csv."""
    from jiqun.observatory import demo_register as demo

    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("OUTPUT must end in .xlsx or .csv")
    demo.write(demo.generate(seed), output)
    click.echo(str(output))


@observatory.command("complexity")
@click.argument("panel", type=click.Path(path_type=Path))
@click.option("--time", "time_col", default="time", show_default=True, help="Period column.")
@click.option("--loc", "loc_col", default="loc", show_default=True, help="Location column.")
@click.option("--prod", "prod_col", default="prod", show_default=True, help="Product column.")
@click.option("--val", "val_col", default="val", show_default=True, help="Value column.")
@click.option("--rca-threshold", type=float, default=1.0, show_default=True)
@click.option(
    "--self-proximity",
    is_flag=True,
    help="Count a product's proximity to itself in density (as the Python ecomplexity does).",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="OUT.csv, OUT.parquet or OUT.json"
)
@user_errors
def complexity_command(
    panel: Path,
    time_col: str,
    loc_col: str,
    prod_col: str,
    val_col: str,
    rca_threshold: float,
    self_proximity: bool,
    output: Path | None,
) -> None:
    """Economic complexity of a long panel (time × loc × prod × val), like ecomplexity:
    one row per time × loc × prod with rca, mcp, diversity, ubiquity, eci, pci, density,
    coi, cog."""
    import polars as pl

    from jiqun.observatory.complexity import complexity
    from jiqun.observatory.errors import FileProblem

    if not panel.exists():
        raise FileProblem(panel, "file_missing")
    suffix = panel.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FileProblem(panel, "file_format", suffix=suffix or panel.name)
    try:
        frame = pl.read_csv(panel) if suffix == ".csv" else pl.read_parquet(panel)
    except Exception as e:  # polars' parse errors: the user's file, one line
        raise FileProblem(panel, "file_unreadable", detail=str(e).splitlines()[0]) from None
    result = complexity(
        frame,
        time=time_col,
        loc=loc_col,
        prod=prod_col,
        val=val_col,
        rca_threshold=rca_threshold,
        self_proximity=self_proximity,
    )
    if output is None:
        click.echo(result.write_csv(), nl=False)
    elif output.suffix.lower() == ".parquet":
        result.write_parquet(output)
    elif output.suffix.lower() == ".json":
        result.write_json(output)
    else:
        result.write_csv(output)


@observatory.command("towns")
@register_options
@click.option(
    "--measure",
    type=click.Choice(["revenue", "employees", "firms"]),
    default="revenue",
    show_default=True,
    help="Activity measured: revenue (万元), employees, or the number of firms.",
)
@click.option(
    "--level",
    type=click.Choice(["cluster", "division", "group", "class"]),
    default="division",
    show_default=True,
    help="Industries: clusters, or GB/T 4754 divisions (2 digits), groups (3), classes (4).",
)
@click.option(
    "--min-lq",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="A leading industry's location quotient is at least this.",
)
@click.option(
    "--min-share",
    type=click.FloatRange(0, 1),
    default=0.10,
    show_default=True,
    help="A leading industry's share of the town's activity is at least this.",
)
@click.option(
    "--closest",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="How many industries to list per town as closest to enter (relatedness density).",
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path),
    help="A plan (PLAN.csv with centre towns): each planned cluster's share inside them.",
)
@click.option(
    "--plan-clusters",
    "plan_clusters_file",
    type=click.Path(path_type=Path),
    help="TOML definitions of the planned clusters (default: the register's cluster column, "
    "else the 14 Zhucheng clusters).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout."
)
@ENGINE_OPTION
@user_errors
def towns_command(
    register: Path,
    year: int | None,
    clusters_file: Path | None,
    sheet: str | None,
    skip_invalid: bool,
    rejects: Path | None,
    measure: str,
    level: str,
    min_lq: float,
    min_share: float,
    closest: int,
    plan_file: Path | None,
    plan_clusters_file: Path | None,
    fmt: str,
    output: Path | None,
    engine: str,
) -> None:
    """Town diagnosis: leading industries per town (LQ and share), 一镇多业 flags, each
    industry's spread over towns, the industries each town is closest to entering, and the
    planned clusters' share inside their centre towns."""
    from jiqun.observatory import spark, towns
    from jiqun.observatory.plan import load_plan

    diagnose = spark.diagnose if engine == "spark" else towns.diagnose

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs -o OUT.xlsx")
    definitions = load_definitions(clusters_file) if clusters_file else None
    plan = load_plan(plan_file) if plan_file else None
    plan_definitions = load_definitions(plan_clusters_file) if plan_clusters_file else None
    result = diagnose(
        _load(register, sheet, skip_invalid, rejects),
        year=year,
        measure=measure,  # type: ignore[arg-type]
        level=level,  # type: ignore[arg-type]
        min_lq=min_lq,
        min_share=min_share,
        definitions=definitions,
        closest=closest,
        plan=plan,
        plan_definitions=plan_definitions,
    )
    lang = current_lang()
    if fmt == "xlsx":
        assert output is not None
        result.write_xlsx(output, lang)
        return
    emit(as_json(result.to_json(lang)) if fmt == "json" else result.text(lang), output)


@observatory.command("plan")
@click.argument("register", type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The plan: clusters, centre towns, key enterprises (like zhucheng_cluster_plan.csv).",
)
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Revenue tiers: tier, revenue_threshold_yi, clusters_required.",
)
@click.option("--target-year", type=int, required=True, help="The year the tiers are due.")
@click.option("--year", type=int, help="Year of the figures (default: the register's latest).")
@click.option(
    "--clusters",
    "clusters_file",
    type=click.Path(path_type=Path),
    help="TOML definitions of the planned clusters over industry codes (default: the "
    "register's cluster column by name, else the 14 Zhucheng clusters).",
)
@click.option("--sheet", help="Worksheet of the register to read when it has several.")
@click.option("--skip-invalid", is_flag=True, help="Skip bad register rows (see stats).")
@click.option("--rejects", type=click.Path(path_type=Path), help="Where skipped rows go.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout."
)
@user_errors
def plan_command(
    register: Path,
    plan_file: Path,
    targets_file: Path,
    target_year: int,
    year: int | None,
    clusters_file: Path | None,
    sheet: str | None,
    skip_invalid: bool,
    rejects: Path | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The plan's revenue tiers (such as 三二三三三) and each planned cluster: revenue, tier,
    gap, the compound annual growth it needs, the tier it is on track for; whether the plan is
    met."""
    from jiqun.observatory.plan import load_plan, load_targets, progress

    plan = load_plan(plan_file)
    targets = load_targets(targets_file)
    definitions = load_definitions(clusters_file) if clusters_file else None
    result = progress(
        _load(register, sheet, skip_invalid, rejects),
        plan,
        targets,
        target_year,
        year=year,
        definitions=definitions,
    )
    if result.match.unmatched and fmt == "json":
        click.echo(t("plan_unmatched", clusters="、".join(result.match.unmatched)), err=True)
    emit(as_json(result.to_json()) if fmt == "json" else result.text(current_lang()), output)


def _ratio(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    """A share between 0 and 1 as an exact decimal: 0.6, 60% or 6:4."""
    from jiqun.observatory.placements import parse_ratio

    try:
        return parse_ratio(value)
    except ValueError:
        raise click.BadParameter(t("bad_ratio", value=value), ctx, param) from None


@observatory.command("placements")
@click.argument("ledger", type=click.Path(path_type=Path))
@click.option("--year", type=int, help="Year of the table (default: the ledger's latest).")
@click.option(
    "--attract-share",
    callback=_ratio,
    default="1.0",
    show_default=True,
    help="Share of an enterprise's points the attracting town earns.",
)
@click.option(
    "--host-share",
    callback=_ratio,
    default="0.5",
    show_default=True,
    help="Share of an enterprise's points the hosting town earns.",
)
@click.option(
    "--tax-split",
    callback=_ratio,
    default="0.6",
    show_default=True,
    help="The attracting town's part of the local tax (0.6 or 6:4); the hosting town has the rest.",
)
@click.option("--sheet", help="Worksheet to read when a workbook has several.")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Skip bad rows instead of failing; they are written to the rejects file.",
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    help="Where --skip-invalid writes bad rows (default: LEDGER-NAME.rejects.csv here).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout."
)
@user_errors
def placements_command(
    ledger: Path,
    year: int | None,
    attract_share: Any,
    host_share: Any,
    tax_split: Any,
    sheet: str | None,
    skip_invalid: bool,
    rejects: Path | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The placement ledger's annual town table: points as attracting and hosting town, the
    score (100 % / 50 %, 100 % once when both) and the local tax shared 6:4, in exact decimals."""
    from jiqun.observatory.placements import load_ledger, town_table

    loaded = load_ledger(ledger, sheet=sheet, skip_invalid=skip_invalid)
    if loaded.rejects is not None and loaded.rejected:
        target = rejects or Path(f"{ledger.stem}.rejects.csv")
        target.write_text(loaded.rejects.write_csv(), encoding="utf-8-sig")
        click.echo(t("skipped", count=loaded.rejected, path=target), err=True)
    result = town_table(
        loaded, year, attract_share=attract_share, host_share=host_share, tax_split=tax_split
    )
    emit(as_json(result.to_json()) if fmt == "json" else result.text(current_lang()), output)


@observatory.command("demo-ledger")
@click.argument("output", type=click.Path(path_type=Path))
@user_errors
def demo_ledger(output: Path) -> None:
    """Write a small demo placement ledger (2024, 12 new enterprises) to OUT.csv or OUT.xlsx."""
    from jiqun.observatory.placements import write_demo_ledger

    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("OUTPUT must end in .xlsx or .csv")
    write_demo_ledger(output)
    click.echo(str(output))


# ------------------------------------------------------------------ market, serve, demo


@main.group()
def market() -> None:
    """Wholesale market (交易市场): the Dutch clock, the one-card ledger, prices."""


@market.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result here.")
@user_errors
def replay(scenario: Path, output: Path | None) -> None:
    """Run a clock scenario (JSON) in simulated time and print the result (rulebook v1)."""
    from jiqun.market.core.replay import replay as run
    from jiqun.market.scenario import load_scenario

    engine, result = run(load_scenario(scenario))
    text = json.dumps(result.to_json(engine), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@market.command()
@DB_OPTION
@user_errors
def migrate(db: str | None) -> None:
    """Create the market database or bring its schema to the newest revision."""
    from jiqun.market.store import current_revision
    from jiqun.market.store import migrate as run
    from jiqun.market.store.db import shown

    with database_errors(db):
        engine = run(db)
        revision = current_revision(engine)
        where = shown(str(engine.url))
        engine.dispose()
    zh = current_lang() == "zh"
    click.echo(
        f"{where}：数据库结构版本 {revision}" if zh else f"{where}: schema revision {revision}"
    )


@market.command()
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@user_errors
def reconcile(db: str | None, fmt: str) -> None:
    """Prove the ledger's invariants (M4); exit 1 if any is broken, naming it."""
    from jiqun.market.ledger import SqlLedger
    from jiqun.market.store import open_store
    from jiqun.market.store.db import shown
    from jiqun.market.texts import reconciliation_text

    with database_errors(db):
        engine = open_store(db, create=False)
        result = SqlLedger(engine).reconcile()
        where = shown(str(engine.url))
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(reconciliation_text(result, where), nl=False)
    if not result.ok:
        sys.exit(1)


@market.command()
@click.argument("member")
@click.option("--from", "from_", default=None, help="Start: 2026-11-27, an ISO time or ms.")
@click.option("--to", "to", default=None, help="End (a date includes that day).")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@user_errors
def statement(member: str, from_: str | None, to: str | None, db: str | None, fmt: str) -> None:
    """A member's statement for a period: opening, every amount and fee, closing."""
    from jiqun.market.ledger import SqlLedger, UnknownAccount
    from jiqun.market.store import open_store
    from jiqun.market.texts import MarketProblem, parse_time, statement_text

    start = parse_time(from_) if from_ else 0
    end = parse_time(to, end=True) if to else 2**62
    if end <= start:
        raise MarketProblem("--to 必须晚于 --from", "--to must be later than --from")
    with database_errors(db):
        engine = open_store(db, create=False)
        try:
            result = SqlLedger(engine).statement(member, start, end)
        except UnknownAccount:
            raise MarketProblem(f"没有会员 {member}", f"no member {member}") from None
        finally:
            engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(statement_text(result), nl=False)


@market.group()
def audit() -> None:
    """The hash-chained audit log (logins, deposits, hall commands, suspensions)."""


@audit.command("verify")
@DB_OPTION
@user_errors
def audit_verify(db: str | None) -> None:
    """Check the audit log's chain; exit 1 naming the first record that does not fit."""
    from jiqun.market.service.users import verify_audit
    from jiqun.market.store import open_store

    with database_errors(db):
        engine = open_store(db, create=False)
        try:
            verdict = verify_audit(engine)
        finally:
            engine.dispose()
    zh = current_lang() == "zh"
    if verdict.ok:
        click.echo(
            f"审计日志 {verdict.records} 条记录，哈希链完整"
            if zh
            else f"audit log: {verdict.records} records, the hash chain holds"
        )
        return
    click.echo(
        f"审计日志被篡改：第 {verdict.broken_at} 条记录起不一致（{verdict.reason}）"
        if zh
        else f"audit log tampered with from record {verdict.broken_at} ({verdict.reason})"
    )
    sys.exit(1)


@market.command()
@DB_OPTION
@user_errors
def verify(db: str | None) -> None:
    """Recover the halls (snapshot + journal) and compare with a replay of the whole journal
    and with the ledger; exit 1 on any difference."""
    from jiqun.market.journal import DurableMarket

    with database_errors(db):
        market_ = DurableMarket.open(db, create=False, snapshot_every=0)
        try:
            problems = market_.verify()
            seq, snap = market_.seq, market_.snapshot_seq
        finally:
            market_.close()
    zh = current_lang() == "zh"
    click.echo(
        f"日志 {seq} 条输入，从快照 {snap} 恢复"
        if zh
        else f"journal: {seq} inputs, snapshot {snap}"
    )
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo("结果：不一致" if zh else "result: differences found")
        sys.exit(1)
    click.echo("结果：恢复状态与完整重放一致" if zh else "result: recovery equals a full replay")


@market.command()
@click.option("--buyers", type=click.IntRange(1, 20_000), default=100, show_default=True)
@click.option("--duration", type=click.FloatRange(1, 3600), default=20.0, show_default=True)
@click.option("--url", default=None, help="A running server on loopback (default: start a demo).")
@click.option("--hall", default="2", show_default=True, help="The hall the load test drives.")
@click.option(
    "--interest",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="The share of lots each buyer bids on (1: every buyer bids on every lot).",
)
@click.option(
    "--processes",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Client processes playing the buyers (0: one per 2,500 buyers, at most one per core).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON line.")
@user_errors
def loadtest(
    buyers: int,
    duration: float,
    url: str | None,
    hall: str,
    interest: float,
    processes: int,
    as_json: bool,
) -> None:
    """Simulated buyers press over real WebSockets; prints acks, fan-out, clock error, CPU.

    Without --url a demo server starts in a child process on a free port. Against a demo
    server nothing needs preparing: buyers, deposits and lots are set up through the API with
    the demo's staff log-ins.
    """
    from jiqun import aio
    from jiqun.market.service import loadtest as lt

    try:
        result = aio.run(lt.main(url, buyers, duration, hall, interest, processes))
    except (lt.LoadTestError, OSError) as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            click.echo(f"{key}: {value}")


# Command groups that live beside their code.
market.add_command(sealed_commands.sealed)
for _command in prices_commands.COMMANDS + voice_commands.COMMANDS:
    market.add_command(_command)
main.add_command(quality_commands.quality)


@main.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@user_errors
def serve(db: str | None, host: str, port: int) -> None:
    """The live market: display boards, buyer console, JSON API and WebSocket channel.

    Sessions are signed with $JIQUN_SECRET (else a random key: sessions end with the server).
    """
    from jiqun.market.service.app import run

    base = f"http://{host}:{port}"
    click.echo(f"{base}/board/1  {base}/buyer  {base}/api/openapi.json", err=True)
    with database_errors(db):
        run(db, host=host, port=port)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("jiqun-demo"),
    show_default=True,
    help="Folder for the demo's files.",
)
@click.option("--port", type=int, default=8000, show_default=True, help="The demo server's port.")
@click.option("--bots", type=click.IntRange(0, 500), default=30, show_default=True)
@click.option(
    "--no-serve", is_flag=True, help="Only write the observatory's files; start no market."
)
@user_errors
def demo(out: Path, port: int, bots: int, no_serve: bool) -> None:
    """Run the demo: the Zhucheng demo register and its cluster survey, then a live market.

    The market (SQLite in OUT) has Shouguang vegetables, suppliers, buyers with deposits and
    a morning's lots; simulated buyers press over WebSockets and lots keep coming. The board
    and the consoles' addresses and log-ins are printed; Ctrl-C stops it.
    """
    from jiqun.observatory import demo_register as demo_data
    from jiqun.observatory import report, tables

    out.mkdir(parents=True, exist_ok=True)
    register_path = out / "zhucheng_register.xlsx"
    demo_data.write(demo_data.generate(), register_path)
    demo_data.write(demo_data.generate(), out / "zhucheng_register.csv")
    result = compute(load_register(register_path))
    lang = current_lang()
    (out / "zhucheng_stats.json").write_text(
        json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    for suffix in (".html", ".md"):
        report.write(
            result,
            out / f"zhucheng_survey{suffix}",
            city="诸城市",
            source=register_path.name,
            lang=lang,
        )
    click.echo(tables.text_table(result, lang))
    click.echo(f"{'演示文件已写入' if lang == 'zh' else 'demo files written to'} {out.resolve()}:")
    for path in sorted(out.iterdir()):
        click.echo(f"  {path.name}")
    if not no_serve:
        _serve_demo(out, port, bots, lang)


def _serve_demo(out: Path, port: int, bots: int, lang: str) -> None:
    from jiqun import aio
    from jiqun.market.service import demo as live

    def announce(server: live.DemoServer) -> None:
        zh = lang == "zh"
        click.echo("")
        click.echo("演示市场已开市（寿光蔬菜拍卖）：" if zh else "demo market open (Shouguang):")
        for what, address in live.addresses(server.url):
            click.echo(f"  {what}: {address}")
        click.echo("登录 (log-ins):" if zh else "log-ins:")
        for who, password in live.logins():
            click.echo(f"  {who} / {password}")
        click.echo("按 Ctrl-C 停止" if zh else "Ctrl-C stops it")

    try:
        aio.run(live.serve(out / "market", port, bot_count=bots, announce=announce), server=True)
    except KeyboardInterrupt:
        click.echo("已停止" if lang == "zh" else "stopped")
    except OSError as e:  # the port is taken, most often
        raise click.ClickException(f"{e} (--port P chooses another port)") from None
