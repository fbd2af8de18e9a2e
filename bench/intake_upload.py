"""Benchmark: real-size models through the real intake, and the model check on its own.

Run it from the checkout with the project's virtualenv:

    .venv/bin/python bench/intake_upload.py [--keep] [--concurrent N]

It makes a throw-away data folder and a closed torus of 983,040 triangles written as a 49 MB
binary STL (tests/realsize.py), then measures, each in one run:

* the model check (`core.mesh.analysis.analyse_model`) in a fresh process: seconds and peak RSS
  (targets: ≤ 1.0 s, ≤ 250 MB);
* one upload through `printdesk intake` (its own process, waitress, the real multipart path):
  seconds from the first byte sent to the 303 of the success page, divided by a plain copy of
  the same bytes plus `trimesh.load(process=False)` of them (target: ≤ 5), and the server's peak
  RSS (target: ≤ 300 MB);
* N (default 20) concurrent uploads of a 41 MB model: all must be accepted; the server's peak RSS
  (target: ≤ 1 GB) and its RSS once idle again (target: ≤ 300 MB).

The last line printed is machine-readable:
    analysis_s=… analysis_peak_mb=… upload_s=… baseline_s=… upload_ratio=… server_peak_mb=…
    concurrent=… refused=… concurrent_peak_mb=… idle_after_mb=… file_mb=…
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_config  # noqa: E402
from core.desk import init_desk  # noqa: E402
from tests.realsize import post_model, torus, write_binary_stl  # noqa: E402

PASSWORD = "bench-password-1"
TRIANGLES = 983_040  # about: the torus rounds it to 981,180 (49.1 MB as a binary STL)
CONCURRENT_TRIANGLES = 820_000  # 41 MB
SAMPLE_S = 0.02
ANALYSE = """
import json, resource, sys, time
from pathlib import Path
from core.config import load_config
from core.mesh.analysis import analyse_model
config = load_config(data_dir=Path(sys.argv[2]), env={})
started = time.perf_counter()
result = analyse_model(Path(sys.argv[1]), ".stl", config, "Prusa XL", "Filament")
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": peak, "triangles": result["triangles"],
                  "watertight": result["watertight"]}))
"""
BASELINE = """
import shutil, sys, time
from pathlib import Path
import trimesh
started = time.perf_counter()
shutil.copyfile(sys.argv[1], sys.argv[2])
trimesh.load(sys.argv[1], process=False)
print(time.perf_counter() - started)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_intake(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    env["PRINTDESK_INTAKE_SUBMIT_RATE_LIMIT"] = "1000 per hour"
    env["PRINTDESK_LIMITS_MAX_ACTIVE_JOBS_PER_EMAIL"] = "1000"
    script = Path(sys.executable).with_name("printdesk")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "printdesk"]
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the server
        return subprocess.Popen([*program, "intake", "--data", str(data), "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_serving(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
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


class RssSampler:
    """Samples one process's resident memory every SAMPLE_S seconds in a background thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return self.process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def python(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def run(work: Path, concurrent: int) -> str:
    data = work / "data"
    init_desk(load_config(data_dir=data, env={}), PASSWORD).close()
    model = work / "torus-49MB.stl"
    vertices, faces = torus(TRIANGLES)
    write_binary_stl(model, vertices, faces)
    file_mb = model.stat().st_size / 1e6
    print(f"model: a closed torus, {len(faces):,} triangles, {file_mb:.1f} MB")
    del vertices, faces

    check = json.loads(python(ANALYSE, str(model), str(data)))
    print(f"model check in a fresh process: {check['seconds']:.2f} s, peak RSS "
          f"{check['peak'] / 1e6:.0f} MB, {check['triangles']:,} triangles, "
          f"watertight={check['watertight']}")
    baseline_s = min(float(python(BASELINE, str(model), str(work / "copy.stl")))
                     for _ in range(2))
    print(f"copy + trimesh.load(process=False) of the same bytes: {baseline_s:.2f} s")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "intake.log"
    server = start_intake(data, port, log)
    try:
        wait_until_serving(base, server, log)
        post_model(base, ROOT / "tests" / "models" / "20mm-xyz-cube.stl")  # loads what is lazy
        sampler = RssSampler(server.pid)
        with sampler:
            started = time.perf_counter()
            reply = post_model(base, model)
            upload_s = time.perf_counter() - started
        if reply.status != 303:
            raise SystemExit(f"the upload got HTTP {reply.status}, not 303")
        one_peak = sampler.peak
        print(f"one upload: 303 after {upload_s:.2f} s; server peak RSS {one_peak / 1e6:.0f} MB")

        big = work / "torus-41MB.stl"
        write_binary_stl(big, *torus(CONCURRENT_TRIANGLES))
        big_mb = big.stat().st_size / 1e6
        sampler = RssSampler(server.pid)
        with sampler, ThreadPoolExecutor(concurrent) as pool:
            started = time.perf_counter()
            statuses = list(pool.map(lambda _i: post_model(base, big, timeout=900).status,
                                     range(concurrent)))
            together_s = time.perf_counter() - started
        refused = sum(1 for s in statuses if s != 303)
        time.sleep(2)  # let the server settle after the burst
        idle_after = sampler.rss()
        print(f"{concurrent} concurrent uploads of {big_mb:.1f} MB: {concurrent - refused} "
              f"accepted in {together_s:.1f} s; server peak RSS {sampler.peak / 1e6:.0f} MB, "
              f"idle after {idle_after / 1e6:.0f} MB")
    finally:
        server.terminate()
        server.wait(30)
    return (f"analysis_s={check['seconds']:.2f} analysis_peak_mb={check['peak'] / 1e6:.0f} "
            f"upload_s={upload_s:.2f} baseline_s={baseline_s:.2f} "
            f"upload_ratio={upload_s / baseline_s:.1f} server_peak_mb={one_peak / 1e6:.0f} "
            f"concurrent={concurrent} refused={refused} concurrent_peak_mb={sampler.peak / 1e6:.0f} "
            f"idle_after_mb={idle_after / 1e6:.0f} file_mb={file_mb:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--concurrent", type=int, default=20, help="concurrent uploads (20)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="printdesk-bench-"))
    try:
        print(run(work, args.concurrent))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
