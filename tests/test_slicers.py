"""Slicer detection on fake install trees for every OS, the choice of program, and detached launch."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.console import slicers, spawn
from core.console.slicers import (
    Slicer,
    SlicerError,
    choose_slicer,
    detect_slicers,
    launch,
    launch_problem,
    show_in_folder,
)
from core.desk import Desk
from tests.helpers import submit

posix_only = pytest.mark.skipif(os.name != "posix", reason="uses sh scripts and sessions")


def program(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def by_name(found: list[Slicer]) -> dict[str, tuple[str, ...]]:
    return {s.name: s.executable for s in found}


# --- detection: Windows ------------------------------------------------------------------------

def test_windows_finds_every_slicer_under_program_files(tmp_path: Path) -> None:
    pf = tmp_path / "Program Files"
    prusa = program(pf / "Prusa3D" / "PrusaSlicer" / "prusa-slicer.exe")
    orca = program(pf / "OrcaSlicer" / "orca-slicer.exe")
    bambu = program(pf / "Bambu Studio" / "bambu-studio.exe")
    program(pf / "UltiMaker Cura 5.7.1" / "UltiMaker-Cura.exe")
    cura = program(pf / "UltiMaker Cura 5.10.0" / "UltiMaker-Cura.exe")
    program(pf / "Ultimaker Cura 4.13.1" / "Cura.exe")
    (pf / "UltiMaker Cura 5.11.0").mkdir()  # left behind by an uninstall: no program inside
    preform = program(pf / "Formlabs" / "PreForm" / "PreForm.exe")

    found = detect_slicers("win32", {"ProgramFiles": str(pf)}, tmp_path / "nowhere")

    assert [s.name for s in found] == ["PrusaSlicer", "OrcaSlicer", "Bambu Studio", "UltiMaker Cura",
                                       "PreForm"]
    # 5.10.0 is newer than 5.7.1: versions compare as numbers, not as text.
    assert by_name(found) == {"PrusaSlicer": (str(prusa), "--single-instance"), "OrcaSlicer": (str(orca),),
                              "Bambu Studio": (str(bambu),), "UltiMaker Cura": (str(cura),),
                              "PreForm": (str(preform),)}
    assert ".form" in found[-1].extensions and ".form" not in found[0].extensions


def test_windows_old_cura_and_the_x86_folder(tmp_path: Path) -> None:
    x86 = tmp_path / "Program Files (x86)"
    old = program(x86 / "Ultimaker Cura 4.13.1" / "Cura.exe")
    env = {"ProgramFiles": str(tmp_path / "empty"), "ProgramFiles(x86)": str(x86)}
    assert by_name(detect_slicers("win32", env)) == {"UltiMaker Cura": (str(old),)}


def test_windows_with_nothing_installed(tmp_path: Path) -> None:
    assert detect_slicers("win32", {"ProgramFiles": str(tmp_path)}) == []


# --- detection: macOS ---------------------------------------------------------------------------

def test_macos_finds_apps_in_both_applications_folders(tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    for app in ("PrusaSlicer.app", "BambuStudio.app", "UltiMaker Cura.app"):
        (root / "Applications" / app / "Contents" / "MacOS").mkdir(parents=True)
    (home / "Applications" / "PreForm.app").mkdir(parents=True)
    (root / "Applications" / "OrcaSlicer.app").write_text("not an app bundle")

    found = by_name(detect_slicers("darwin", {"HOME": str(home)}, root))

    assert found == {
        "PrusaSlicer": ("/usr/bin/open", "-a", str(root / "Applications" / "PrusaSlicer.app")),
        "Bambu Studio": ("/usr/bin/open", "-a", str(root / "Applications" / "BambuStudio.app")),
        "UltiMaker Cura": ("/usr/bin/open", "-a", str(root / "Applications" / "UltiMaker Cura.app")),
        "PreForm": ("/usr/bin/open", "-a", str(home / "Applications" / "PreForm.app")),
    }


# --- detection: Linux ---------------------------------------------------------------------------

def test_linux_path_opt_appimages_and_flatpak(tmp_path: Path) -> None:
    root, home, bin_dir = tmp_path / "root", tmp_path / "home", tmp_path / "bin"
    prusa = program(bin_dir / "prusa-slicer")
    orca = program(root / "opt" / "orca-slicer" / "bin" / "orca-slicer")
    program(home / "Applications" / "Bambu_Studio_linux_ubuntu_v01.9.7.52.AppImage")
    bambu = program(home / "Applications" / "Bambu_Studio_linux_ubuntu_v01.10.1.50.AppImage")
    (home / "Applications" / "UltiMaker-Cura-5.8.1-linux-X64.AppImage").write_text("not executable")
    cura = program(root / "var/lib/flatpak/exports/bin/com.ultimaker.cura")

    found = by_name(detect_slicers("linux", {"HOME": str(home), "PATH": str(bin_dir)}, root))

    assert found == {"PrusaSlicer": (str(prusa), "--single-instance"), "OrcaSlicer": (str(orca),),
                     "Bambu Studio": (str(bambu),), "UltiMaker Cura": (str(cura),)}


def test_linux_flatpak_runs_through_flatpak_with_file_forwarding(tmp_path: Path) -> None:
    root, home, bin_dir = tmp_path / "root", tmp_path / "home", tmp_path / "bin"
    flatpak = program(bin_dir / "flatpak")
    program(home / ".local/share/flatpak/exports/bin/com.prusa3d.PrusaSlicer")
    program(root / "var/lib/flatpak/exports/bin/io.github.softfever.OrcaSlicer")

    found = by_name(detect_slicers("linux", {"HOME": str(home), "PATH": str(bin_dir)}, root))

    assert found == {
        "PrusaSlicer": (str(flatpak), "run", "--file-forwarding", "com.prusa3d.PrusaSlicer",
                        "--single-instance", "@@"),
        "OrcaSlicer": (str(flatpak), "run", "--file-forwarding", "io.github.softfever.OrcaSlicer", "@@"),
    }


def test_linux_path_beats_flatpak(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    prusa = program(bin_dir / "prusa-slicer")
    program(tmp_path / "var/lib/flatpak/exports/bin/com.prusa3d.PrusaSlicer")
    env = {"HOME": str(tmp_path / "home"), "PATH": str(bin_dir)}
    assert by_name(detect_slicers("linux", env, tmp_path)) == {
        "PrusaSlicer": (str(prusa), "--single-instance")}


# --- choosing -----------------------------------------------------------------------------------

DETECTED = [Slicer("PrusaSlicer", ("/x/prusa",), (".stl", ".3mf", ".gcode")),
            Slicer("PreForm", ("/x/preform",), (".stl", ".form"))]


def test_a_configured_program_wins_over_detection(tmp_path: Path) -> None:
    mine = program(tmp_path / "my-slicer")
    assert choose_slicer(Path("a/Job.STL"), {".STL": str(mine)}, DETECTED) == (str(mine),)
    assert choose_slicer(Path("a/Job.stl"), {".stl": ""}, DETECTED) == ("/x/prusa",)


def test_detected_slicers_are_tried_in_order() -> None:
    assert choose_slicer(Path("Job.stl"), {}, DETECTED) == ("/x/prusa",)
    assert choose_slicer(Path("Job.form"), {}, DETECTED) == ("/x/preform",)


def test_no_slicer_says_what_to_install_and_where_to_set_it() -> None:
    with pytest.raises(SlicerError) as err:
        choose_slicer(Path("Job.form"), {}, DETECTED[:1])
    assert str(err.value) == ("No slicer is set up for .form files. Install PreForm, or choose the "
                              "program for .form in Settings → Slicers.")
    with pytest.raises(SlicerError, match=r"^No slicer is set up for \.ctb files\. Choose the program"):
        choose_slicer(Path("Job.ctb"), {}, DETECTED)


def test_a_configured_program_that_is_gone_or_not_a_program(tmp_path: Path) -> None:
    gone = tmp_path / "uninstalled.exe"
    with pytest.raises(SlicerError, match=r"is not there any more\. Choose it again in Settings"):
        choose_slicer(Path("Job.stl"), {".stl": str(gone)}, DETECTED)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SlicerError, match="is not a program"):
        choose_slicer(Path("Job.stl"), {".stl": str(tmp_path / "notes.txt")}, DETECTED)


def test_a_configured_mac_app_bundle_is_opened_with_open(tmp_path: Path) -> None:
    (tmp_path / "PrusaSlicer.app").mkdir()
    assert choose_slicer(Path("Job.stl"), {".stl": str(tmp_path / "PrusaSlicer.app")}, []) == (
        "/usr/bin/open", "-a", str(tmp_path / "PrusaSlicer.app"))


# --- launching ----------------------------------------------------------------------------------

@pytest.fixture
def fake_slicer(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A slicer that records its pid and argv, then runs for 5 s; killed at the end of the test."""
    out = tmp_path / "slicer-out.txt"
    script = program(tmp_path / "fake slicer" / "slicer.sh", (
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$$\" \"$@\" > '{out}.tmp' && mv '{out}.tmp' '{out}'\n"
        "sleep 5\n"))
    yield script, out
    if out.exists():
        pid = int(out.read_text().split("\n")[0])
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # its own session, so its own process group
    for child in spawn.running():
        child.wait(timeout=5)


