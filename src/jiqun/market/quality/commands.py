"""``jiqun quality …``."""

from __future__ import annotations

from pathlib import Path

import click

from jiqun.cliutil import as_json, emit, user_errors
from jiqun.i18n import current_lang


@click.group()
def quality() -> None:
    """Quality testing centre (质量检测中心, M8)."""


@quality.command("mrl")
@click.argument("pesticide")
@click.argument("food")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory with foods.csv, pesticides.csv and mrl.csv (default: the shipped table).",
)
@user_errors
def mrl_command(pesticide: str, food: str, fmt: str, data: Path | None) -> None:
    """The GB 2763 maximum residue limit of PESTICIDE in FOOD (mg/kg) and where it came from.

    The limit is looked up from the most specific food category upward, honouring the
    categories' exclusions (“…除外”). Names may be Chinese, English or an alias (西红柿, tomato).
    """
    from jiqun.market.quality import mrl

    table = mrl.default_table() if data is None else mrl.load(data)
    match = table.lookup(pesticide, food)
    emit(as_json(match.to_json()) if fmt == "json" else match.text(current_lang()), None)


@quality.command("rapid")
@click.argument("readings", nargs=-1, required=True)
@click.option("--variety", default=None, help="The sample's variety (marks special handling).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@user_errors
def rapid_command(readings: tuple[str, ...], variety: str | None, fmt: str) -> None:
    """Judge a rapid test (GB/T 5009.199): READINGS are the inhibition rates in %, the first
    test then its retests (e.g. ``62.5 55 48``)."""
    from jiqun.market.quality import rules

    verdict = rules.judge_rapid(list(readings))
    handling = rules.special_handling(variety) if variety else None
    zh = current_lang() == "zh"
    if fmt == "json":
        data = verdict.to_json()
        if handling is not None:
            data["handling"] = {"group": handling.group, "zh": handling.zh, "en": handling.en}
        emit(as_json(data), None)
        return
    words = {"pass": ("合格", "pass"), "fail": ("不合格", "fail"), "retest": ("需复检", "retest")}
    word = words[verdict.status][0 if zh else 1]
    lines = [f"{word}：{verdict.zh}" if zh else f"{word}: {verdict.en}"]
    if handling is not None:
        lines.append(handling.zh if zh else handling.en)
    emit("\n".join(lines) + "\n", None)


@quality.command("lab")
@click.argument("food")
@click.argument("results", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@user_errors
def lab_command(food: str, results: tuple[str, ...], fmt: str) -> None:
    """Judge lab RESULTS (``毒死蜱=0.05`` …, mg/kg) for FOOD against GB 2763."""
    from jiqun.market.quality import rules
    from jiqun.market.texts import MarketProblem

    measured: dict[str, str] = {}
    for item in results:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise MarketProblem(
                f"无法识别“{item}”：请写成 农药=含量（mg/kg）",
                f"cannot read '{item}': write pesticide=mg/kg",
            )
        measured[name.strip()] = value.strip()
    verdict = rules.judge_lab(food, measured)
    if fmt == "json":
        emit(as_json(verdict.to_json()), None)
        return
    zh = current_lang() == "zh"
    status = {"within": ("未超标", "within"), "exceeds": ("超标", "exceeds")}
    lines = []
    for line in verdict.lines:
        if line.limit is None:
            text = "GB 2763 未规定限量" if zh else "no GB 2763 limit"
        else:
            word = status[line.status][0 if zh else 1]
            text = (
                f"{word}（限量 {line.limit}，{line.matched}）"
                if zh
                else (f"{word} (limit {line.limit}, {line.matched})")
            )
        lines.append(f"{line.pesticide} {line.measured} mg/kg：{text}")
    overall = {"pass": ("合格", "pass"), "fail": ("不合格", "fail")}[verdict.status]
    lines.append(("结论：" if zh else "verdict: ") + overall[0 if zh else 1])
    emit("\n".join(lines) + "\n", None)


@quality.command("plan")
@click.argument("arrivals", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", default="0", show_default=True, help="Seed of the random draws.")
@click.option("--period-days", type=click.IntRange(min=1), default=7, show_default=True)
@click.option("--base-rate", type=click.FloatRange(0, 1), default=0.05, show_default=True)
@click.option("--new-rate", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option("--flagged-rate", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option(
    "--flagged",
    "flagged",
    multiple=True,
    help="A supplier with a past positive (SUPPLIER or SUPPLIER@TIME); repeatable.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@user_errors
def plan_command(
    arrivals: Path,
    seed: str,
    period_days: int,
    base_rate: float,
    new_rate: float,
    flagged_rate: float,
    flagged: tuple[str, ...],
    fmt: str,
) -> None:
    """Run the sampling plan over ARRIVALS (CSV: lot, supplier, variety, time) and show which
    lots are drawn and why. The same seed draws the same lots."""
    from jiqun.market.quality.sampling import DAY_MS, PlanSettings, SamplingPlan, read_arrivals
    from jiqun.market.texts import parse_time

    settings = PlanSettings(
        period_ms=period_days * DAY_MS,
        base_rate=base_rate,
        new_rate=new_rate,
        flagged_rate=flagged_rate,
    )
    plan = SamplingPlan(settings, seed=seed)
    rows = read_arrivals(arrivals)
    for item in flagged:
        supplier, _, when = item.partition("@")
        plan.flag(supplier, parse_time(when) if when else min((a.at_ms for a in rows), default=0))
    draws = plan.run(rows)
    if fmt == "json":
        emit(as_json({"seed": seed, "draws": [d.to_json() for d in draws]}), None)
        return
    zh = current_lang() == "zh"
    lines = []
    for d in draws:
        a = d.arrival
        if d.drawn:
            why = "；".join(r.zh for r in d.reasons) if zh else "; ".join(r.en for r in d.reasons)
            lines.append(f"{a.lot}\t{a.supplier}\t{a.variety}\t{'抽检' if zh else 'drawn'}\t{why}")
        else:
            lines.append(f"{a.lot}\t{a.supplier}\t{a.variety}\t{'—'}")
    n = sum(d.drawn for d in draws)
    lines.append(f"共 {len(draws)} 批，抽检 {n} 批" if zh else f"{len(draws)} lots, {n} drawn")
    emit("\n".join(lines) + "\n", None)
