"""A job's quote suggestion: the weight and print time a slicer reported, from a sliced file
staff saved into the job's folder or from the worker's automatic estimate, with where it came
from; the approve dialog starts from it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("quote_suggestion", sa.JSON, nullable=True))


def downgrade() -> None:
    raise RuntimeError("PrintDesk never downgrades: restore a backup instead")
