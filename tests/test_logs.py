"""Logs: one file per kind of process, chosen by the command; processes of one kind rotating one
file at once without losing or doubling a line; where the files go; old rotated files removed;
the INFO lines a lab reads afterwards (submission, staff action, email, launches) and nothing of
a student's beyond the reference and a masked address; libraries only at WARNING."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from core.config import load_config
from core.config.file import update_config_file
from core.console.services import ConsoleServices
from core.console.settings import ConsoleSettings
from core.desk import Desk, open_desk
from core.ops import logsetup
from core.ops.activity import mask_emails, masked
from core.ops.logsetup import kind_for, log_dir, setup_logging
from core.worker.tasks import make_worker
from tests.helpers import ROOT, free_port, submit
from tests.smtpserver import SmtpServer

posix_only = pytest.mark.skipif(os.name != "posix", reason="uses sh scripts")
EMAIL = "jane.doe@example.edu"
LINE = re.compile(r" INFO \d+ core\.test_child: line (\S+) (\d+) x+$")


def all_lines(folder: Path, kind: str) -> list[str]:
    """Every line of a kind's log: the current file and every rotated one."""
    files = [folder / f"{kind}.log", *sorted(folder.glob(f"{kind}.log.*"))]
    return [line for f in files if f.exists()
            for line in f.read_text(encoding="utf-8").splitlines()]


