"""Benchmark: one ~50 MB model uploaded to the real intake over HTTP.

Run it from the checkout with the project's virtualenv:

    .venv/bin/python bench/intake_upload.py [--keep]

It makes a throw-away data folder, writes a binary STL of a closed, printable mesh just under the
default 50 MB limit (a grid of small tetrahedra that fits the Prusa XL), starts `printdesk intake`
as a separate process, and submits the file the way a browser does (GET / for the CSRF token and
session cookie, then a streamed multipart POST). It reports how long the submission takes until
the 303 redirect (upload, spooling, model check and storing) against a plain `shutil.copyfile` of
the same bytes, and how much the server's resident memory grows over its idle size while it
handles the upload: the file must be streamed to disk, never held in memory (SPEC §10).

The last line printed is machine-readable:
    upload_s=… copy_s=… ratio=… server_peak_rss_growth_mb=… file_mb=…
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_config  # noqa: E402
from core.desk import init_desk  # noqa: E402
from core.mesh import analyse_model  # noqa: E402

MIB = 1024 * 1024
PASSWORD = "bench-password-1"
CHUNK = 1 * MIB
SAMPLE_S = 0.02
# 62 × 64 × 66 tetrahedra of 4 mm on a 5 mm grid: 1,047,552 triangles, 49.95 MiB, 309 × 319 × 329 mm.
GRID = (62, 64, 66)
PITCH_MM, EDGE_MM = 5.0, 4.0
FIELDS = {
    "student_name": "Bench Mark",
    "student_email": "bench.mark@example.edu",
    "discipline": "Engineering",
    "class_number": "N/A",
    "print_method": "Filament",
    "color": "Blue",
    "printer": "Prusa XL",
    "consent": "yes",
}
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])


# --- the model ----------------------------------------------------------------------------------

def write_tetrahedra_stl(path: Path, grid: tuple[int, int, int] = GRID) -> int:
    """A binary STL of many separate closed tetrahedra, faces wound outwards; returns triangles."""
    corner = np.array([[0, 0, 0], [EDGE_MM, 0, 0], [0, EDGE_MM, 0], [0, 0, EDGE_MM]], dtype="<f4")
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])  # outward normals
    normals = np.array([[0, 0, -1], [0, -1, 0], [-1, 0, 0], [1, 1, 1]], dtype="<f4")
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    ix, iy, iz = np.meshgrid(*(np.arange(n) for n in grid), indexing="ij")
    origins = (np.stack([ix, iy, iz], axis=-1).reshape(-1, 1, 1, 3) * PITCH_MM).astype("<f4")
    count = origins.shape[0] * len(faces)
    records = np.zeros(count, dtype=STL_RECORD)
    records["vertices"] = (origins + corner[faces][None]).reshape(count, 3, 3)
    records["normal"] = np.broadcast_to(normals, (origins.shape[0], 4, 3)).reshape(count, 3)
    with path.open("wb") as out:
        out.write(b"PrintDesk bench: grid of tetrahedra".ljust(80, b" "))
        out.write(np.uint32(count).tobytes())
        records.tofile(out)
    return count


# --- the server ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_intake(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`printdesk intake --data DATA --port PORT` in its own process, so its memory can be watched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    env["PRINTDESK_INTAKE_SUBMIT_RATE_LIMIT"] = "1000 per hour"
    script = Path(sys.executable).with_name("printdesk")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "printdesk"]
    command = [*program, "intake", "--data", str(data), "--port", str(port)]
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the server
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_serving(base: str, server: subprocess.Popen[bytes], log: Path,
                       timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the intake exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the intake did not start within a minute")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class RssSampler:
    """Samples one process's resident memory every SAMPLE_S seconds in a background thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def rss(self) -> int:
        return self.process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self.rss()))
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter(), self.rss()))

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


# --- the client ---------------------------------------------------------------------------------

