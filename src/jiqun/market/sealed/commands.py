"""``jiqun market sealed …``."""

from __future__ import annotations

from pathlib import Path

import click

from jiqun.cliutil import as_json, emit, user_errors


@click.group()
def sealed() -> None:
    """Sealed-bid auctions (密封投标拍卖, M11)."""


@sealed.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result here.")
@user_errors
def replay(scenario: Path, output: Path | None) -> None:
    """Run a sealed-bid scenario (JSON) and print awards, unsold items, rejected bids and
    balances."""
    from jiqun.market.sealed.engine import run
    from jiqun.market.sealed.scenario import load_auction

    emit(as_json(run(load_auction(scenario)).to_json()), output)
