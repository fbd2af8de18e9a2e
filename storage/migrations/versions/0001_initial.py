"""Initial schema: jobs, append-only events (enforced by triggers), outbox, settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DECIMAL = sa.String(40)  # storage.types.ExactDecimal keeps exact text

SQLITE_TRIGGERS = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION printdesk_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'events are append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION printdesk_events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION printdesk_events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("short_id", sa.String(12), nullable=False, unique=True),
        sa.Column("folder_name", sa.String(160), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("student_name", sa.String(100), nullable=False),
        sa.Column("student_email", sa.String(100), nullable=False, index=True),
        sa.Column("discipline", sa.String(60), nullable=False),
        sa.Column("class_number", sa.String(50), nullable=False),
        sa.Column("print_method", sa.String(30), nullable=False),
        sa.Column("color", sa.String(40), nullable=False),
        sa.Column("printer", sa.String(60), nullable=False),
        sa.Column("original_filename", sa.String(255), nullable=False),
        sa.Column("upload_file", sa.String(200), nullable=False),
        sa.Column("authoritative_file", sa.String(200), nullable=False),
        sa.Column("file_size", sa.Integer, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("reviewed", sa.Boolean, nullable=False),
        sa.Column("staff_notes", sa.Text, nullable=False),
        sa.Column("material", sa.String(30)),
        sa.Column("weight_g", DECIMAL),
        sa.Column("print_time_h", DECIMAL),
        sa.Column("cost", DECIMAL),
        sa.Column("amount_paid", DECIMAL),
        sa.Column("reject_reasons", sa.JSON, nullable=False),
        sa.Column("confirm_nonce", sa.String(64)),
        sa.Column("confirm_expires_at", sa.DateTime),
        sa.Column("analysis", sa.JSON),
        sa.Column("metadata_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_jobs_status_submitted", "jobs", ["status", "submitted_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(10), nullable=False),
        sa.Column("machine", sa.String(255), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id"), index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("to_addr", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("state", sa.String(10), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", sa.DateTime),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    triggers = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect)
    if triggers is None:
        raise RuntimeError(f"no append-only triggers written for {dialect}")
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    raise RuntimeError("PrintDesk never downgrades: restore a backup instead")
