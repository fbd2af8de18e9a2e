"""Backups made while the desk works, and restores that write nothing from a bad archive."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import load_config
from core.desk import Desk, open_desk
from core.ops.backup import LAST_BACKUP, make_backup, rotate, scheduled_backup
from core.ops.backup_archive import (
    SQLITE_MEMBER,
    BackupError,
    archive_name,
    archives_in,
    read_manifest,
    verify,
)
from core.ops.recovery import Recovery
from core.worker.tasks import make_worker
from printdesk.cli import main as cli
from tests.helpers import submit
from tests.realsize import model_of_size
from tests.test_postgres_workflow import pg_config, pg_desk  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent

# Another process that keeps submitting and acting (the intake and the console at work).
BUSY = """
import sys, time
from core.config import load_config
from core.desk import open_desk
from tests.helpers import submit
from tests.test_postgres_workflow import pg_config, pg_desk  # noqa: F401 - fixtures
desk = open_desk(load_config(data_dir=sys.argv[1], env={}))
print("ready", flush=True)
n, stop = 0, time.monotonic() + float(sys.argv[2])
while time.monotonic() < stop:
    job = submit(desk, student_email=f"busy{n}@example.edu").job
    if n % 2:
        desk.workflow.approve(job.id, job.version, weight_g="12", print_time_h="1",
                              material="Filament", printer=job.printer)
    else:
        desk.workflow.reject(job.id, job.version, ["Walls too thin"])
    n += 1
print(n, flush=True)
desk.close()
"""


def rows(db_path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(db_path) as db:
        jobs = db.execute("SELECT id, status, version, folder_name FROM jobs ORDER BY id").fetchall()
        events = db.execute("SELECT id, job_id, type FROM events ORDER BY id").fetchall()
    return jobs, events


def test_backup_while_another_process_works_restores_what_it_saw(desk: Desk, tmp_path: Path
                                                                  ) -> None:
    for n in range(6):
        submit(desk, student_email=f"before{n}@example.edu")
    busy = subprocess.Popen([sys.executable, "-c", BUSY, str(desk.config.data_dir), "6"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert busy.stdout is not None and busy.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # let it get going: the backup must run while it writes
    results = [make_backup(desk, tmp_path / "backups") for _ in range(2)]
    done = int(busy.stdout.readline())
    assert busy.wait(timeout=60) == 0 and done > 0

    archive = results[-1].path
    manifest = verify(archive)
    restored = tmp_path / "restored"
    assert cli(["restore", "--data", str(restored), str(archive)]) == 0

    # The restored database is the snapshot the archive holds, row for row.
    with zipfile.ZipFile(archive) as zipped:
        (tmp_path / "snap.db").write_bytes(zipped.read(SQLITE_MEMBER))
    assert rows(restored / "printdesk.db") == rows(tmp_path / "snap.db")
    jobs, _ = rows(restored / "printdesk.db")
    assert len(jobs) == manifest["jobs"] >= 6
    # Every file is the one backed up, and each job's folder is where its row says.
    for member, entry in manifest["files"].items():
        if member.startswith("storage/"):
            data = (restored / member).read_bytes()
            assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    for _job_id, status, _version, folder in jobs:
        assert (restored / "storage" / status / folder).is_dir()
    again = open_desk(load_config(data_dir=restored, env={}), repair=False)
    try:
        problems = Recovery(again).run(repair=True, deep=True)
        assert all(p.repaired for p in problems), problems  # at most newer metadata.json files
        assert Recovery(again).run(repair=False, deep=True) == []
    finally:
        again.close()
    assert oct((restored / "printdesk.db").stat().st_mode & 0o777) == "0o600"


def corrupt_copies(archive: Path, folder: Path) -> dict[str, Path]:
    folder.mkdir()
    data = archive.read_bytes()
    truncated = folder / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    flipped = folder / "flipped.zip"
    with zipfile.ZipFile(archive) as src:
        model = next(i for i in src.infolist() if i.filename.endswith(".stl"))
        offset = model.header_offset + 30 + len(model.filename.encode()) + len(model.extra) + 100
    changed = bytearray(data)
    changed[offset] ^= 0xFF
    flipped.write_bytes(bytes(changed))
    no_manifest = folder / "no-manifest.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(no_manifest, "w") as dst:
        for info in src.infolist():
            if info.filename != "manifest.json":
                dst.writestr(info, src.read(info.filename))
    return {"truncated": truncated, "flipped": flipped, "no manifest": no_manifest}


def test_a_bad_archive_or_a_full_folder_is_refused_with_nothing_written(
        desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    submit(desk)
    archive = make_backup(desk, tmp_path / "backups").path
    for what, bad in corrupt_copies(archive, tmp_path / "bad").items():
        target = tmp_path / f"into-{what.replace(' ', '-')}"
        assert cli(["restore", "--data", str(target), str(bad)]) == 2, what
        said = capsys.readouterr().err
        assert "nothing was written" in said and "Traceback" not in said, said
        assert not target.exists(), what
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".printdesk-restore")]
    with pytest.raises(BackupError, match="damaged"):
        verify(tmp_path / "bad" / "flipped.zip")
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("the lab's own file")
    assert cli(["restore", "--data", str(full), str(archive)]) == 4
    assert sorted(p.name for p in full.iterdir()) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli(["restore", "--data", str(empty), str(archive)]) == 0
    assert (empty / "printdesk.db").is_file()


def test_keeping_the_newest_archives_removes_only_printdesk_archives(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    names = [archive_name(start + timedelta(days=d)) for d in range(5)]
    for name in names:
        (folder / name).write_bytes(b"x")
    (folder / "lab-notes.zip").write_bytes(b"mine")
    (folder / "printdesk-backup-old-copy.zip").write_bytes(b"mine too")
    removed = rotate(folder, keep=3)
    assert [p.name for p in removed] == names[:2]
    assert [p.name for p in archives_in(folder)] == names[2:]
    assert (folder / "lab-notes.zip").exists() and (folder / "printdesk-backup-old-copy.zip").exists()


def test_the_worker_backs_up_when_due_and_not_before(desk: Desk, tmp_path: Path) -> None:
    folder = tmp_path / "scheduled"
    env = {"PRINTDESK_BACKUP_SCHEDULED": "true", "PRINTDESK_BACKUP_FOLDER": str(folder),
           "PRINTDESK_BACKUP_KEEP": "2", "PRINTDESK_BACKUP_EVERY_HOURS": "24"}
    desk.close()
    busy = open_desk(load_config(data_dir=desk.config.data_dir, env=env))
    try:
        submit(busy)
        make_worker(busy).run_once()
        assert len(archives_in(folder)) == 1  # never backed up: due at once
        make_worker(busy).run_once()
        assert len(archives_in(folder)) == 1  # made minutes ago: not due
        last = json.loads(busy.get_setting(LAST_BACKUP) or "{}")
        assert last["ok"] and last["path"] == str(archives_in(folder)[0])
        # A day later it is due again, and only the newest two are kept.
        for days in (1, 2):
            stamp = datetime.now(UTC) - timedelta(days=days, hours=1)
            busy.set_setting(LAST_BACKUP, json.dumps({**last, "at": stamp.isoformat()}))
            for path in archives_in(folder):
                path.rename(path.with_name(archive_name(stamp - timedelta(minutes=len(
                    archives_in(folder))))))
            assert scheduled_backup(busy) is not None
        assert len(archives_in(folder)) == 2
        off = open_desk(load_config(data_dir=desk.config.data_dir, env={}), repair=False)
        try:
            assert scheduled_backup(off) is None  # the tests' folder: scheduled = false
        finally:
            off.close()
    finally:
        busy.close()


def test_a_relative_backup_folder_is_under_the_data_folder(desk: Desk, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A service runs from another working folder: `[backup] folder = "kept"` means
    <data folder>/kept for the backup, the worker's rotation and doctor's search alike."""
    from core.ops.backup_lookup import find_file

    job = submit(desk).job
    desk.close()
    monkeypatch.chdir(tmp_path)  # not the data folder
    relative = open_desk(load_config(data_dir=desk.config.data_dir,
                                     env={"PRINTDESK_BACKUP_FOLDER": "kept"}), repair=False)
    try:
        result = make_backup(relative)
        assert result.path.parent == desk.config.data_dir / "kept"
        assert not (tmp_path / "kept").exists()
        found = find_file(relative.config, job.file_sha256, job.file_size)
        assert found is not None and found.archive == result.path
    finally:
        relative.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_archives_are_shared_with_the_data_folders_group_only(desk: Desk) -> None:
    """On a lab PC the worker (the `printdesk` account) and the staff's console both back up
    into one folder and rotate each other's archives (packaging/linux shares the data folder
    with the group, 2770): the group may read and write them, other users never."""
    submit(desk)
    os.chmod(desk.config.data_dir, 0o2770)
    result = make_backup(desk)
    assert result.path.stat().st_mode & 0o777 == 0o660
    assert result.path.parent.stat().st_mode & 0o2777 == 0o2770  # new archives keep the group


