"""Price information centre (M9): published daily price records and their revisions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "price_revisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("published_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_revisions"),
        sa.UniqueConstraint("day", "revision", name="uq_price_revisions_day_revision"),
    )
    op.create_table(
        "price_records",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("revision_id", sa.BigInteger(), nullable=False),
        sa.Column("variety", sa.String(64), nullable=False),
        sa.Column("grade", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(100), nullable=False),
        sa.Column("package", sa.String(64), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("volume_g", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("min_fen_per_kg", sa.BigInteger(), nullable=False),
        sa.Column("max_fen_per_kg", sa.BigInteger(), nullable=False),
        sa.Column("mean_centifen_per_kg", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_lots", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["price_revisions.id"],
            name="fk_price_records_revision_id_price_revisions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_price_records"),
    )
    op.create_index("ix_price_records_revision_id", "price_records", ["revision_id"])


def downgrade() -> None:
    op.drop_index("ix_price_records_revision_id", table_name="price_records")
    op.drop_table("price_records")
    op.drop_table("price_revisions")
