"""channel_settings.unfurl: preview #<id> mentions in this channel (opt-in)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(
            sa.Column("unfurl", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("unfurl")
