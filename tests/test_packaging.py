"""packaging/: the files a lab PC is installed from, checked as far as this machine can.

Linux: the systemd units with `systemd-analyze verify`, the .desktop entry with
`desktop-file-validate`, the scripts with shellcheck (Debian packages systemd,
desktop-file-utils, shellcheck; .ci/run installs them). Windows: PowerShell is not among
Debian's packages, so the scripts are checked by reading them (README says what was not tried
on Windows); the services' stop path (the intake's `on_server` + `stop_server`, the worker's
`stop`, both through printdesk/service_stop.py) is run here for real. macOS: the launchd plist
parses and runs `printdesk intake`.
"""

from __future__ import annotations

import ast
import configparser
import plistlib
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "packaging" / "linux"
WINDOWS = ROOT / "packaging" / "windows"
UNITS = ("printdesk-intake.service", "printdesk-worker.service")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed here (.ci/run installs it)")
    return found


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(LINUX / name)
    return parser


def test_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` wants ExecStart's program to exist: the units are verified as
    copies whose program is this checkout's own `printdesk` (the only line changed)."""
    analyze = tool("systemd-analyze")
    program = str(Path(sys.executable).parent / "printdesk")
    for name in UNITS:
        text = (LINUX / name).read_text()
        assert "/opt/printdesk/venv/bin/printdesk" in text
        (tmp_path / name).write_text(text.replace("/opt/printdesk/venv/bin/printdesk", program))
    result = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in UNITS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "printdesk" not in result.stderr.lower(), result.stderr  # no warning about our units


def test_units_run_the_right_commands_as_a_dedicated_user() -> None:
    intake, worker = unit(UNITS[0])["Service"], unit(UNITS[1])["Service"]
    assert intake["ExecStart"].split()[1:] == ["intake", "--no-worker", "--data",
                                               "/var/lib/printdesk"]
    assert worker["ExecStart"].split()[1:] == ["worker", "--data", "/var/lib/printdesk"]
    for service in (intake, worker):
        assert service["User"] == "printdesk" and service["Restart"] == "on-failure"
        assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 30
        assert service["ReadWritePaths"] == "/var/lib/printdesk"
        assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    for name in UNITS:
        assert unit(name)["Install"]["WantedBy"] == "multi-user.target"
        assert "network-online.target" in unit(name)["Unit"]["After"]


def test_desktop_entry_validates_and_has_its_icon() -> None:
    validate = tool("desktop-file-validate")
    entry = LINUX / "printdesk.desktop"
    result = subprocess.run([validate, str(entry)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert "Icon=printdesk" in entry.read_text()
    from PIL import Image

    with Image.open(ROOT / "packaging" / "icons" / "printdesk-256.png") as icon:
        assert icon.size == (256, 256)
    with Image.open(ROOT / "packaging" / "icons" / "printdesk.ico") as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]


def test_shell_scripts_pass_shellcheck() -> None:
    shellcheck = tool("shellcheck")
    scripts = [str(LINUX / "install.sh"), str(LINUX / "uninstall.sh")]
    result = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_linux_install_and_uninstall_match() -> None:
    install, uninstall = (LINUX / "install.sh").read_text(), (LINUX / "uninstall.sh").read_text()
    assert "--require-hashes -r" in install and "requirements/run.txt" in install
    assert "systemctl enable --now printdesk-intake.service printdesk-worker.service" in install
    for path in ("/etc/systemd/system/printdesk-intake.service", "/usr/share/applications/"
                 "printdesk.desktop", "/usr/share/icons/hicolor/256x256/apps/printdesk.png"):
        assert path.rsplit("/", 1)[0] in install and path in uninstall
    assert "--purge" in uninstall and "rm -rf /var/lib/printdesk" in uninstall
    assert 'if [ "$PURGE" = yes ]' in uninstall  # the data goes only when asked


SHARED_WRITER = """
import os, sys
os.umask(0o007)  # as the units' UMask= and the .desktop entry set it, before PrintDesk loads
from core.config import load_config
from core.desk import open_desk
from tests.helpers import run_worker_once, submit
desk = open_desk(load_config(data_dir=sys.argv[1], env={}))
job = submit(desk).job
run_worker_once(desk)  # the thumbnail
desk.workflow.approve(job.id, None, weight_g="12", print_time_h="1", material="Filament",
                      printer=job.printer)  # metadata.json rewritten, the folder moved
desk.close()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_files_written_with_the_services_umask_are_shared_with_the_group(desk) -> None:
    """On a lab PC the services and the staff's console are different accounts sharing the data
    folder through the printdesk group (umask 0007). Every file a job gets — the model,
    metadata.json and the thumbnail, which are written through temporary files — must be
    group-readable and writable, or the other account's doctor, worker and console fail."""
    data = desk.config.data_dir
    desk.close()
    done = subprocess.run([sys.executable, "-c", SHARED_WRITER, str(data)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [folder] = [p for p in (data / "storage").glob("*/*") if (p / "metadata.json").exists()]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert {"metadata.json", "thumbnail.png"} <= set(modes)
    assert all(mode & 0o660 == 0o660 and not mode & 0o007 for mode in modes.values()), modes


def _ps1(name: str) -> str:
    return (WINDOWS / name).read_text()


def test_windows_install_script_structure() -> None:
    """What PowerShell would run, read rather than run (no PowerShell on this machine)."""
    text = _ps1("install.ps1")
    assert "$ErrorActionPreference = 'Stop'" in text and "Set-StrictMode" in text
    assert "WindowsBuiltInRole]::Administrator" in text  # refuses without admin rights
    assert "'--require-hashes', '-r'" in text and "requirements\\run.txt" in text
    for kind, name in (("intake", "PrintDeskIntake"), ("worker", "PrintDeskWorker")):
        assert f"'{kind}'" in text and name in text
    assert "'--startup', 'auto'" in text  # start at boot
    assert re.search(r"sc\.exe failure \$name reset= \d+ actions= restart/", text)
    assert "sc.exe failureflag $name 1" in text  # restart after a non-crash failure too
    assert re.search(r"New-NetFirewallRule .*-LocalPort \$Port", text, re.S)
    # The port the firewall opens is the one the intake listens on.
    assert "'init', '--data', $DataDir, '--port', $Port" in text
    assert "CreateShortcut" in text and "printdesk.ico" in text
    assert "PRINTDESK_DATA=$DataDir" in text
    # Balanced braces and parentheses: a cheap stand-in for PowerShell's parser.
    for script in ("install.ps1", "uninstall.ps1"):
        body = re.sub(r"<#.*?#>", "", _ps1(script), flags=re.S)  # help comments
        body = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "", body)  # strings
        body = re.sub(r"#.*", "", body)  # line comments
        assert body.count("{") == body.count("}") and body.count("(") == body.count(")"), script


def test_windows_uninstall_removes_what_install_adds() -> None:
    install, uninstall = _ps1("install.ps1"), _ps1("uninstall.ps1")
    assert "WindowsBuiltInRole]::Administrator" in uninstall
    assert "$ErrorActionPreference = 'Stop'" in uninstall
    for thing in ("PrintDeskIntake", "PrintDeskWorker", "'PrintDesk intake'", "PrintDesk.lnk"):
        assert thing in install and thing in uninstall
    assert "sc.exe delete $name" in uninstall and "Remove-NetFirewallRule" in uninstall
    assert "Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $InstallDir" in uninstall
    assert re.search(r"if \(\$Purge\) \{\s+Remove-Item -Recurse -Force \$DataDir", uninstall)


def test_windows_services_are_the_ones_the_console_and_install_script_name() -> None:
    tree = ast.parse((ROOT / "printdesk" / "winservice.py").read_text())
    found = {node.value.value for node in ast.walk(tree)
             if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
             and node.targets[0].id == "_svc_name_" and isinstance(node.value, ast.Constant)}
    assert found == {"PrintDeskIntake", "PrintDeskWorker"}
    service_module = (ROOT / "core" / "console" / "intake_service.py").read_text()
    assert "PrintDeskIntake" in service_module  # what the console offers to start


def test_a_service_stop_request_stops_the_intake_cleanly(desk) -> None:
    """The Windows service's stop: `serve(on_server=...)` hands over the server and
    `stop_server` from another thread ends it the way Ctrl+C does (connections closed, the
    worker stopped, the database closed)."""
    from intake.serve import serve, stop_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers: list[object] = []
    thread = threading.Thread(target=serve, args=(desk.config, "127.0.0.1", port),
                              kwargs={"worker": True, "on_server": servers.append}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                assert answer.status == 200
                break
        except OSError:
            thread.join(0.1)
    assert len(servers) == 1
    stop_server(servers[0])
    thread.join(30)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_a_stop_before_the_server_is_made_still_stops_the_intake(desk) -> None:
    """What the Windows intake service does (printdesk/winservice.py): the SCM's stop request may
    come while the service is still opening the database; the server it then makes stops as
    soon as it starts, instead of serving on with nobody to stop it."""
    from intake.serve import serve, stop_server
    from printdesk.service_stop import StopRequest

    stop = StopRequest()
    stop.request()  # before there is a server
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    thread = threading.Thread(target=serve, args=(desk.config, "127.0.0.1", port), kwargs={
        "worker": False, "on_server": lambda server: stop.attach(lambda: stop_server(server))},
        daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_a_stop_request_ends_a_running_worker(desk) -> None:
    """The Windows worker service: a stop from the SCM's thread ends `Worker.run` (its lease is
    given up), and a second request is harmless."""
    from core.worker.lease import lease_info
    from core.worker.tasks import make_worker
    from printdesk.service_stop import StopRequest

    stop, worker = StopRequest(), make_worker(desk)
    stop.attach(worker.stop)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while (info := lease_info(desk)) is None or not info.alive(desk.now()):
        assert time.monotonic() < deadline, "the worker never took its lease"
        thread.join(0.1)
    stop.request()
    stop.request()
    thread.join(30)
    assert not thread.is_alive()
    info = lease_info(desk)
    assert info is None or not info.alive(desk.now())  # another worker may take over at once


def test_macos_launchd_agent_runs_the_intake() -> None:
    with (ROOT / "packaging" / "macos" / "edu.printdesk.intake.plist").open("rb") as handle:
        agent = plistlib.load(handle)
    assert agent["ProgramArguments"][1:3] == ["intake", "--data"]
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] == {"SuccessfulExit": False}
