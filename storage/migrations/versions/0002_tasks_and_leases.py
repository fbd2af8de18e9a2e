"""Background work: a task queue filled in the same transaction as the change that needs it,
and a lease so exactly one worker runs at a time. Every existing job gets its thumbnail task
(thumbnails used to be drawn by whichever console showed the job first).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_tasks_state_due", "tasks", ["state", "due_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(30), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("machine", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("acquired_at", sa.DateTime, nullable=False),
        sa.Column("renewed_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.execute(
        "INSERT INTO tasks (job_id, kind, state, attempts, due_at, created_at) "
        "SELECT id, 'thumbnail', 'queued', 0, submitted_at, submitted_at FROM jobs"
    )


def downgrade() -> None:
    raise RuntimeError("PrintDesk never downgrades: restore a backup instead")
