"""The PyInstaller bundle a lab PC can run without Python (packaging/printdesk.spec): built here
from the spec, then the bundle's own `printdesk` program answers --version, makes a data folder
and serves the intake until a service manager's SIGTERM stops it cleanly. Slow (the build takes
minutes), run in CI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core import __version__

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pyinstaller")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
         str(ROOT / "packaging" / "printdesk.spec")],
        capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    program = work / "dist" / "printdesk" / ("printdesk.exe" if os.name == "nt" else "printdesk")
    assert program.is_file()
    print(f"bundle built in {time.monotonic() - started:.0f} s")
    return program


def run(program: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    return subprocess.run([str(program), *args], input=stdin, capture_output=True, text=True,
                          timeout=120, env=env)


def test_the_bundle_runs_the_cli_and_serves_the_intake(bundle: Path, tmp_path: Path) -> None:
    version = run(bundle, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"printdesk {__version__}"

    data = tmp_path / "lab"
    init = run(bundle, "init", "--data", str(data), "--password-stdin", "--local-only",
               stdin="bundle-password-1\n")
    assert init.returncode == 0, init.stderr
    assert (data / "printdesk.db").is_file() and (data / "storage" / "Uploaded").is_dir()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    server = subprocess.Popen([str(bundle), "intake", "--data", str(data), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = (r.status, r.read())
                    break
            except OSError:
                time.sleep(0.2)  # waiting for another process to listen
        assert health is not None, server.stderr.read() if server.poll() is not None else ""
        assert health[0] == 200 and b'"database":"ok"' in health[1]
        # The page itself (templates and static files found inside the bundle).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert b"Submit a model for 3D printing" in page.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/intake.css",
                                    timeout=10) as css:
            assert css.status == 200
        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)  # what systemd sends on `systemctl stop`
        assert server.wait(timeout=30) == 0
        assert time.monotonic() - stopped_at < 15
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
