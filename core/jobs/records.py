"""Conversions between database rows, plain values and `metadata.json` documents.

metadata.json holds every job column and every event, so the database can be rebuilt from the
job folders alone; the conversion is generic over the table's columns so a new column can't be
forgotten.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain.statuses import Actor, Status
from core.domain.values import Event, Job
from storage.tables import EventRow, JobRow
from storage.types import ExactDecimal, UTCDateTime

METADATA_FORMAT = 1
JOB_COLUMNS = tuple(c.key for c in JobRow.__table__.columns if c.key != "metadata_version")
EVENT_COLUMNS = tuple(c.key for c in EventRow.__table__.columns)
# Columns added after metadata.json's format 1 was first written: older files lack them.
OPTIONAL_COLUMNS = frozenset({"status_changed_at", "quote_suggestion"})


def job_value(row: JobRow) -> Job:
    return Job(
        id=row.id,
        short_id=row.short_id,
        folder_name=row.folder_name,
        status=Status(row.status),
        version=row.version,
        student_name=row.student_name,
        student_email=row.student_email,
        discipline=row.discipline,
        class_number=row.class_number,
        print_method=row.print_method,
        color=row.color,
        printer=row.printer,
        original_filename=row.original_filename,
        upload_file=row.upload_file,
        authoritative_file=row.authoritative_file,
        file_size=row.file_size,
        file_sha256=row.file_sha256,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        reviewed=row.reviewed,
        staff_notes=row.staff_notes,
        material=row.material,
        weight_g=row.weight_g,
        print_time_h=row.print_time_h,
        cost=row.cost,
        amount_paid=row.amount_paid,
        reject_reasons=tuple(row.reject_reasons or ()),
        confirm_expires_at=row.confirm_expires_at,
        analysis=row.analysis,
        status_changed_at=row.status_changed_at,
        quote_suggestion=row.quote_suggestion,
    )


def event_value(row: EventRow) -> Event:
    return Event(
        id=row.id,
        job_id=row.job_id,
        type=row.type,
        at=row.at,
        actor=Actor(row.actor),
        machine=row.machine,
        details=dict(row.details or {}),
    )


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(table: Any, key: str) -> Any:
    column_type = table.columns[key].type
    if isinstance(column_type, UTCDateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(column_type, ExactDecimal):
        return lambda v: None if v is None else Decimal(v)
    return lambda v: v


def row_dict(row: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {key: _encode(getattr(row, key)) for key in columns}


def metadata_document(job: JobRow, events: list[EventRow]) -> dict[str, Any]:
    return {
        "format": METADATA_FORMAT,
        "written_by": "PrintDesk",
        "job": row_dict(job, JOB_COLUMNS),
        "events": [row_dict(e, EVENT_COLUMNS) for e in events],
    }


def records_from_metadata(doc: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column dicts for a job and its events from a metadata.json document.

    Insert them with a Core `insert(JobRow.__table__)`: the ORM would restart `version` at 1.

    Raises KeyError/ValueError/TypeError when the document is malformed.
    """
    if doc.get("format") != METADATA_FORMAT:
        raise ValueError(f"unknown metadata format {doc.get('format')!r}")
    job_data = doc["job"]
    missing = [k for k in JOB_COLUMNS if k not in job_data and k not in OPTIONAL_COLUMNS]
    if missing:
        raise KeyError(missing[0])
    job = {k: _decoder(JobRow.__table__, k)(job_data.get(k)) for k in JOB_COLUMNS}
    job["metadata_version"] = job["version"]
    events = [
        {k: _decoder(EventRow.__table__, k)(e[k]) for k in EVENT_COLUMNS} for e in doc["events"]
    ]
    for event in events:
        if event["job_id"] != job["id"]:
            raise ValueError(f"event {event['id']} belongs to another job")
    return job, events
