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