def recorded(out: Path) -> list[str]:
    deadline = time.monotonic() + 5
    while not out.exists():
        assert time.monotonic() < deadline, "the fake slicer never started"
        time.sleep(0.02)
    return out.read_text().splitlines()


@posix_only
def test_launch_returns_at_once_and_detaches(fake_slicer: tuple[Path, Path], tmp_path: Path) -> None:
    script, out = fake_slicer
    model = tmp_path / "Jane Doe job.stl"
    model.write_text("solid x\nendsolid x\n")

    started = time.monotonic()
    pid = launch((str(script),), model)
    assert time.monotonic() - started < 1.0

    assert recorded(out) == [str(pid), str(model)]
    os.kill(pid, 0)  # still running: nobody waited for it
    assert os.getsid(pid) != os.getsid(0)


@posix_only
def test_launch_closes_a_flatpak_file_forwarding_prefix(fake_slicer: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    script, out = fake_slicer
    model = tmp_path / "job.3mf"
    model.write_bytes(b"PK")
    launch((str(script), "run", "--file-forwarding", "com.prusa3d.PrusaSlicer", "@@"), model)
    assert recorded(out)[1:] == ["run", "--file-forwarding", "com.prusa3d.PrusaSlicer", "@@",
                                 str(model), "@@"]


def test_launch_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SlicerError, match=r"job's file gone\.stl is missing .* `printdesk doctor`"):
        launch(("/bin/true",), tmp_path / "gone.stl")


