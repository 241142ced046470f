"""Staff consoles: idempotent staff requests and the administrators' catalogue additions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_requests",
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("route", sa.String(200), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("journal_seq", sa.BigInteger(), nullable=True),
        sa.Column("journal_kind", sa.String(32), nullable=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key", name="pk_staff_requests"),
    )
    op.create_table(
        "catalogue",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("standard_code", sa.String(32), nullable=False),
        sa.Column("net_g", sa.BigInteger(), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "code", name="pk_catalogue"),
    )


def downgrade() -> None:
    op.drop_table("catalogue")
    op.drop_table("staff_requests")
