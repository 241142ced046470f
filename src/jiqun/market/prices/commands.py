"""``jiqun market prices`` and ``jiqun market index``."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
