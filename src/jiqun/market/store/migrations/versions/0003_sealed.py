"""Sealed-bid auctions (M11): items and bids.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sealed_items",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("seller", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("reserve_fen", sa.BigInteger(), nullable=False),
        sa.Column("opens_ms", sa.BigInteger(), nullable=False),
        sa.Column("closes_ms", sa.BigInteger(), nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("listed_by", sa.String(64), nullable=False),
        sa.Column("listed_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("winner", sa.String(64), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("commission_fen", sa.BigInteger(), nullable=True),
        sa.Column("closed_at_ms", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'sold', 'unsold', 'unpaid')", name="ck_sealed_items_status"
        ),
        sa.CheckConstraint("opens_ms < closes_ms", name="ck_sealed_items_window"),
        sa.CheckConstraint("reserve_fen >= 0", name="ck_sealed_items_reserve"),
        sa.PrimaryKeyConstraint("id", name="pk_sealed_items"),
    )
    op.create_table(
        "sealed_bids",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("bidder", sa.String(64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item"], ["sealed_items.id"], name="fk_sealed_bids_item_sealed_items"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sealed_bids"),
    )
    op.create_index("ix_sealed_bids_item", "sealed_bids", ["item"])
    op.create_index("ix_sealed_bids_bidder", "sealed_bids", ["bidder"])


def downgrade() -> None:
    op.drop_index("ix_sealed_bids_bidder", table_name="sealed_bids")
    op.drop_index("ix_sealed_bids_item", table_name="sealed_bids")
    op.drop_table("sealed_bids")
    op.drop_table("sealed_items")
