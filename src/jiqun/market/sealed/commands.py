"""``jiqun market sealed …``."""

from __future__ import annotations

import click


@click.group()
def sealed() -> None:
    """Sealed-bid auctions (密封投标拍卖, M11)."""
