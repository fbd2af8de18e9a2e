"""Each outbox message keeps one Message-ID for all its sending attempts, so a message sent
again after a crash (at-least-once) is recognisably the same message. Jobs remember when their
status last changed (pickup reminders, overdue pickups, time per stage); existing jobs start
from their last update.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.String(200), nullable=True))
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("status_changed_at", sa.DateTime, nullable=True))
    op.execute("UPDATE jobs SET status_changed_at = updated_at")


def downgrade() -> None:
    raise RuntimeError("PrintDesk never downgrades: restore a backup instead")
