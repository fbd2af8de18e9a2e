"""`printdesk rebuild` recreates the database from the job folders' metadata.json alone."""

from __future__ import annotations

from dataclasses import asdict

from core.config import Config
from core.desk import Desk, open_desk
from core.ops.rebuild import rebuild
from tests.helpers import PASSWORD, submit


def snapshot(desk: Desk) -> tuple[list[dict], list[dict]]:
    jobs = desk.queries.jobs()
    return ([asdict(j) for j in jobs],
            [asdict(e) for j in jobs for e in desk.queries.events(j.id)])


def varied_jobs(desk: Desk) -> None:
    w = desk.workflow
    a = submit(desk, student_name="Zoë Ångström").job
    a = w.approve(a.id, a.version, weight_g="47.3", print_time_h="3.2", material="Filament",
                  printer="Prusa XL")
    b = submit(desk, print_method="Resin", color="Clear", printer="Formlabs Form 3").job
    b = w.reject(b.id, b.version, ["Walls too thin", "Custom: <b>bold</b> & \"quotes\""])
    c = submit(desk).job
    c = w.approve(c.id, c.version, weight_g="12", print_time_h="1", material="Filament",
                  printer="Prusa MK4S")
    c = w.confirm_on_behalf(c.id, c.version, "confirmed in person")
    c = w.start_printing(c.id, c.version)
    c = w.complete(c.id, c.version)
    c = w.picked_up(c.id, c.version, "3")
    d = submit(desk, model_name="teapot.stl").job
    d = w.edit_notes(d.id, d.version, "line one\nline two ✓")
    w.mark_reviewed(d.id, d.version)


def test_rebuild_reproduces_jobs_and_events_field_for_field(config: Config, desk: Desk) -> None:
    varied_jobs(desk)
    before = snapshot(desk)
    confirm_url = desk.queries.confirm_url(before[0][0]["id"])
    desk.close()
    report = rebuild(config)
    assert (report.jobs, report.events) == (4, len(before[1]))
    assert report.problems == [] and report.settings_carried
    assert report.kept_old_database is not None and report.kept_old_database.exists()
    rebuilt = open_desk(config)
    try:
        assert snapshot(rebuilt) == before
        # Settings came along: the staff password and the pending student's link still work.
        assert rebuilt.check_password(PASSWORD)
        assert rebuilt.queries.confirm_url(before[0][0]["id"]) == confirm_url
        # New events continue after the old ones.
        job = rebuilt.queries.job(before[0][0]["id"])
        rebuilt.workflow.mark_reviewed(job.id, job.version)
        assert rebuilt.queries.events(job.id)[-1].id > max(e["id"] for e in before[1])
    finally:
        rebuilt.close()


def test_rebuild_without_the_old_database_makes_a_new_secret(config: Config, desk: Desk) -> None:
    varied_jobs(desk)
    before = snapshot(desk)
    desk.close()
    for suffix in ("", "-wal", "-shm"):
        path = config.data_dir / f"printdesk.db{suffix}"
        path.unlink(missing_ok=True)
    report = rebuild(config)
    assert report.jobs == 4 and not report.settings_carried
    rebuilt = open_desk(config)
    try:
        assert snapshot(rebuilt) == before
        assert not rebuilt.has_password()
    finally:
        rebuilt.close()


def test_rebuild_reports_an_unreadable_metadata_file(config: Config, desk: Desk) -> None:
    good, bad = submit(desk).job, submit(desk).job
    desk.close()
    (config.storage_root / "Uploaded" / bad.folder_name / "metadata.json").write_text("{oops")
    report = rebuild(config)
    assert report.jobs == 1
    assert [p.kind for p in report.problems if not p.repaired] == ["unreadable_metadata"]
    assert bad.folder_name in report.problems[0].message
    rebuilt = open_desk(config, repair=False)
    try:
        assert [j.id for j in rebuilt.queries.jobs()] == [good.id]
    finally:
        rebuilt.close()
