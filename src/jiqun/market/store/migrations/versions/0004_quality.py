"""Quality testing centre (M8): intake, samples, test results, blocked lots.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quality_lots",
        sa.Column("lot_id", sa.String(64), nullable=False),
        sa.Column("hall", sa.String(32), nullable=False),
        sa.Column("supplier", sa.String(64), nullable=False),
        sa.Column("variety", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("lot", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("certificate_no", sa.String(64), nullable=True),
        sa.Column("certificate_issuer", sa.String(64), nullable=True),
        sa.Column("certificate_date", sa.String(10), nullable=True),
        sa.Column("trace_code", sa.String(32), nullable=False),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("released_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("blocked_reason", sa.String(200), nullable=True),
        sa.Column("sampling", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "status IN ('testing', 'released', 'blocked')", name="ck_quality_lots_status"
        ),
        sa.PrimaryKeyConstraint("lot_id", name="pk_quality_lots"),
        sa.UniqueConstraint("trace_code", name="uq_quality_lots_trace_code"),
    )
    op.create_index("ix_quality_lots_supplier", "quality_lots", ["supplier"])
    op.create_index("ix_quality_lots_received_at_ms", "quality_lots", ["received_at_ms"])
    op.create_table(
        "quality_tests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("inspector", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("readings", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('rapid', 'lab')", name="ck_quality_tests_kind"),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["quality_lots.lot_id"], name="fk_quality_tests_lot_id_quality_lots"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quality_tests"),
    )
    op.create_index("ix_quality_tests_lot_id", "quality_tests", ["lot_id"])
    op.create_table(
        "quality_flags",
        sa.Column("supplier", sa.String(64), nullable=False),
        sa.Column("flagged_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("supplier", name="pk_quality_flags"),
    )


def downgrade() -> None:
    op.drop_table("quality_flags")
    op.drop_index("ix_quality_tests_lot_id", table_name="quality_tests")
    op.drop_table("quality_tests")
    op.drop_index("ix_quality_lots_received_at_ms", table_name="quality_lots")
    op.drop_index("ix_quality_lots_supplier", table_name="quality_lots")
    op.drop_table("quality_lots")
