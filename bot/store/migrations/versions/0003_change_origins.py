"""change origins (no echo of the bot's own changes) and subscriptions.via

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_origins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_origins")),
    )
    op.create_index(
        op.f("ix_change_origins_ticket_id"), "change_origins", ["ticket_id"], unique=False
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column("via", sa.String(length=8), server_default="all", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("via")
    op.drop_index(op.f("ix_change_origins_ticket_id"), table_name="change_origins")
    op.drop_table("change_origins")
