"""Real intake processes for the launcher and console tests: a data folder on a free port, asking
/healthz, and stopping every intake a test started (by the console or by the test itself)."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

from core.config import Config, load_config
from core.config.file import update_config_file
from tests.helpers import ROOT, free_port


def lab_folder(template: Path, data: Path, port: int | None = None) -> Config:
    """A copy of the initialised template serving this PC only, on a free port."""
    shutil.copytree(template, data)
    port = port or free_port()
    update_config_file(data / "printdesk.toml", "intake", {
        "host": "127.0.0.1", "port": port, "base_url": f"http://localhost:{port}"})
    return load_config(data_dir=data, env={})


def healthz(config: Config, timeout: float = 3.0) -> dict[str, str] | None:
    """PrintDesk's health answer on the configured port, or None when nothing answers."""
    url = f"http://127.0.0.1:{config.intake.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())
    except (urllib.error.URLError, OSError):
        return None


def wait_healthz(config: Config, seconds: float = 60) -> dict[str, str]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        answer = healthz(config, timeout=1)
        if answer is not None:
            return answer
        time.sleep(0.2)  # a separate process is getting ready to listen
    raise AssertionError(f"no intake answered on port {config.intake.port} in {seconds} s")


def start_intake(config: Config) -> subprocess.Popen[bytes]:
    """`printdesk intake` for the folder, started by the test itself."""
    process = subprocess.Popen([sys.executable, "-m", "printdesk", "intake", "--data",
                                str(config.data_dir)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_healthz(config)
    return process


def intakes_serving(data: Path) -> list[psutil.Process]:
    """Every `printdesk intake` process running for this data folder, whoever started it."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        line = process.info["cmdline"] or []
        if "intake" in line and str(data) in line:
            found.append(process)
    return found


def stop_intakes(data: Path) -> None:
    processes = intakes_serving(data)
    for process in processes:
        process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=30)
    for process in alive:
        process.kill()


@contextlib.contextmanager
def other_program() -> Iterator[int]:
    """Another web server on a free local port: it answers, but not as PrintDesk."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
