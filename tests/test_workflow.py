"""Every action of SPEC §3 through the workflow service, against a real SQLite file and folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.desk import Desk, open_desk
from core.domain.errors import (
    ConcurrencyError,
    StorageError,
    TokenError,
    TransitionRefused,
    ValidationError,
)
from core.domain.statuses import Status
from core.domain.values import Job, Upload
from tests.helpers import model, submit


def folder_of(desk: Desk, job: Job) -> str:
    found = [p.parent.name for p in desk.store.root.glob(f"*/{job.folder_name}")]
    assert len(found) == 1, found
    return found[0]


def metadata(desk: Desk, job: Job) -> dict:
    path = desk.store.root / job.status.value / job.folder_name / "metadata.json"
    return json.loads(path.read_text())


def event_types(desk: Desk, job: Job) -> list[str]:
    return [e.type for e in desk.queries.events(job.id)]


def approved(desk: Desk, **kw: str) -> Job:
    job = submit(desk, **kw).job
    return desk.workflow.approve(job.id, job.version, weight_g="47.3", print_time_h="2.1",
                                 material="Filament", printer="Prusa MK4S")


def token_of(desk: Desk, job: Job) -> str:
    url = desk.queries.confirm_url(job.id)
    assert url is not None
    return url.rsplit("/", 1)[1]


def test_submit_creates_row_event_folder_and_metadata(desk: Desk) -> None:
    result = submit(desk, filename="My Cube (final).STL", student_name="José O'Brien")
    job = result.job
    assert job.status is Status.UPLOADED and job.version == 1 and job.is_new
    assert job.folder_name == f"JoseOBrien_Filament_Blue_{job.short_id}"
    assert job.upload_file == job.folder_name + ".stl" == job.authoritative_file
    assert job.original_filename == "My Cube (final).STL"
    stored = desk.store.root / "Uploaded" / job.folder_name / job.upload_file
    assert stored.read_bytes() == model("20mm-xyz-cube.stl").read_bytes()
    assert stored.stat().st_size == job.file_size
    doc = metadata(desk, job)
    assert doc["job"]["student_name"] == "José O'Brien"
    assert [e["type"] for e in doc["events"]] == ["submit"]
    assert event_types(desk, job) == ["submit"]
    assert desk.queries.job(job.short_id) == job
    assert not list((desk.store.root / ".incoming").iterdir())


def test_refused_submission_leaves_nothing(desk: Desk) -> None:
    with pytest.raises(ValidationError) as caught:
        submit(desk, student_name="J", color="Black")  # Black is a resin color
    assert set(caught.value.errors) == {"student_name", "color"}
    assert desk.queries.jobs() == []
    assert not [p for p in desk.store.root.rglob("*") if p.is_file() and p.suffix != ".lock"]


def test_full_happy_path_moves_the_folder_each_step(desk: Desk) -> None:
    job = approved(desk)
    assert (job.status, job.cost, job.print_time_h) == (Status.PENDING, Decimal("4.73"),
                                                         Decimal("2.5"))
    assert folder_of(desk, job) == "Pending"
    job = desk.workflow.confirm(token_of(desk, job))
    assert job.status is Status.READY_TO_PRINT and folder_of(desk, job) == "ReadyToPrint"
    job = desk.workflow.start_printing(job.id, job.version)
    job = desk.workflow.print_failed(job.id, job.version, "spaghetti at layer 40")
    assert job.status is Status.READY_TO_PRINT
    job = desk.workflow.start_printing(job.id, job.version)
    job = desk.workflow.complete(job.id, job.version)
    job = desk.workflow.picked_up(job.id, job.version, "4.73")
    assert (job.status, job.amount_paid) == (Status.PAID_PICKED_UP, Decimal("4.73"))
    assert folder_of(desk, job) == "PaidPickedUp"
    assert event_types(desk, job) == ["submit", "approve", "confirm", "start_printing",
                                      "print_failed", "start_printing", "complete", "picked_up"]
    assert [e["type"] for e in metadata(desk, job)["events"]] == event_types(desk, job)
    assert metadata(desk, job)["job"]["status"] == "PaidPickedUp"
    events = desk.queries.events(job.id)
    assert [e.actor.value for e in events][:3] == ["student", "staff", "student"]
    assert all(e.machine == desk.machine and e.at.tzinfo is UTC for e in events)


def test_reject_needs_a_reason_and_records_them(desk: Desk) -> None:
    job = submit(desk).job
    with pytest.raises(ValidationError):
        desk.workflow.reject(job.id, job.version, ["  ", ""])
    assert desk.queries.job(job.id).status is Status.UPLOADED
    job = desk.workflow.reject(job.id, job.version, ["Walls too thin", "Walls too thin", "x"])
    assert job.reject_reasons == ("Walls too thin", "x")
    assert folder_of(desk, job) == "Rejected"


def test_approve_validates_every_value(desk: Desk) -> None:
    job = submit(desk).job
    with pytest.raises(ValidationError) as caught:
        desk.workflow.approve(job.id, job.version, weight_g="0", print_time_h="abc",
                              material="Resin", printer="Prusa MK4S")
    assert set(caught.value.errors) == {"weight_g", "print_time_h", "printer"}
    assert desk.queries.job(job.id).version == job.version


def test_confirmation_tokens_die_when_used_replaced_expired_or_tampered(config, desk) -> None:
    job = approved(desk)
    first = token_of(desk, job)
    job = desk.workflow.resend_confirmation(job.id, job.version)
    second = token_of(desk, job)
    with pytest.raises(TokenError) as caught:
        desk.workflow.confirm(first)
    assert caught.value.reason == "replaced"
    with pytest.raises(TokenError) as caught:
        desk.workflow.confirm(second[:-3] + "abc")
    assert caught.value.reason == "tampered"
    later = open_desk(config, now=lambda: datetime.now(UTC) + timedelta(days=8))
    with pytest.raises(TokenError) as caught:
        later.workflow.confirm(second)
    assert caught.value.reason == "expired"
    later.close()
    assert desk.workflow.decline(second).status is Status.REJECTED
    with pytest.raises(TokenError) as caught:
        desk.workflow.confirm(second)
    assert caught.value.reason == "used"
    assert desk.queries.job(job.id).reject_reasons == ("Declined by student",)


def test_confirm_on_behalf_needs_a_note(desk: Desk) -> None:
    job = approved(desk)
    with pytest.raises(ValidationError):
        desk.workflow.confirm_on_behalf(job.id, job.version, "")
    job = desk.workflow.confirm_on_behalf(job.id, job.version, "confirmed in person")
    assert job.status is Status.READY_TO_PRINT
    assert desk.queries.confirm_url(job.id) is None
    assert desk.queries.events(job.id)[-1].details == {"note": "confirmed in person"}


def test_refused_transition_names_job_status_and_action(desk: Desk) -> None:
    job = submit(desk).job
    with pytest.raises(TransitionRefused) as caught:
        desk.workflow.complete(job.id, job.version)
    message = str(caught.value)
    assert job.short_id in message and "Uploaded" in message and "Complete" in message
    assert desk.queries.job(job.id) == job and folder_of(desk, job) == "Uploaded"


def test_stale_version_is_a_concurrency_error_and_changes_nothing(desk: Desk) -> None:
    job = submit(desk).job
    desk.workflow.mark_reviewed(job.id, job.version)
    with pytest.raises(ConcurrencyError, match="changed by someone else"):
        desk.workflow.reject(job.id, job.version, ["late"])
    fresh = desk.queries.job(job.id)
    assert fresh.status is Status.UPLOADED and fresh.reviewed and fresh.version == 2


def test_override_reviewed_notes_and_fields(desk: Desk) -> None:
    job = submit(desk).job
    with pytest.raises(ValidationError):
        desk.workflow.override_status(job.id, job.version, Status.COMPLETED, "")
    job = desk.workflow.override_status(job.id, job.version, "Completed", "printed by hand")
    assert job.status is Status.COMPLETED and folder_of(desk, job) == "Completed"
    with pytest.raises(ValidationError):
        desk.workflow.override_status(job.id, job.version, Status.COMPLETED, "again")
    job = desk.workflow.mark_reviewed(job.id, job.version)
    job = desk.workflow.mark_reviewed(job.id, job.version, reviewed=False)
    assert job.is_new
    job = desk.workflow.edit_notes(job.id, job.version, "needs supports")
    assert job.staff_notes == "needs supports"
    job = desk.workflow.edit_fields(job.id, job.version, {"color": "Green", "class_number": "N/A"})
    assert (job.color, job.class_number) == ("Green", "N/A")
    assert desk.queries.events(job.id)[-1].details["changes"]["color"] == ["Blue", "Green"]
    with pytest.raises(ValidationError) as caught:
        desk.workflow.edit_fields(job.id, job.version, {"color": "White", "folder_name": "x"})
    assert "folder_name" in caught.value.errors
    assert event_types(desk, job)[-5:] == ["override_status", "mark_reviewed",
                                           "mark_unreviewed", "edit_notes", "edit_fields"]


def test_the_email_cap_is_rechecked_inside_the_write(desk) -> None:
    from core.jobs.submit import _store, check_submission
    from tests.helpers import form

    for _ in range(desk.config.limits.max_active_jobs_per_email - 1):
        submit(desk, student_email="twotabs@example.edu")
    # Two browser tabs: both pass the early check before either is stored.
    upload = Upload(model("20mm-xyz-cube.stl"), "cube.stl")
    first = check_submission(desk, form(student_email="twotabs@example.edu"), upload)
    second = check_submission(desk, form(student_email="twotabs@example.edu"), upload)
    _store(desk, *first, upload)
    with pytest.raises(ValidationError) as caught:
        _store(desk, *second, upload)
    assert "already have 5 jobs" in caught.value.errors["student_email"]
    assert len(desk.queries.jobs()) == 5
    assert list((desk.store.root / ".incoming").iterdir()) == []
    assert len(list((desk.store.root / "Uploaded").iterdir())) == 5


def test_a_name_clash_never_deletes_the_existing_folder(desk, monkeypatch) -> None:
    import core.domain.naming

    monkeypatch.setattr(core.domain.naming, "new_short_id", lambda length=6: "abc123")
    existing = desk.store.root / "Uploaded" / "JaneDoe_Filament_Blue_abc123"
    existing.mkdir()
    (existing / "precious.gcode").write_text("G1 X0")
    with pytest.raises(StorageError):
        submit(desk)
    assert (existing / "precious.gcode").read_text() == "G1 X0"
    assert desk.queries.jobs() == []
    assert list((desk.store.root / ".incoming").iterdir()) == []


def test_absurd_amounts_are_refused_readably(desk) -> None:
    job = submit(desk).job
    job = desk.workflow.override_status(job.id, job.version, "Completed", "test")
    with pytest.raises(ValidationError, match="too large"):
        desk.workflow.picked_up(job.id, job.version, "1e999999")