def test_launch_reports_a_program_that_cannot_start(tmp_path: Path) -> None:
    model = tmp_path / "job.stl"
    model.write_text("solid x\n")
    with pytest.raises(SlicerError, match="could not be started"):
        launch((str(tmp_path / "no-such-slicer"),), model)


# --- show in folder -----------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="xdg-open is the Linux opener")
def test_show_in_folder_uses_xdg_open_on_the_folder(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "opened.txt"
    program(tmp_path / "bin" / "xdg-open", f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{out}'\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    model = tmp_path / "job" / "job.stl"
    model.parent.mkdir()
    model.write_text("solid x\n")

    show_in_folder(model)

    assert recorded(out) == [str(model.parent)]
    for child in spawn.running():
        child.wait(timeout=5)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="xdg-open is the Linux opener")
def test_show_in_folder_without_an_opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SlicerError, match="xdg-utils"):
        show_in_folder(tmp_path)
    with pytest.raises(SlicerError, match="does not exist"):
        show_in_folder(tmp_path / "gone" / "job.stl")


# --- jobs ---------------------------------------------------------------------------------------

@posix_only
def test_open_a_job_in_its_slicer(desk: Desk, fake_slicer: tuple[Path, Path]) -> None:
    script, out = fake_slicer
    job = submit(desk).job
    expected = desk.store.job_dir("Uploaded", job.folder_name) / job.authoritative_file
    assert slicers.job_file(desk, job) == expected and expected.is_file()

    slicers.open_job_in_slicer(desk, job, {".stl": str(script)}, detected=[])

    assert recorded(out)[1:] == [str(expected)]


def test_a_missing_job_file_is_reported_before_a_missing_slicer(desk: Desk) -> None:
    job = submit(desk).job
    slicers.job_file(desk, job).unlink()
    with pytest.raises(SlicerError, match="is missing from its folder"):
        slicers.open_job_in_slicer(desk, job, {}, detected=[])


def test_a_job_whose_names_would_leave_the_store_is_refused(desk: Desk) -> None:
    job = submit(desk).job
    with pytest.raises(SlicerError, match="cannot be located safely"):
        slicers.job_file(desk, dataclasses.replace(job, authoritative_file="../../../etc/passwd"))
    with pytest.raises(SlicerError, match="cannot be located safely"):
        slicers.job_file(desk, dataclasses.replace(job, folder_name="../Pending"))


@posix_only
def test_a_program_that_gives_up_at_once_is_reported_in_its_own_words(tmp_path: Path,
                                                                      monkeypatch) -> None:
    """"Show in folder" on a PC without a file manager used to do nothing, silently."""
    program(tmp_path / "bin" / "xdg-open",
            "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\nexit 3\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    model = tmp_path / "job" / "job.stl"
    model.parent.mkdir()
    model.write_text("solid x\n")
    pid = show_in_folder(model)
    problem = spawn.launch_problem(pid, wait_s=5)
    assert problem == ("The file manager stopped at once (exit code 3): xdg-open: no method "
                       "available for opening")
    assert not list(tmp_path.glob("printdesk-launch-*"))
    slicer = program(tmp_path / "slicer.sh", "#!/bin/sh\necho 'Error: file is damaged' >&2\n"
                     "exit 1\n")
    assert "slicer.sh stopped at once (exit code 1): Error: file is damaged" == \
        spawn.launch_problem(launch((str(slicer),), model), wait_s=5)


@posix_only
def test_a_program_still_running_or_ending_happily_is_no_problem(fake_slicer, tmp_path: Path
                                                                 ) -> None:
    script, _out = fake_slicer
    model = tmp_path / "job.stl"
    model.write_text("solid x\n")
    assert launch_problem(launch((str(script),), model)) is None
    happy = program(tmp_path / "hand-off.sh", "#!/bin/sh\nexit 0\n")
    assert spawn.launch_problem(launch((str(happy),), model), wait_s=5) is None
    assert launch_problem(999_999_999) is None  # not one of ours
