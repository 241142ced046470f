"""The market's first schema: members, cards, the double-entry ledger, halls, the journal.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Written out by hand rather than from ``schema.metadata`` so that later changes to the module
cannot change what this revision did; a test checks that the two agree at head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("daily_limit_fen", sa.BigInteger(), nullable=True),
        sa.Column("opened_at_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("role IN ('buyer', 'supplier')", name="ck_members_role"),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
    )
    op.create_table(
        "cards",
        sa.Column("card_no", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column("issued_at_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("deposit_fen >= 0", name="ck_cards_deposit"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_cards_member_id_members"),
        sa.PrimaryKeyConstraint("card_no", name="pk_cards"),
    )
    op.create_index("ix_cards_member_id", "cards", ["member_id"])
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=True),
        sa.CheckConstraint("kind IN ('asset', 'liability', 'income')", name="ck_accounts_kind"),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_accounts_member_id_members"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "transactions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.UniqueConstraint("key", name="uq_transactions_key"),
    )
    op.create_table(
        "entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("txn_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name="ck_entries_nonzero"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_entries_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["transactions.id"], name="fk_entries_txn_id_transactions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
    )
    op.create_index("ix_entries_txn_id", "entries", ["txn_id"])
    op.create_index("ix_entries_account_id_txn_id", "entries", ["account_id", "txn_id"])
    op.create_table(
        "balances",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_balances_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_balances"),
    )
    op.create_table(
        "halls",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tick_ms", sa.BigInteger(), nullable=False),
        sa.Column("step_fen", sa.BigInteger(), nullable=False),
        sa.Column("pause_ms", sa.BigInteger(), nullable=False),
        sa.Column("restart_steps", sa.BigInteger(), nullable=False),
        sa.Column("same_stop_ms", sa.BigInteger(), nullable=False),
        sa.Column("seller_commission_bps", sa.BigInteger(), nullable=False),
        sa.Column("buyer_fee_bps", sa.BigInteger(), nullable=False),
        sa.Column("rule_version", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_halls"),
    )
    op.create_table(
        "journal",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["hall"], ["halls.id"], name="fk_journal_hall_halls"),
        sa.PrimaryKeyConstraint("seq", name="pk_journal"),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        sa.UniqueConstraint("hall", "seq", name="uq_snapshots_hall_seq"),
    )


def downgrade() -> None:
    for table in (
        "snapshots",
        "journal",
        "halls",
        "balances",
        "entries",
        "transactions",
        "accounts",
        "cards",
        "members",
    ):
        op.drop_table(table)