def session(host: str, port: int) -> tuple[str, str]:
    """The form's CSRF token and the session cookie that goes with it, as a browser gets them."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    finally:
        conn.close()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if response.status != 200 or not found or not cookie:
        raise SystemExit(f"GET / gave {response.status} without a CSRF token or cookie")
    return found.group(1), cookie


class Submission:
    """One multipart POST whose file part is streamed from disk in CHUNK-sized pieces."""

    def __init__(self, path: Path, filename: str, token: str) -> None:
        self.path = path
        self.boundary = "----PrintDeskBench" + secrets.token_hex(12)
        parts = [self._field(name, value) for name, value in {**FIELDS, "csrf_token": token}.items()]
        self.head = b"".join(parts) + (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(self.head) + path.stat().st_size + len(self.tail)
        self.sent_at = 0.0

    def _field(self, name: str, value: str) -> bytes:
        return (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode()

    def body(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
        yield self.tail
        self.sent_at = time.perf_counter()

    def post(self, host: str, port: int, cookie: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection(host, port, timeout=600)
        try:
            conn.putrequest("POST", "/")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={self.boundary}")
            conn.putheader("Content-Length", str(self.length))
            conn.putheader("Cookie", cookie)
            conn.putheader("Origin", f"http://{host}:{port}")
            conn.endheaders()
            for piece in self.body():
                conn.send(piece)
            response = conn.getresponse()
            response.read()
            return response.status, response.getheader("Location", "")
        finally:
            conn.close()


def submit(host: str, port: int, path: Path, filename: str) -> tuple[Submission, int, str]:
    token, cookie = session(host, port)
    submission = Submission(path, filename, token)
    status, location = submission.post(host, port, cookie)
    return submission, status, location


def fetch(base: str, location: str) -> str:
    with urllib.request.urlopen(base + location, timeout=30) as response:
        return response.read().decode()


# --- the benchmark ------------------------------------------------------------------------------

def run(work: Path) -> str:
    data = work / "data"
    config = load_config(data_dir=data, env={})
    init_desk(config, PASSWORD).close()

    model = work / "bench-tetrahedra.stl"
    started = time.perf_counter()
    triangles = write_tetrahedra_stl(model)
    size = model.stat().st_size
    file_mb = size / MIB
    print(f"model: {triangles:,} triangles, {size:,} bytes ({file_mb:.2f} MiB) written in "
          f"{time.perf_counter() - started:.1f} s; limit {config.max_upload_mb} MiB")
    if size > config.max_upload_mb * MIB:
        raise SystemExit("the model is larger than the upload limit")
    started = time.perf_counter()
    check = analyse_model(model, ".stl", config, FIELDS["printer"], FIELDS["print_method"])
    print(f"model check in this process: {time.perf_counter() - started:.2f} s, bbox "
          f"{check['bbox_mm']} mm, watertight={check['watertight']}, fits Prusa XL="
          f"{check['fits_chosen']}, warnings={check['warnings'] or 'none'}")
    if not (check["watertight"] and check["fits_chosen"]):
        raise SystemExit("the generated model should be closed and fit the Prusa XL")

    copy_target = work / "copy.stl"
    started = time.perf_counter()
    shutil.copyfile(model, copy_target)
    copy_s = time.perf_counter() - started
    copy_target.unlink()

    host, port = "127.0.0.1", free_port()
    base = f"http://{host}:{port}"
    log = work / "intake.log"
    server = start_intake(data, port, log)
    try:
        wait_until_serving(base, server, log)
        # Warm up: a first small submission loads whatever the server loads lazily.
        _, status, _ = submit(host, port, ROOT / "tests" / "models" / "20mm-xyz-cube.stl",
                                 "warm-up.stl")
        if status != 303:
            print(f"warm-up submission got {status} ")
        sampler = RssSampler(server.pid)
        idle = sampler.rss()
        token, cookie = session(host, port)
        submission = Submission(model, "bench-tetrahedra.stl", token)
        with sampler:
            started = time.perf_counter()
            status, location = submission.post(host, port, cookie)
            upload_s = time.perf_counter() - started
        if status != 303:
            raise SystemExit(f"the submission got HTTP {status}, not 303")
        sent_s = submission.sent_at - started
        peak_sending = sampler.peak(end=submission.sent_at) - idle
        peak = sampler.peak() - idle
        page = fetch(base, location)
        shown = re.search(r"<dt>Triangles</dt><dd>([\d,]+)</dd>", page)
        print(f"server: pid {server.pid}, idle RSS {idle / MIB:.1f} MiB, "
              f"{len(sampler.samples)} samples every {SAMPLE_S * 1000:.0f} ms")
        print(f"upload: body sent in {sent_s:.2f} s, 303 after {upload_s:.2f} s "
              f"({upload_s - sent_s:.2f} s of server work after the last byte); "
              f"success page shows {shown.group(1) if shown else '?'} triangles")
        print(f"server RSS growth: {peak_sending / MIB:.1f} MiB while receiving the body, "
              f"{peak / MIB:.1f} MiB peak overall (the model check parses the mesh in memory)")
        print(f"copy: shutil.copyfile of the same {file_mb:.2f} MiB took {copy_s:.3f} s")
    finally:
        stop(server)
    return (f"upload_s={upload_s:.3f} copy_s={copy_s:.3f} ratio={upload_s / copy_s:.1f} "
            f"server_peak_rss_growth_mb={peak / MIB:.1f} file_mb={file_mb:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="printdesk-bench-"))
    try:
        print(run(work))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
