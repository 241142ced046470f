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
    balances (see jiqun.market.sealed.engine for the rules)."""
    from jiqun.market.sealed.engine import run
    from jiqun.market.sealed.scenario import load_auction
    from jiqun.market.texts import MarketProblem

    text = as_json(run(load_auction(scenario)).to_json())
    try:
        emit(text, output)
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise MarketProblem(
            f"{output}：无法写入（{reason}）", f"{output}: cannot write ({reason})"
        ) from None
