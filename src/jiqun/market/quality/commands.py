"""``jiqun quality …``."""

from __future__ import annotations

import click


@click.group()
def quality() -> None:
    """Quality testing centre (质量检测中心, M8)."""
