"""The `printdesk` command as a user runs it: a real subprocess, a throw-away --data folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core import __version__
from core.config import load_config
from core.desk import open_desk, password_is_set
from tests.helpers import ROOT, submit


def printdesk(*args: str, stdin: str = "", env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    return subprocess.run([sys.executable, "-m", "printdesk", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**clean, **(env or {})})


def test_version() -> None:
    result = printdesk("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"printdesk {__version__}"


def test_init_then_doctor_on_a_fresh_folder(tmp_path: Path) -> None:
    data = tmp_path / "lab"
    result = printdesk("init", "--data", str(data), "--password-stdin", stdin="s3cret-pass\n")
    assert result.returncode == 0, result.stderr
    assert "data folder ready" in result.stdout
    assert sorted(p.name for p in (data / "storage").iterdir()) == sorted([
        ".incoming", ".locks", "Completed", "PaidPickedUp", "Pending", "Printing",
        "ReadyToPrint", "Rejected", "Uploaded"])
    desk = open_desk(load_config(data_dir=data, env={}))
    assert desk.check_password("s3cret-pass") and not desk.check_password("wrong")
    desk.close()
    doctor = printdesk("doctor", "--data", str(data))
    assert doctor.returncode == 0, doctor.stdout
    assert "[ok] SQLite journal: WAL" in doctor.stdout
    again = printdesk("init", "--data", str(data))
    assert again.returncode == 0 and "already set" in again.stdout


def test_environment_variable_selects_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "envlab"
    env = {"PRINTDESK_DATA": str(data)}
    assert printdesk("init", "--password-stdin", stdin="s3cret-pass\n", env=env).returncode == 0
    assert (data / "printdesk.db").exists()
    assert printdesk("doctor", env=env).returncode == 0


def test_refused_init_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "lab"
    result = printdesk("init", "--data", str(data), "--password-stdin", stdin="short\n")
    assert result.returncode == 2 and "at least 8 characters" in result.stderr
    assert not data.exists()
    no_tty = printdesk("init", "--data", str(data))
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    assert not data.exists()


def test_commands_on_an_uninitialised_folder_say_so(tmp_path: Path) -> None:
    result = printdesk("doctor", "--data", str(tmp_path / "nothing"))
    assert result.returncode == 3 and "printdesk init" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    data = tmp_path / "lab"
    data.mkdir()
    (data / "printdesk.toml").write_text('[limits]\nmax_upload_mb = "lots"\n')
    result = printdesk("doctor", "--data", str(data))
    assert result.returncode == 2
    assert "[limits] max_upload_mb" in result.stderr and "Traceback" not in result.stderr


def test_doctor_finds_and_repairs_a_misplaced_folder(tmp_path: Path, desk) -> None:
    data = str(desk.config.data_dir)
    job = submit(desk).job
    desk.close()
    root = desk.config.storage_root
    shutil.move(root / "Uploaded" / job.folder_name, root / "Printing" / job.folder_name)
    found = printdesk("doctor", "--data", data)
    assert found.returncode == 1 and job.short_id in found.stdout and "--repair" in found.stdout
    fixed = printdesk("doctor", "--repair", "--data", data)
    assert fixed.returncode == 0 and "[fixed]" in fixed.stdout
    assert (root / "Uploaded" / job.folder_name / job.upload_file).is_file()
    assert printdesk("doctor", "--data", data).returncode == 0


def test_doctor_reports_a_lost_folder_it_cannot_repair(desk) -> None:
    job = submit(desk).job
    desk.close()
    shutil.rmtree(desk.config.storage_root / "Uploaded" / job.folder_name)
    result = printdesk("doctor", "--repair", "--data", str(desk.config.data_dir))
    assert result.returncode == 1 and "Restore it from a backup" in result.stdout


def test_rebuild_and_password_commands(desk) -> None:
    data = str(desk.config.data_dir)
    submit(desk)
    desk.close()
    result = printdesk("rebuild", "--data", data)
    assert result.returncode == 0 and "from 1 job folders" in result.stdout
    changed = printdesk("password", "--data", data, "--password-stdin", stdin="new-password\n")
    assert changed.returncode == 0
    reopened = open_desk(load_config(data_dir=data, env={}))
    assert reopened.check_password("new-password") and len(reopened.queries.jobs()) == 1
    reopened.close()


def test_printdesk_alone_sets_up_and_needs_a_display_starting_no_intake(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PRINTDESK_DATA": str(data), "PRINTDESK_INTAKE_PORT": str(port)}
    headless = {k: v for k, v in os.environ.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
                and not k.startswith("PRINTDESK_")}
    result = subprocess.run([sys.executable, "-m", "printdesk"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, env={**headless, **env})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Created the PrintDesk data folder" in result.stdout
    # First start derives the address students on other computers use, never 127.0.0.1.
    [address] = re.findall(r"Students reach the intake at (http://\S+)/ ", result.stdout)
    assert address.endswith(f":{port}") and "127.0.0.1" not in address and "0.0.0.0" not in address
    # The intake is a service's or the console's offer (tests/test_console_intake.py), never
    # started behind the user's back by `printdesk` itself.
    assert "PrintDesk intake for" not in result.stdout
    assert "base_url" in (data / "printdesk.toml").read_text()
    assert "no desktop display" in result.stderr
    assert (data / "printdesk.db").exists()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)



def test_intake_command_serves_and_prints_its_address(desk) -> None:
    data = str(desk.config.data_dir)
    desk.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    server = subprocess.Popen([sys.executable, "-m", "printdesk", "intake", "--data", data,
                               "--port", str(port)], cwd=ROOT, env=clean, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = server.stdout.readline()
        assert f"http://localhost:{port}/" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
            assert response.status == 200 and b'"database":"ok"' in response.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert b"Submit a model for 3D printing" in response.read()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_intake_on_a_taken_port_says_so_without_a_traceback(desk) -> None:
    data = str(desk.config.data_dir)
    desk.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = printdesk("intake", "--data", data, "--host", "127.0.0.1", "--port", str(port),
                           "--no-worker")
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_fills_a_fresh_folder_with_every_status(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = printdesk("demo", "--data", str(data), "--jobs", "12")
    assert result.returncode == 0, result.stderr
    assert "Added 12 sample jobs" in result.stdout
    for status in ("Uploaded", "Pending", "ReadyToPrint", "Printing", "Completed",
                   "PaidPickedUp", "Rejected"):
        assert f"{status}: " in result.stdout
    assert printdesk("doctor", "--data", str(data)).returncode == 0
    assert printdesk("demo", "--data", str(data), "--jobs", "0").returncode == 2


def test_init_records_the_address_students_use(tmp_path: Path) -> None:
    data = tmp_path / "lab"
    given = printdesk("init", "--data", str(data), "--password-stdin",
                      "--public-url", "http://labpc.example.edu:8080/", stdin="s3cret-pass\n")
    assert given.returncode == 0, given.stderr
    assert "students: http://labpc.example.edu:8080/" in given.stdout
    config = load_config(data_dir=data, env={})
    assert config.base_url == "http://labpc.example.edu:8080" and config.intake.host == "0.0.0.0"
    desk = open_desk(config)
    try:
        job = submit(desk)
        assert desk.queries.status_url(job.job.id).startswith("http://labpc.example.edu:8080/status/")
    finally:
        desk.close()
    # A second init keeps the lab's address (and anything else written in the file).
    with (data / "printdesk.toml").open("a") as handle:
        handle.write("# kept by init\n")
    again = printdesk("init", "--data", str(data))
    assert again.returncode == 0, again.stderr
    text = (data / "printdesk.toml").read_text()
    assert "labpc.example.edu" in text and "# kept by init" in text


def test_init_local_only_and_derived_addresses(tmp_path: Path) -> None:
    local = printdesk("init", "--data", str(tmp_path / "a"), "--password-stdin", "--local-only",
                      stdin="s3cret-pass\n")
    assert local.returncode == 0, local.stderr
    config = load_config(data_dir=tmp_path / "a", env={})
    assert config.intake.host == "127.0.0.1" and config.base_url == "http://localhost:8080"
    # No terminal to ask: the address is derived from this PC, never a loopback or wildcard.
    derived = printdesk("init", "--data", str(tmp_path / "b"), "--password-stdin",
                        stdin="s3cret-pass\n")
    assert derived.returncode == 0, derived.stderr
    config = load_config(data_dir=tmp_path / "b", env={})
    assert config.intake.host == "0.0.0.0"
    assert "127.0.0.1" not in config.base_url and "0.0.0.0" not in config.base_url
    bad = printdesk("init", "--data", str(tmp_path / "c"), "--password-stdin",
                    "--public-url", "labpc:8080", stdin="s3cret-pass\n")
    assert bad.returncode == 2 and "expected an address like" in bad.stderr
    assert not (tmp_path / "c").exists()  # refused before anything was created


def test_init_as_the_linux_installer_runs_it(tmp_path: Path) -> None:
    """packaging/linux/install.sh without a terminal: `--no-password` leaves the staff password
    to the console's first start, `--port` is recorded for the intake and the console alike."""
    data = tmp_path / "lab"
    result = printdesk("init", "--data", str(data), "--no-password", "--port", "8123")
    assert result.returncode == 0, result.stderr
    assert "the console asks for it at its first start" in result.stdout
    config = load_config(data_dir=data, env={})
    assert config.intake.port == 8123 and config.base_url.endswith(":8123")
    assert not password_is_set(config)
    # Run again (an update): nothing asked, the port kept.
    again = printdesk("init", "--data", str(data), "--no-password", "--port", "8123")
    assert again.returncode == 0, again.stderr
    assert load_config(data_dir=data, env={}).intake.port == 8123
    bad = printdesk("init", "--data", str(tmp_path / "b"), "--no-password", "--port", "70000")
    assert bad.returncode == 2 and "not a TCP port" in bad.stderr
    assert not (tmp_path / "b").exists()  # refused before anything was created


def test_read_sliced_prints_what_the_file_says_and_what_it_does_not(tmp_path: Path) -> None:
    sample = ROOT / "tests" / "sliced_samples" / "kisslicer_2.0.gcode"
    text = printdesk("read-sliced", str(sample), "--data", str(tmp_path / "lab"))
    assert text.returncode == 0, text.stderr
    assert "KISSlicer" in text.stdout and "not in the file" in text.stdout
    result = printdesk("read-sliced", str(sample), "--json", "--data", str(tmp_path / "lab"))
    assert result.returncode == 0, result.stderr

    data = json.loads(result.stdout)
    assert {"slicer", "version", "weight_g", "filament_mm", "filament_cm3", "resin_ml",
            "print_time_s", "printer", "material", "missing"} <= set(data)
    assert data["slicer"] == "KISSlicer" and data["print_time_s"] > 0
    assert all(data[name] is None for name in data["missing"])
    garbage = tmp_path / "junk.gcode"
    garbage.write_bytes(b"\x00\x01\x02" * 100)
    refused = printdesk("read-sliced", str(garbage), "--data", str(tmp_path / "lab"))
    assert refused.returncode != 0 and "not G-code text" in refused.stderr
    assert "Traceback" not in refused.stderr