def test_a_real_size_backup_streams_and_checks(desk: Desk, tmp_path: Path) -> None:
    """Three 40 MB models: the archive holds them byte for byte (read in chunks); the time
    against a plain copy of the same folder is printed for the record."""
    from core.domain.values import Upload
    from tests.helpers import form

    big = model_of_size(tmp_path, "stl", 40)
    for n in range(3):
        desk.workflow.submit(form(student_email=f"big{n}@example.edu"),
                             Upload(big, f"big{n}.stl"))
    started = time.monotonic()
    result = make_backup(desk, tmp_path / "backups")
    backup_s = time.monotonic() - started
    started = time.monotonic()
    shutil.copytree(desk.store.root, tmp_path / "plain-copy")
    copy_s = time.monotonic() - started
    manifest = read_manifest(result.path)
    print(f"backup {result.size / 2**20:.0f} MB in {backup_s:.2f} s, plain copy {copy_s:.2f} s")
    assert verify(result.path) == manifest
    assert os.stat(result.path).st_mode & 0o077 == 0  # students' data: owner only


@pytest.mark.postgres
def test_a_postgresql_desk_is_backed_up_with_pg_dump(pg_desk: Desk, tmp_path: Path,  # noqa: F811
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    job = submit(pg_desk).job
    result = make_backup(pg_desk, tmp_path / "backups")
    manifest = verify(result.path)
    assert manifest["database"] == "postgresql" and manifest["jobs"] == 1
    assert "database/printdesk.pgdump" in manifest["files"]
    assert any(m.endswith(f"{job.folder_name}/{job.upload_file}") for m in manifest["files"])
    with zipfile.ZipFile(result.path) as zipped:
        dump = tmp_path / "printdesk.pgdump"
        dump.write_bytes(zipped.read("database/printdesk.pgdump"))
    listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True,
                            timeout=60)
    assert listed.returncode == 0 and "TABLE DATA public jobs" in listed.stdout
    # restore does not pretend to load a server: it says how, and writes nothing.
    target = tmp_path / "restored"
    assert cli(["restore", "--data", str(target), str(result.path)]) == 2
    assert "pg_restore" in capsys.readouterr().err and not target.exists()
