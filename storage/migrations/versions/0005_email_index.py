"""An index on the lower-cased email, which the per-student cap reads at every submission (it
scanned every job: 10,000 jobs cost a few ms per submission, and more as the years go by).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_email_lower", "jobs", [sa.text("lower(student_email)")])


def downgrade() -> None:
    raise RuntimeError("PrintDesk never downgrades: restore a backup instead")
