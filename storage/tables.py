"""The database schema (SQLAlchemy 2.0 typed declarative). Alembic migrations mirror it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import ExactDecimal, UTCDateTime


class Base(DeclarativeBase):
    """The declarative base every PrintDesk table derives from."""


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    short_id: Mapped[str] = mapped_column(String(12), unique=True)
    folder_name: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Optimistic concurrency: every change bumps it; an action names the version it saw.
    version: Mapped[int] = mapped_column(Integer, default=1)
    student_name: Mapped[str] = mapped_column(String(100))
    student_email: Mapped[str] = mapped_column(String(100), index=True)
    discipline: Mapped[str] = mapped_column(String(60))
    class_number: Mapped[str] = mapped_column(String(50))
    print_method: Mapped[str] = mapped_column(String(30))
    color: Mapped[str] = mapped_column(String(40))
    printer: Mapped[str] = mapped_column(String(60))
    original_filename: Mapped[str] = mapped_column(String(255))
    upload_file: Mapped[str] = mapped_column(String(200))
    authoritative_file: Mapped[str] = mapped_column(String(200))
    file_size: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the job entered its current status (reminders, overdue pickups, time per stage).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_notes: Mapped[str] = mapped_column(Text, default="")
    material: Mapped[str | None] = mapped_column(String(30))
    weight_g: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    print_time_h: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    cost: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    amount_paid: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    reject_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    confirm_nonce: Mapped[str | None] = mapped_column(String(64))
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # {weight_g, print_time_h, source ("file" | "auto"), slicer, file, text}: what a slicer
    # reported, offered as the quote; or {source: "auto", error} when the estimate failed.
    quote_suggestion: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Bookkeeping, not a job field: the version last written to metadata.json. Start-up repair
    # rewrites only the files of rows where it lags, instead of reading every folder.
    metadata_version: Mapped[int] = mapped_column(Integer, default=0)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol


class EventRow(Base):
    """Append-only: triggers in the database refuse UPDATE and DELETE (see the migration)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(10))
    machine: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxRow(Base):
    """Emails written in the same transaction as the state change; a sender drains it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    to_addr: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The same for every attempt: a message resent after a crash is the same message.
    message_id: Mapped[str | None] = mapped_column(String(200))


class TaskRow(Base):
    """Background work queued in the same transaction as the change that needs it (a new job's
    thumbnail, ...); the one active worker drains it."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued / done / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class LeaseRow(Base):
    """Who may do the background work now: exactly one holder across processes and PCs, until
    its lease expires (a holder that dies stops renewing it, and another takes over)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    machine: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SettingRow(Base):
    """Small key/value store: the staff password hash, the signing secret, and such."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


Index("ix_jobs_status_submitted", JobRow.status, JobRow.submitted_at)
Index("ix_jobs_email_lower", func.lower(JobRow.student_email))
Index("ix_tasks_state_due", TaskRow.state, TaskRow.due_at)
Index("ix_outbox_state_next", OutboxRow.state, OutboxRow.next_attempt_at)
