"""Open a job's file in a slicer, detached, and reveal it in the file manager (SPEC §7).

The console calls these from a worker thread; nothing here waits for the program it starts, so a
slow or hung slicer can never freeze the window. Detection lives in core.console.slicer_detect.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.console.slicer_detect import FORWARD, KNOWN, Slicer, detect_slicers, is_program
from core.console.spawn import launch_problem, spawn
from core.domain.errors import PrintDeskError
from core.ops.purged import purged_at
from storage.filestore import StoreError

if TYPE_CHECKING:
    from core.context import Context
    from core.domain.values import Job

__all__ = ["Slicer", "SlicerError", "choose_slicer", "detect_slicers", "job_file", "launch",
           "launch_problem",
           "open_job_in_slicer", "show_in_folder", "show_job_in_folder"]

SETTINGS_HINT = "Settings → Slicers"


class SlicerError(PrintDeskError):
    """A slicer or file manager could not be started; the message says what to do."""


# --- choosing ------------------------------------------------------------------------------------

def extension_of(file: Path) -> str:
    return file.suffix.lower()


def choose_slicer(file: Path, configured: Mapping[str, str], detected: Sequence[Slicer]) -> tuple[str, ...]:
    """The argv prefix for `file`: the program set in Settings for its type, else a detected one."""
    ext = extension_of(file)
    if not ext:
        raise SlicerError(f"The job's file {file.name} has no file type, so no slicer can be chosen. "
                          "Open it from its folder with \"Show in folder\".")
    chosen = {k.lower() if k.startswith(".") else f".{k.lower()}": v for k, v in configured.items()}
    program = chosen.get(ext, "").strip()
    if program:
        return _configured_program(program, ext)
    for slicer in detected:
        if ext in slicer.extensions:
            return slicer.executable
    names = [k.name for k in KNOWN if ext in k.extensions]
    listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
    install = f"Install {listed}, or choose" if names else "Choose"
    raise SlicerError(f"No slicer is set up for {ext} files. "
                      f"{install} the program for {ext} in {SETTINGS_HINT}.")


def _configured_program(program: str, ext: str) -> tuple[str, ...]:
    path = Path(program)
    if not path.is_absolute():
        # A bare command name ("prusa-slicer") is looked up on PATH, as a shell would.
        found = shutil.which(program)
        path = Path(found) if found else path
    if path.suffix == ".app" and path.is_dir():
        return ("/usr/bin/open", "-a", str(path))
    if not path.exists():
        raise SlicerError(f"The program chosen for {ext} files, {program}, is not there any more. "
                          f"Choose it again in {SETTINGS_HINT}, or clear it to use a detected slicer.")
    if not is_program(path):
        raise SlicerError(f"The program chosen for {ext} files, {program}, is not a program that can "
                          f"be started. Choose the slicer's program file in {SETTINGS_HINT}.")
    return (str(path),)


# --- starting programs ---------------------------------------------------------------------------

def require_file(file: Path) -> None:
    if not file.is_file():
        raise SlicerError(f"The job's file {file.name} is missing from its folder {file.parent}. "
                          "Run `printdesk doctor` to check the storage folder, or use \"Show in folder\" "
                          "to see what is there.")


def launch(argv_prefix: Sequence[str], file: Path) -> int:
    """Start the slicer on `file` and return its process id at once."""
    require_file(file)
    if not argv_prefix:
        raise SlicerError(f"No slicer program is set. Choose one in {SETTINGS_HINT}.")
    argv = [*argv_prefix, str(file)]
    if argv_prefix[-1] == FORWARD:
        argv.append(FORWARD)
    try:
        return spawn(argv, Path(argv_prefix[0]).name)
    except OSError as exc:
        raise SlicerError(f"{argv_prefix[0]} could not be started: {exc.strerror or exc}. "
                          f"Check the slicer is installed, or choose another in {SETTINGS_HINT}.") from exc


def show_in_folder(path: Path) -> int:
    """Open the file manager on the file's folder (selecting the file where the OS can)."""
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        raise SlicerError(f"The folder {folder} does not exist. Run `printdesk doctor` to find the job.")
    target = path if path.exists() else folder
    argv: Sequence[str] | str
    if sys.platform == "win32":
        explorer = shutil.which("explorer") or str(Path(os.environ.get("SystemRoot", "C:\\Windows"),
                                                        "explorer.exe"))
        # Explorer parses its own command line: the path must be quoted after "/select,", which a
        # list (quoted as one argument by subprocess) gets wrong for paths with spaces.
        argv = f'"{explorer}" /select,"{target}"' if target.is_file() else [explorer, str(target)]
    elif sys.platform == "darwin":
        argv = ["/usr/bin/open", "-R", str(target)]
    else:
        opener = shutil.which("xdg-open")
        if not opener:
            raise SlicerError(f"No file manager opener (xdg-open) was found. Install xdg-utils, or open "
                              f"{folder} yourself.")
        argv = [opener, str(folder)]
    try:
        return spawn(argv, "The file manager")
    except OSError as exc:
        raise SlicerError(f"The file manager could not be started ({exc.strerror or exc}). "
                          f"Open {folder} yourself.") from exc


# --- jobs ----------------------------------------------------------------------------------------

def job_file(desk: Context, job: Job) -> Path:
    """The job's authoritative file, built by the file store from the job's own fields."""
    try:
        folder = desk.store.job_dir(job.status.value, job.folder_name)
        return desk.store.file_in(folder, job.authoritative_file or job.upload_file)
    except StoreError as exc:
        raise SlicerError(f"Job {job.short_id}'s file cannot be located safely ({exc}). "
                          "Run `printdesk doctor`.") from exc


def open_job_in_slicer(desk: Context, job: Job, configured: Mapping[str, str],
                       detected: Sequence[Slicer] | None = None) -> int:
    """The console's "Open in slicer": pick the program for the job's file and start it."""
    purged = purged_at(desk, job.id)
    if purged is not None:
        raise SlicerError(f"Job {job.short_id.upper()}'s files were removed on "
                          f"{purged[0].astimezone(desk.config.tz):%Y-%m-%d}, {purged[1]} "
                          f"{'day' if purged[1] == 1 else 'days'} after it was finished "
                          "(cleanup): there is no model to open. Its record and history "
                          "remain.")
    file = job_file(desk, job)
    require_file(file)  # checked first: a missing file matters more than a missing slicer
    return launch(choose_slicer(file, configured, detect_slicers() if detected is None else detected), file)


def show_job_in_folder(desk: Context, job: Job) -> int:
    return show_in_folder(job_file(desk, job))
