"""The file store refuses every path that would leave the storage root or isn't a plain name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.desk import Desk
from core.domain.errors import StorageError
from storage.filestore import FileStore, PathEscape, StoreError
from tests.helpers import submit

FOLDERS = ("Uploaded", "Pending", "Rejected")


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    s = FileStore(tmp_path / "root", FOLDERS)
    s.ensure_layout()
    return s


@pytest.mark.parametrize("name", [
    "../evil", "..", ".", "a/b", "a\\b", "/etc/passwd", "Uploaded/../../x", "x\x00y", "",
    "C:\\Windows", "name with space", "~root", "ä_b_c_d",
])
def test_job_folder_names_from_outside_are_refused(store: FileStore, name: str) -> None:
    with pytest.raises(PathEscape):
        store.job_dir("Uploaded", name)


@pytest.mark.parametrize("folder", ["../Uploaded", "Uploaded/..", "/tmp", "Printing", ""])
def test_only_known_status_folders(store: FileStore, folder: str) -> None:
    with pytest.raises(PathEscape):
        store.job_dir(folder, "JaneDoe_Filament_Blue_abc123")


@pytest.mark.parametrize("filename", [
    "../../metadata.json", "..", "a/../../b.stl", "/abs.stl", "..\\x.stl", ".hidden", "",
    "x" * 300, "evil\nname.stl",
])
def test_file_names_inside_a_job_are_checked(store: FileStore, filename: str) -> None:
    job_dir = store.job_dir("Uploaded", "JaneDoe_Filament_Blue_abc123")
    with pytest.raises(PathEscape):
        store.file_in(job_dir, filename)


@pytest.mark.parametrize("job_id", ["../x", "ABCDEF12", "12", "deadbeef/..", "g" * 32])
def test_lock_and_staging_names_are_checked(store: FileStore, job_id: str) -> None:
    with pytest.raises(PathEscape):
        store.staging_dir(job_id)
    with pytest.raises(PathEscape):
        store.lock(job_id).__enter__()


def test_a_symlink_out_of_the_root_is_refused(store: FileStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, store.root / "Uploaded" / "JaneDoe_Filament_Blue_abc123")
    with pytest.raises(PathEscape):
        store.job_dir("Uploaded", "JaneDoe_Filament_Blue_abc123")


def test_move_never_overwrites(store: FileStore) -> None:
    for folder in ("Uploaded", "Pending"):
        store.job_dir(folder, "A_B_C_abc123").mkdir()
    with pytest.raises(StoreError, match="already exists"):
        store.move("A_B_C_abc123", "Uploaded", "Pending")
    assert store.locate("A_B_C_abc123") == ["Uploaded", "Pending"]


def test_metadata_write_is_atomic_and_leaves_no_temp_files(store: FileStore) -> None:
    job_dir = store.job_dir("Uploaded", "A_B_C_abc123")
    job_dir.mkdir()
    store.write_metadata(job_dir, {"a": 1})
    store.write_metadata(job_dir, {"a": 2, "name": "José"})
    assert store.read_metadata(job_dir) == {"a": 2, "name": "José"}
    assert store.leftover_temp_files(job_dir) == []


def test_hostile_student_file_names_never_decide_the_path(desk: Desk) -> None:
    for hostile in ("../../../../etc/passwd.stl", "..\\..\\boot.stl", "<script>x</script>.stl",
                    "/abs/path/model.stl", "C:\\Users\\me\\model.STL"):
        job = submit(desk, filename=hostile).job
        stored = desk.store.root / "Uploaded" / job.folder_name / job.upload_file
        assert stored.is_file() and job.upload_file == job.folder_name + ".stl"
        assert "/" not in job.original_filename and "\\" not in job.original_filename
    outside = [p for p in desk.store.root.parent.rglob("*.stl") if desk.store.root not in p.parents]
    assert outside == []


def test_a_lock_held_elsewhere_times_out_with_a_clear_message(desk) -> None:
    job = submit(desk).job
    lock_file = desk.store.root / ".locks" / f"{job.id}.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, filelock; l = filelock.FileLock(sys.argv[1]); "
         "l.acquire(); print('held', flush=True); time.sleep(30)", str(lock_file)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        desk.store.lock_timeout = 0.3
        with pytest.raises(StorageError, match="being changed by another program"):
            desk.workflow.mark_reviewed(job.id, job.version)
        assert desk.queries.job(job.id) == job
    finally:
        holder.kill()
        holder.wait()
