"""The one transition unit (core.jobs.unit): what an action declares is written together or not
at all, and every action reports what it changed."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from core.desk import Desk
from core.domain.errors import ConcurrencyError, StorageError
from core.domain.statuses import Action, Actor, Status
from core.jobs.unit import THUMBNAIL_TASK, Draft, Message, run_unit, transition
from storage.tables import EventRow, JobRow, OutboxRow, TaskRow
from tests.helpers import submit


def counts(desk: Desk) -> tuple[int, int, int]:
    with desk.db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(t))
                     for t in (EventRow, OutboxRow, TaskRow))


def folder_of(desk: Desk, job) -> str:
    [where] = desk.store.locate(job.folder_name)
    return where


MESSAGE = Message("test", "jane.doe@example.edu", "Subject", "Body text", "<p>Body</p>")


def everything(draft: Draft, row: JobRow) -> dict:
    """An action that declares one of each effect."""
    draft.event("note", Actor.SYSTEM, {"extra": True})
    draft.message(MESSAGE)
    draft.task("probe")
    folder = draft.ctx.store.job_dir(row.status, row.folder_name)
    (folder / "scratch.txt").write_text("to remove")
    draft.remove_file("scratch.txt")
    row.staff_notes = "changed"
    return {"all": "of it"}


def test_every_effect_is_written_in_the_same_unit(desk: Desk) -> None:
    job = submit(desk).job
    before = counts(desk)
    changed = transition(desk, job.id, Action.APPROVE, expected_version=job.version,
                         apply=everything)
    assert changed.status is Status.PENDING and changed.version == job.version + 1
    assert changed.previous_version == job.version
    effects = changed.effects
    assert [e.type for e in effects.events] == ["note", "approve"]
    assert effects.events[1].details == {"all": "of it"}
    assert len(effects.messages) == 1 and effects.tasks == ("probe",)
    assert effects.moved == ("Uploaded", "Pending") and effects.removed == ("scratch.txt",)
    assert counts(desk) == (before[0] + 2, before[1] + 1, before[2] + 1)
    with desk.db.read() as session:
        outbox = session.get(OutboxRow, effects.messages[0])
        assert (outbox.to_addr, outbox.subject, outbox.state) == (MESSAGE.to, "Subject", "queued")
    folder = desk.store.job_dir("Pending", job.folder_name)
    assert not (folder / "scratch.txt").exists()
    assert desk.queries.job(job.id).staff_notes == "changed"
    assert desk.recovery.run(repair=False, deep=True) == []  # metadata.json written, agrees


def test_an_action_that_fails_leaves_nothing(desk: Desk) -> None:
    job = submit(desk).job
    before = counts(desk)

    def half_then_fail(draft: Draft, row: JobRow) -> dict:
        everything(draft, row)
        raise ValueError("refused half-way")

    with pytest.raises(ValueError, match="half-way"):
        transition(desk, job.id, Action.APPROVE, expected_version=job.version,
                   apply=half_then_fail)
    assert counts(desk) == before
    assert desk.queries.job(job.id) == job
    assert folder_of(desk, job) == "Uploaded"


def test_a_failed_commit_moves_the_folder_back_and_leaves_nothing(desk: Desk) -> None:
    """COMMIT itself fails (disk full, a lost server) after the folder was renamed."""
    job = submit(desk).job
    before = counts(desk)

    def refuse(_connection) -> None:
        raise OSError(28, "No space left on device")

    event.listen(desk.db.engine, "commit", refuse)
    try:
        with pytest.raises(OSError):
            transition(desk, job.id, Action.APPROVE, expected_version=job.version,
                       apply=everything)
    finally:
        event.remove(desk.db.engine, "commit", refuse)
    assert counts(desk) == before
    assert desk.queries.job(job.id) == job
    assert folder_of(desk, job) == "Uploaded"
    assert desk.recovery.run(repair=False, deep=True) == []


def test_a_failed_commit_of_a_submission_leaves_no_folder(desk: Desk) -> None:
    def refuse(_connection) -> None:
        raise OSError(28, "No space left on device")

    event.listen(desk.db.engine, "commit", refuse)
    try:
        with pytest.raises(OSError):
            submit(desk)
    finally:
        event.remove(desk.db.engine, "commit", refuse)
    assert desk.queries.jobs() == []
    assert [p for p in desk.store.root.rglob("*") if p.is_file() and ".locks" not in p.parts] == []


def test_a_stale_version_changes_nothing(desk: Desk) -> None:
    job = submit(desk).job
    desk.workflow.mark_reviewed(job.id, job.version)
    before = counts(desk)
    with pytest.raises(ConcurrencyError, match="changed by someone else"):
        transition(desk, job.id, Action.APPROVE, expected_version=job.version, apply=everything)
    assert counts(desk) == before


def test_a_submission_queues_its_thumbnail_and_wakes_a_worker(desk: Desk) -> None:
    woken: list[bool] = []
    desk.task_listeners.append(lambda: woken.append(True))
    changed = submit(desk).job
    assert changed.effects.tasks == (THUMBNAIL_TASK,)
    assert changed.effects.moved == (".incoming", "Uploaded")
    assert woken == [True]
    with desk.db.read() as session:
        assert session.scalars(select(TaskRow.kind).where(TaskRow.job_id == changed.id)).all() \
            == [THUMBNAIL_TASK]


def test_every_workflow_action_reports_its_event_and_versions(desk: Desk) -> None:
    w = desk.workflow
    job = submit(desk).job
    steps = [
        lambda j: w.mark_reviewed(j.id, j.version),
        lambda j: w.edit_notes(j.id, j.version, "checked"),
        lambda j: w.approve(j.id, j.version, weight_g="20", print_time_h="1",
                            material="Filament", printer="Prusa MK4S"),
        lambda j: w.resend_confirmation(j.id, j.version),
        lambda j: w.confirm_on_behalf(j.id, j.version, "in person"),
        lambda j: w.start_printing(j.id, j.version),
        lambda j: w.print_failed(j.id, j.version, "warped"),
        lambda j: w.start_printing(j.id, j.version),
        lambda j: w.complete(j.id, j.version),
        lambda j: w.picked_up(j.id, j.version, "3.00"),
        lambda j: w.override_status(j.id, j.version, Status.COMPLETED, "paid twice"),
    ]
    for step in steps:
        changed = step(job)
        assert changed.previous_version == job.version and changed.version == job.version + 1
        [event_] = changed.effects.events
        assert desk.queries.events(job.id)[-1] == event_
        assert changed == desk.queries.job(job.id)  # the change is the job as stored
        job = changed


def test_repairs_are_units_too(desk: Desk) -> None:
    """A folder left in the wrong status folder is moved back by a unit with a repair event."""
    job = submit(desk).job
    desk.store.move(job.folder_name, "Uploaded", "Printing")  # as a crash would leave it
    [problem] = desk.recovery.run(repair=True)
    assert problem.kind == "misplaced_folder" and problem.repaired
    assert folder_of(desk, job) == "Uploaded"
    repaired = desk.queries.job(job.id)
    assert desk.queries.events(job.id)[-1].type == "repair"
    assert repaired.version == job.version + 1
    assert desk.recovery.run(repair=False, deep=True) == []


def test_a_store_refusal_is_a_storage_error(desk: Desk) -> None:
    job = submit(desk).job
    (desk.store.status_dir("Pending") / job.folder_name).mkdir()  # the target is taken

    with pytest.raises(StorageError, match="already exists"):
        run_unit(desk, job.id, lambda d: (d.load(), d.set_status(Status.PENDING)))
    assert desk.store.locate(job.folder_name) == ["Uploaded", "Pending"]  # neither touched
    assert desk.queries.job(job.id) == job


def test_a_batch_of_new_jobs_lands_whole_or_not_at_all(desk) -> None:
    """`printdesk demo` writes its jobs in batches: the real workflow, one transaction, each
    folder moved and its metadata.json written once."""
    import json

    from core.jobs.batch import new_jobs_batch
    from core.ops.recovery import Recovery

    def folders() -> list[str]:
        return sorted(p.name for p in desk.store.root.glob("*/*") if p.is_dir()
                      and not p.parent.name.startswith("."))

    with pytest.raises(RuntimeError, match="stop here"), new_jobs_batch(desk):
        job = submit(desk).job
        desk.workflow.approve(job.id, job.version, weight_g="12", print_time_h="1",
                              material="Filament", printer="Prusa MK4S")
        raise RuntimeError("stop here")
    assert desk.queries.jobs() == [] and folders() == []
    assert list((desk.store.root / ".incoming").iterdir()) == []

    with new_jobs_batch(desk):
        first = submit(desk).job
        approved = desk.workflow.approve(first.id, first.version, weight_g="12",
                                         print_time_h="1", material="Filament",
                                         printer="Prusa MK4S")
        second = submit(desk).job
    job = desk.queries.job(first.id)
    assert job.status.value == "Pending" and job.version == approved.version
    document = json.loads((desk.store.job_dir("Pending", job.folder_name) / "metadata.json")
                          .read_text())
    assert document["job"]["version"] == job.version and document["job"]["status"] == "Pending"
    assert [e["type"] for e in document["events"]] == ["submit", "approve"]
    assert desk.store.job_dir("Uploaded", desk.queries.job(second.id).folder_name).is_dir()
    assert Recovery(desk).run(repair=False) == []

    # Only the batch's own new jobs: touching an older one undoes the whole batch.
    with pytest.raises(RuntimeError, match="only changes the jobs it created"), \
            new_jobs_batch(desk):
        submit(desk)
        desk.workflow.mark_reviewed(second.id, None)
    assert len(desk.queries.jobs()) == 2 and len(folders()) == 2