def text_of(folder: Path, kind: str) -> str:
    return "\n".join(all_lines(folder, kind))


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """setup_logging changes this test process's root logger: put it back afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level
              for name in ("", *logsetup.OWN_LOGGERS, *logsetup.LIBRARY_LOGGERS)}
    yield
    for handler in list(root.handlers):
        if getattr(handler, "_printdesk", False):
            root.removeHandler(handler)
            handler.close()
    for name, each in levels.items():
        logging.getLogger(name).setLevel(each)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


# --- several processes, one file ----------------------------------------------------------------

def write_at_once(data: Path, children: int, lines: int, max_bytes: int, backups: int) -> None:
    go = data / "go"
    procs = [subprocess.Popen([sys.executable, "-m", "tests.log_child", str(data), "cli",
                               f"p{i}", str(lines), str(max_bytes), str(backups), str(go)],
                              cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, text=True)
             for i in range(children)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()  # every child is set up: they all start writing now
        for proc in procs:
            assert proc.wait(timeout=240) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def check_every_line_once(folder: Path, children: int, lines: int) -> None:
    written = Counter((m.group(1), int(m.group(2)))
                      for m in map(LINE.search, all_lines(folder, "cli")) if m)
    expected = {(f"p{i}", n) for i in range(children) for n in range(lines)}
    assert set(written) - expected == set()
    missing = expected - set(written)
    assert not missing, f"{len(missing)} lines lost, e.g. {sorted(missing)[:5]}"
    doubled = {k: c for k, c in written.items() if c > 1}
    assert not doubled, f"{len(doubled)} lines written twice, e.g. {list(doubled.items())[:5]}"


def test_processes_of_one_kind_rotate_one_file_without_losing_or_doubling_a_line(
        tmp_path: Path) -> None:
    data = tmp_path
    children, lines, max_bytes = 3, 1500, 4096
    write_at_once(data, children, lines, max_bytes, backups=1000)

    folder = data / "logs"
    rotated = sorted(folder.glob("cli.log.*"))
    assert len(rotated) > 50  # rotated many times while all three wrote
    check_every_line_once(folder, children, lines)
    # The writers really took turns within the same files, and the files stayed near the cap.
    mixed = [f for f in rotated
             if len({m.group(1) for m in map(LINE.search, f.read_text().splitlines()) if m}) > 1]
    assert len(mixed) > len(rotated) // 2
    assert all(f.stat().st_size < 2 * max_bytes for f in rotated)
    assert not list(folder.glob("*.rotate.*"))  # no rotation left half done


@pytest.mark.slow
def test_at_realistic_size_the_configured_cap_rotates_and_keeps_every_line(tmp_path: Path) -> None:
    """[logs] max_mb = 1 (its smallest), two processes writing ~3.5 MB between them."""
    data = tmp_path
    update_config_file(data / "printdesk.toml", "logs", {"max_mb": 1})
    children, lines = 2, 15_000
    write_at_once(data, children, lines, 0, backups=logsetup.BACKUPS)

    folder = data / "logs"
    rotated = sorted(folder.glob("cli.log.*"))
    assert 3 <= len(rotated) <= logsetup.BACKUPS
    assert all(2**20 <= f.stat().st_size < 2**20 + 4096 for f in rotated)
    check_every_line_once(folder, children, lines)


# --- which file, where ----------------------------------------------------------------------

def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def started_line(folder: Path, kind: str) -> str:
    def found() -> list[str]:
        return [line for line in all_lines(folder, kind)
                if f"core.ops.logsetup: {kind} started" in line]

    wait_until(found, f"the start line in {folder / (kind + '.log')}")
    return found()[0]


def printdesk(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "printdesk", *args], cwd=ROOT,
                            env=env or child_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "printdesk", *args], cwd=ROOT,
                          env=env or child_env(), capture_output=True, text=True, timeout=120)


@pytest.fixture
def lab_data(template_data_dir: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(template_data_dir, data)
    return data


def test_each_command_logs_into_its_kind_of_file(lab_data: Path) -> None:
    assert [kind_for(c) for c in (None, "console", "intake", "worker", "doctor", "init")] == \
        ["console", "console", "intake", "worker", "cli", "cli"]
    data, logs = str(lab_data), lab_data / "logs"
    assert run("doctor", "--data", data).returncode == 0
    assert run("worker", "--once", "--data", data).returncode == 0
    env = {**child_env(), "QT_QPA_PLATFORM": "offscreen"}
    running = [printdesk("intake", "--port", str(free_port()), "--data", data),
               printdesk("console", "--data", data, env=env),
               printdesk("--data", data, env=env)]  # `printdesk` alone opens the console
    try:
        assert "doctor --data" in started_line(logs, "cli")
        assert "worker --once" in started_line(logs, "worker")
        assert "intake --port" in started_line(logs, "intake")
        wait_until(lambda: re.search(r"core\.worker\.runner: worker \S+ started",
                                     text_of(logs, "intake")), "the intake's worker")
        wait_until(lambda: text_of(logs, "console").count("console started") == 2,
                   "both consoles")
    finally:
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert sorted(p.name for p in logs.glob("*.log")) == \
        ["cli.log", "console.log", "intake.log", "worker.log"]
    assert "worker started" not in text_of(logs, "cli")
    assert "console started" not in text_of(logs, "intake")


def test_an_explicit_data_folder_logs_inside_it_and_logs_folder_overrides(
        lab_data: Path, tmp_path: Path) -> None:
    assert log_dir(load_config(data_dir=lab_data, env={})) == lab_data / "logs"
    done = run("doctor", "--data", str(lab_data))
    assert f"[ok] logs: {lab_data / 'logs'}" in done.stdout.splitlines()  # doctor says where
    started_line(lab_data / "logs", "cli")

    elsewhere = tmp_path / "shared logs"
    update_config_file(lab_data / "printdesk.toml", "logs", {"folder": str(elsewhere)})
    assert log_dir(load_config(data_dir=lab_data, env={})) == elsewhere
    done = run("doctor", "--data", str(lab_data))
    assert f"[ok] logs: {elsewhere}" in done.stdout.splitlines()
    assert "doctor --data" in started_line(elsewhere, "cli")
    assert len(all_lines(lab_data / "logs", "cli")) == 1  # only the first run's line


def test_the_default_data_folder_logs_in_the_platforms_log_folder(tmp_path: Path) -> None:
    default = load_config(env={})
    assert log_dir(default) == Path(platformdirs.user_log_dir("PrintDesk", appauthor=False))
    if not sys.platform.startswith("linux"):
        return  # the rest points Linux's XDG folders into tmp_path
    env = {**child_env(), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    (tmp_path / "share" / "PrintDesk").mkdir(parents=True)  # the default data folder exists
    assert run("read-sliced", str(tmp_path / "missing.gcode"), env=env).returncode == 2
    started_line(tmp_path / "state" / "PrintDesk" / "log", "cli")
    assert not (tmp_path / "share" / "PrintDesk" / "logs").exists()


def test_an_unwritable_log_folder_leaves_the_command_working(lab_data: Path,
                                                             tmp_path: Path) -> None:
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the log folder should be")
    update_config_file(lab_data / "printdesk.toml", "logs", {"folder": str(blocker / "logs")})
    done = run("doctor", "--data", str(lab_data))
    assert done.returncode == 0
    assert "cannot write the log file" in done.stderr and "Traceback" not in done.stderr


# --- retention ----------------------------------------------------------------------------------

def age(path: Path, days: float, text: str | None = None) -> None:
    if text is not None:
        path.write_text(text)
    then = time.time() - days * 86_400
    os.utime(path, (then, then))


def test_rotated_files_older_than_the_retention_are_removed(tmp_path: Path,
                                                            restored_logging: None) -> None:
    update_config_file(tmp_path / "printdesk.toml", "limits", {"retention_days": 30})
    config = load_config(data_dir=tmp_path, env={})
    folder = tmp_path / "logs"
    folder.mkdir()
    for n, days in ((1, 2), (2, 29), (3, 31), (4, 200)):
        age(folder / f"cli.log.{n}", days, f"rotated {n}\n")
    age(folder / "cli.log", 400, "old, but the current file\n")
    age(folder / "worker.log.1", 400, "another kind's\n")

    setup_logging(config, "cli", max_bytes=300)  # at start
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == \
        ["cli.log", "cli.log.1", "cli.log.2", "worker.log.1"]

    age(folder / "cli.log.2", 45)  # time passes while the process runs; then it rotates
    log = logging.getLogger("core.test")
    for n in range(10):
        log.info("after the start %d %s", n, "x" * 100)
    rotated = sorted(folder.glob("cli.log.*"))
    assert len(rotated) >= 3
    assert all(time.time() - p.stat().st_mtime < 30 * 86_400 for p in rotated)
    text = text_of(folder, "cli")
    assert "rotated 2" not in text  # removed at a rotation, no start needed
    assert "rotated 1" in text and "after the start 9" in text


# --- what the lines say ---------------------------------------------------------------------------

def test_a_submission_and_a_staff_action_each_leave_a_line(desk: Desk,
                                                          restored_logging: None) -> None:
    path = setup_logging(desk.config, "intake")
    assert path == desk.config.data_dir / "logs" / "intake.log"
    job = submit(desk, student_name="Jane Doe", student_email=EMAIL).job
    desk.workflow.approve(job.id, job.version, weight_g="47.3", print_time_h="3.2",
                          material="Filament", printer="Prusa MK4S")
    text = path.read_text(encoding="utf-8")
    ref = job.short_id.upper()
    assert re.search(rf" INFO \d+ core\.activity: submission {ref} \(job {job.id}\): Filament on "
                     rf"Prusa MK4S, {job.file_size} bytes, from j\*\*\*@example\.edu$", text, re.M)
    assert re.search(rf" INFO \d+ core\.activity: staff approve on job {ref}: Uploaded -> "
                     r"Pending$", text, re.M)
    assert EMAIL not in text and "Jane" not in text and "Doe" not in text


def opened(data: Path, section: str, values: dict) -> Desk:
    update_config_file(data / "printdesk.toml", section, values)
    return open_desk(load_config(data_dir=data, env={}))


def test_emails_sent_and_failed_each_leave_a_line(lab_data: Path, restored_logging: None) -> None:
    smtp = SmtpServer().start()
    desk = opened(lab_data, "smtp", smtp.settings())
    try:
        path = setup_logging(desk.config, "worker")
        assert path is not None
        job = submit(desk, student_email=EMAIL).job
        desk.workflow.approve(job.id, job.version, weight_g="47.3", print_time_h="3.2",
                              material="Filament", printer="Prusa MK4S")
        make_worker(desk).run_once()
        assert smtp.received, "the confirmation email never reached the server"

        smtp.handler.refuse = "550 5.1.1 <jane.doe@example.edu>: mailbox unavailable"
        desk.workflow.reject(job.id, desk.queries.job(job.id).version, ["Too large"])
        make_worker(desk).run_once()
    finally:
        desk.close()
        smtp.stop()
    text = path.read_text(encoding="utf-8")
    ref = job.short_id.upper()
    assert re.search(rf" INFO \d+ core\.activity: email \d+ \(\w+, job {ref}\) sent to "
                     r"j\*\*\*@example\.edu$", text, re.M)
    assert re.search(rf" WARNING \d+ core\.activity: email \d+ \(\w+, job {ref}\) to "
                     r"j\*\*\*@example\.edu not sent after attempt 1: .*550 .*mailbox unavailable",
                     text, re.M)
    assert EMAIL not in text


@posix_only
def test_a_slicer_and_file_manager_launch_each_leave_a_line(desk: Desk, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           restored_logging: None) -> None:
    from core.console import spawn

    slicer, opener = tmp_path / "bin" / "slicer.sh", tmp_path / "bin" / "xdg-open"
    slicer.parent.mkdir()
    for program in (slicer, opener):  # a slicer, and a file manager opener, that start fine
        program.write_text("#!/bin/sh\nexit 0\n")
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{opener.parent}{os.pathsep}{os.environ['PATH']}")
    path = setup_logging(desk.config, "console")
    assert path is not None
    job = submit(desk, student_name="Jane Doe", student_email=EMAIL).job
    services = ConsoleServices(desk, detected=[])
    services.save(ConsoleSettings(slicers={".stl": str(slicer)}))

    launched = services.open_in_slicer(job)
    shown = services.show_in_folder(job)
    for child in spawn.running():
        child.wait(timeout=10)

    text = path.read_text(encoding="utf-8")
    ref = job.short_id.upper()
    assert f"core.activity: slicer launched for job {ref}: {slicer} (process {launched.pid})" \
        in text
    assert f"core.activity: file manager launched for job {ref}: the file manager (process " \
        f"{shown.pid})" in text
    assert "Jane" not in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="needs Debian's prusa-slicer")
def test_an_automatic_estimate_leaves_a_line(lab_data: Path, restored_logging: None) -> None:
    from core.worker.estimate import estimate

    desk = opened(lab_data, "slicing", {"estimate": True})
    try:
        path = setup_logging(desk.config, "worker")
        assert path is not None
        job = submit(desk).job
        estimate(desk, job.id)
    finally:
        desk.close()
    assert re.search(rf" INFO \d+ core\.worker\.estimate: automatic estimate for job "
                     rf"{job.short_id.upper()} \({job.id}\): Automatic estimate \(PrusaSlicer",
                     path.read_text(encoding="utf-8"))


def test_addresses_are_masked() -> None:
    assert masked("jane.doe@example.edu") == "j***@example.edu"
    assert masked("not an address") == "***"
    assert mask_emails("jane.doe@example.edu: 550 <bob@lab.example.org> unknown") == \
        "j***@example.edu: 550 <b***@lab.example.org> unknown"


# --- levels ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("verbose", [False, True])
def test_libraries_log_warnings_only_and_printdesk_info_or_debug(tmp_path: Path, verbose: bool,
                                                                 restored_logging: None) -> None:
    path = setup_logging(load_config(data_dir=tmp_path, env={}), "cli", verbose)
    assert path is not None
    for name in ("waitress", "watchdog", "PIL.PngImagePlugin", "trimesh", "sqlalchemy.engine",
                 "alembic.runtime.migration", "urllib3.connectionpool", "asyncio", "filelock",
                 "some_other_library"):
        library = logging.getLogger(name)
        library.info("library chatter from %s", name)
        library.debug("library detail from %s", name)
        library.warning("library warning from %s", name)
    for name in ("core.jobs.unit", "intake.serve", "desktop.window", "storage.filestore"):
        own = logging.getLogger(name)
        own.info("own info from %s", name)
        own.debug("own detail from %s", name)
    text = path.read_text(encoding="utf-8")
    assert "library chatter" not in text and "library detail" not in text
    assert text.count("library warning from") == 10
    assert text.count("own info from") == 4
    assert text.count("own detail from") == (4 if verbose else 0)
