"""`printdesk doctor [--repair]` through the real command: each inconsistency a test makes is
found, repaired where it can be (a model file from a backup archive), and the exit code says
whether problems remain."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from core.config import load_config
from core.desk import Desk, open_desk
from core.domain.values import Upload
from core.jobs.history import describe
from core.jobs.unit import THUMBNAIL_TASK
from core.mail.outbox import FAILED
from core.ops.backup_lookup import backup_folder
from storage.tables import OutboxRow, TaskRow
from tests.helpers import ROOT, form, model, run_worker_once, submit
from tests.realsize import model_of_size
from tests.test_cli import printdesk

CUBE = "20mm-xyz-cube.stl"


def make_backup(desk: Desk, stamp: str = "20261101-120000", corrupt: str | None = None) -> Path:
    """A backup archive in the documented format: manifest.json + storage/<relative path>."""
    folder = backup_folder(desk.config)
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"printdesk-backup-{stamp}Z.zip"
    root = desk.config.storage_root
    files = {}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            member = "storage/" + path.relative_to(root).as_posix()
            data = path.read_bytes()
            files[member] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            if corrupt and path.name == corrupt:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])  # same size, other bytes
            zf.writestr(member, data)
        zf.writestr("manifest.json", json.dumps({"format": 1, "created": stamp,
                                                 "files": files}))
    return archive


def lines(result) -> list[str]:
    return result.stdout.splitlines()


def event_types(desk: Desk, job_id: str) -> list[str]:
    return [e.type for e in desk.queries.events(job_id)]


def reopen(desk: Desk) -> Desk:
    return open_desk(load_config(data_dir=desk.config.data_dir, env={}), repair=False)


def test_doctor_finds_and_repairs_each_inconsistency(desk: Desk, template_data_dir: Path,
                                                     tmp_path: Path) -> None:
    data, root = str(desk.config.data_dir), desk.config.storage_root
    deleted = submit(desk).job
    truncated = submit(desk, student_name="Ann Lee").job
    lost = submit(desk, "box.obj", student_name="Bo Chan").job
    misplaced = submit(desk, "7_8ths_cube.stl").job
    stale = submit(desk, "large_block.STL", student_email="kim@example.edu").job
    unthumbed = submit(desk, "multibody.stl", student_email="kim@example.edu").job
    garbled = submit(desk, "octagonal_pocket.stl", student_name="Gar Bled").job
    run_worker_once(desk)  # thumbnails drawn, lease released: no worker alive afterwards
    assert (root / "Uploaded" / unthumbed.folder_name / "thumbnail.png").is_file()
    # The backup was made before the box model arrived… so the box is lost for good.
    shutil.move(root / "Uploaded" / lost.folder_name, tmp_path / "aside")
    make_backup(desk)
    shutil.move(tmp_path / "aside", root / "Uploaded" / lost.folder_name)
    cube = model(CUBE).read_bytes()

    # An orphan: a complete job folder whose database row was lost (made in another folder).
    other = tmp_path / "other"
    shutil.copytree(template_data_dir, other)
    other_desk = open_desk(load_config(data_dir=other, env={}))
    orphan = submit(other_desk, "box.obj", student_name="Orph An").job
    other_desk.close()
    shutil.copytree(other / "storage" / "Uploaded" / orphan.folder_name,
                    root / "Uploaded" / orphan.folder_name)

    up = root / "Uploaded"
    (up / deleted.folder_name / deleted.upload_file).unlink()
    (up / truncated.folder_name / truncated.upload_file).write_bytes(cube[:1000])
    box = (up / lost.folder_name / lost.upload_file).read_bytes()
    (up / lost.folder_name / lost.upload_file).write_bytes(box.replace(b"1", b"2", 1))
    shutil.move(up / misplaced.folder_name, root / "Printing" / misplaced.folder_name)
    meta = up / stale.folder_name / "metadata.json"
    doc = json.loads(meta.read_text())
    doc["job"]["version"] -= 1
    meta.write_text(json.dumps(doc))
    (up / unthumbed.folder_name / "thumbnail.png").unlink()
    picture = up / garbled.folder_name / "thumbnail.png"
    picture.write_bytes(picture.read_bytes()[:300])  # a disk that lost the end of it
    old_spool, fresh_spool = root / ".incoming" / "upload-old1.part", root / ".incoming" / "upload-new1.part"
    old_spool.write_bytes(b"x" * 5000)
    fresh_spool.write_bytes(b"y" * 10)
    hours_ago = time.time() - 2 * 3600
    os.utime(old_spool, (hours_ago, hours_ago))
    with desk.db.write() as session:
        session.add(OutboxRow(job_id=deleted.id, kind="approved", to_addr="a@example.edu",
                              subject="s", body_text="b", created_at=desk.now(), state=FAILED,
                              attempts=5, last_error="550 mailbox unavailable"))
    desk.close()

    found = printdesk("doctor", "--data", data)
    out = found.stdout
    assert found.returncode == 1, out + found.stderr
    for area in ("Job folders", "Model files", "Thumbnails", "Uploads", "Email", "Worker",
                 "Disk", "Permissions"):
        assert area in lines(found)
    ref = lambda job: job.short_id.upper()  # noqa: E731
    assert f"[problem] Job {ref(deleted)}: the model file {deleted.upload_file} is missing" in out
    assert f"Job {ref(truncated)}: the model file {truncated.upload_file} is 1000 bytes, not the " \
           f"{len(cube)} recorded at submission" in out
    assert f"Job {ref(lost)}: the model file" in out and "SHA-256 differs" in out
    assert f"Job {misplaced.short_id}: its folder is not in the status folder" in out
    assert f"Job {stale.short_id}: metadata.json is behind the database" in out
    assert f"holds job {orphan.short_id}, which the database does not know" in out
    assert f"[warning] Job {ref(unthumbed)} has no thumbnail" in out
    assert f"[warning] Job {ref(garbled)}'s thumbnail cannot be read as a picture" in out
    assert "[warning] upload-old1.part: 4.9 KB left by an upload that stopped 2 h ago" in out
    assert "[ok] 1 upload(s) arriving now, left alone" in out
    assert "[problem] 1 email(s) failed for good" in out
    assert "[warning] no worker is alive" in out
    assert "--repair" in lines(found)[-1]
    assert old_spool.exists() and not (up / deleted.folder_name / deleted.upload_file).exists()

    fixed = printdesk("doctor", "--repair", "--data", data)
    out = fixed.stdout
    assert fixed.returncode == 1, out  # the lost model and the failed email remain
    assert f"[fixed] Job {ref(deleted)}: the model file is missing; restored from " \
           "printdesk-backup-20261101-120000Z.zip" in out
    assert f"[fixed] Job {ref(truncated)}:" in out
    assert (f"[problem] Job {ref(lost)}: the model file {lost.upload_file} has other bytes than "
            "were submitted (its SHA-256 differs), and no backup holds it: ask the student to "
            "upload it again; noted in the job's history.") in out
    assert f"[fixed] Job {misplaced.short_id}: moved folder" in out
    assert f"[fixed] Job {stale.short_id}: metadata.json was behind the database" in out
    assert f"[fixed] Recovered job {orphan.short_id}" in out
    assert f"[fixed] Job {ref(unthumbed)}: thumbnail missing" in out
    assert f"[fixed] Job {ref(garbled)}: thumbnail cannot be read as a picture: removed it" in out
    assert not picture.exists()  # else the worker, which never redraws one, would keep it
    assert "[fixed] upload-old1.part: 4.9 KB" in out and "removed." in out
    assert lines(fixed)[-1].startswith("2 problem(s)")

    assert (up / deleted.folder_name / deleted.upload_file).read_bytes() == cube
    assert (up / truncated.folder_name / truncated.upload_file).read_bytes() == cube
    assert not old_spool.exists() and fresh_spool.exists()
    assert (up / misplaced.folder_name).is_dir() and not (root / "Printing" / misplaced.folder_name).exists()
    checked = reopen(desk)
    try:
        assert checked.recovery.run(repair=False, deep=True) == []
        assert checked.queries.job(orphan.id).student_name == "Orph An"
        assert event_types(checked, deleted.id)[-1] == "repair"
        history = [describe(e) for e in checked.queries.events(deleted.id)]
        assert any("restored from backup printdesk-backup-20261101-120000Z.zip" in h
                   for h in history)
        assert describe(checked.queries.events(lost.id)[-1]).startswith(
            "Model file lost or damaged")
        with checked.db.read() as session:
            queued = session.scalars(select(TaskRow.job_id).where(
                TaskRow.kind == THUMBNAIL_TASK, TaskRow.state == "queued")).all()
        # The adopted orphan had none either.
        assert sorted(queued) == sorted([unthumbed.id, garbled.id, orphan.id])
        # Each restored model is in the job's metadata.json history too (rebuild keeps it).
        doc = json.loads((up / deleted.folder_name / "metadata.json").read_text())
        assert doc["events"][-1]["type"] == "repair"
    finally:
        checked.close()
    log = (Path(data) / "logs" / "cli.log").read_text()
    assert f"system repair on job {ref(deleted)}: model file is missing: restored" in log

    again = printdesk("doctor", "--repair", "--data", data)
    assert again.returncode == 1 and "noted in the job's history" not in again.stdout
    checked = reopen(desk)
    assert event_types(checked, lost.id).count("file_lost") == 1  # flagged once, not each run
    with checked.db.write() as session:
        session.execute(update(OutboxRow).values(state="cancelled"))
    checked.close()
    run_worker_once(reopen(desk))  # draws the thumbnail again (and the lease shows a worker)
    left = printdesk("doctor", "--data", data)
    assert left.returncode == 1 and lines(left)[-1].startswith("1 problem(s)")
    assert "[ok] every model has its thumbnail" in left.stdout
    with Image.open(picture) as redrawn:
        assert redrawn.size == (256, 256)


def test_a_repaired_data_folder_exits_0_and_a_wrong_backup_is_not_used(desk: Desk) -> None:
    data, root = str(desk.config.data_dir), desk.config.storage_root
    job = submit(desk).job
    make_backup(desk, "20261001-080000")
    make_backup(desk, "20261101-080000", corrupt=job.upload_file)  # its bytes lie
    (Path(data) / "backups" / "printdesk-backup-20261201-080000Z.zip").write_bytes(b"not a zip")
    target = root / "Uploaded" / job.folder_name / job.upload_file
    target.write_bytes(b"solid nothing\nendsolid\n")
    desk.close()
    first = printdesk("doctor", "--repair", "--data", data)
    # The newest archive's manifest names the right hash, but the bytes are checked: refused.
    assert first.returncode == 1, first.stdout
    assert "Traceback" not in first.stderr and "20261201-080000Z.zip skipped" in first.stderr
    assert target.read_bytes() == b"solid nothing\nendsolid\n"
    assert not list(target.parent.glob(".restore-*"))
    (Path(data) / "backups" / "printdesk-backup-20261101-080000Z.zip").unlink()
    second = printdesk("doctor", "--repair", "--data", data)
    assert second.returncode == 0, second.stdout
    assert "restored from printdesk-backup-20261001-080000Z.zip" in second.stdout
    assert target.read_bytes() == model(CUBE).read_bytes()
    assert printdesk("doctor", "--data", data).returncode == 0


def test_doctor_warns_about_low_disk_and_open_secret_files(desk: Desk) -> None:
    from core.config.file import update_config_file

    data = desk.config.data_dir
    update_config_file(data / "printdesk.toml", "limits", {"min_free_disk_mb": 10**7})
    os.chmod(data / "printdesk.db", 0o644)
    desk.close()
    result = printdesk("doctor", "--data", str(data))
    assert result.returncode == 0, result.stdout  # warnings only
    assert "MB free in the storage folder, under the 10000000 MB" in result.stdout
    assert "[warning] the database (staff password hash, signing secret)" in result.stdout
    assert "(mode 644)" in result.stdout


def peak_rss_mb(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `printdesk *args` in a child and return its result and its peak memory (MB)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking pytest process.
    code = ("import sys\nfrom printdesk.cli import main\ncode = main(sys.argv[1:])\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "print('PEAK', hwm.split()[1], file=sys.stderr)\nsys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                            cwd=ROOT, timeout=240)
    peak = next(line for line in result.stderr.splitlines() if line.startswith("PEAK "))
    return result, int(peak.split()[1]) / 1024


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="peak memory read from /proc")
def test_a_real_size_model_is_checked_and_restored_in_chunks(desk: Desk, tmp_path: Path) -> None:
    big = model_of_size(tmp_path, "stl", 45)
    job = desk.workflow.submit(form(printer="Prusa XL"), Upload(big, big.name)).job
    data = str(desk.config.data_dir)
    target = desk.config.storage_root / "Uploaded" / job.folder_name / job.upload_file
    make_backup(desk)
    with target.open("r+b") as handle:  # same size, one byte changed in the middle
        handle.seek(job.file_size // 2)
        byte = handle.read(1)
        handle.seek(job.file_size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    desk.close()
    healthy_run, baseline = peak_rss_mb("doctor", "--data", str(tmp_path / "none"))
    assert healthy_run.returncode == 3
    fixed, peak = peak_rss_mb("doctor", "--repair", "--data", data)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "SHA-256 differs" in fixed.stdout and "restored from printdesk-backup" in fixed.stdout
    assert hashlib.sha256(target.read_bytes()).hexdigest() == job.file_sha256
    # Hashing twice and copying 45 MB out of the archive never holds the file in memory.
    assert peak - baseline < 25, (peak, baseline)
