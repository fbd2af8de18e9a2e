"""Benchmark: the headless thumbnail of real-size models, against trimesh.load of the same file.

Run it from the checkout with the project's virtualenv:

    .venv/bin/python bench/thumbnail_render.py [--keep] [--out DIR] [--repeat N]

It writes, in a throw-away folder, binary STLs of about a million triangles each:

* a closed torus of 983,040 triangles (tests/realsize.py), the headline model;
* 250,000 separate tetrahedra on a jittered lattice (a million triangles, 250,000 bodies);
* a noisy, scan-like sphere (radial noise and bumps, faces in random order, as scanners write).

For each it times, in this one process, `render_thumbnail(path, ".stl")` (reading included)
and `trimesh.load(path, process=False)`, best of N (3) each, and the peak of the memory numpy
and Python allocate during one more render (tracemalloc; Pillow's few MB of canvas are not
counted). Target: the torus renders in at most 3 × trimesh's load time. trimesh.load hashes
the arrays it loads, with xxhash when that is installed and about twice as slowly without (as
in this project's virtualenv), so the ratio is higher on a machine that has xxhash.

The last line printed is machine-readable:
    render_s=… trimesh_load_s=… ratio=… triangles=… render_peak_mb=… tetra_ratio=…
    sphere_ratio=…
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import trimesh

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.mesh.thumbnails import render_thumbnail  # noqa: E402
from tests.realsize import torus, write_binary_stl  # noqa: E402

TRIANGLES = 983_040  # the torus rounds it to 981,180 (49.1 MB as a binary STL)
TETRAHEDRA = 250_000


def tetrahedra(count: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """`count` separate closed tetrahedra (wound outwards) on a jittered cubic lattice."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(count ** (1 / 3)))
    cells = np.stack(np.unravel_index(np.arange(count), (side, side, side)), axis=1)
    centres = (cells + rng.uniform(-0.2, 0.2, (count, 3))) * 2.0  # mm
    unit = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=np.float64) * 0.5
    squash = rng.uniform(0.6, 1.2, (count, 1, 3))  # each its own shape, not one repeated
    vertices = (centres[:, None, :] + unit[None] * squash).reshape(-1, 3).astype("<f4")
    local = np.array([[0, 1, 2], [0, 3, 1], [0, 2, 3], [1, 3, 2]])
    faces = (np.arange(count)[:, None, None] * 4 + local[None]).reshape(-1, 3)
    return vertices, faces.astype(np.int64)


def scanned_sphere(triangles: int, radius: float = 40.0, seed: int = 2
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A closed latitude-longitude sphere of about `triangles` faces with scanner-like radial
    noise and a few bumps, its faces shuffled (scanners write them in no useful order)."""
    rng = np.random.default_rng(seed)
    around = max(8, round((triangles / 2) ** 0.5))
    rings = max(3, triangles // (2 * around) + 1)
    theta = np.linspace(0, np.pi, rings + 1)[1:-1]  # without the poles
    phi = np.linspace(0, 2 * np.pi, around, endpoint=False)
    tt, pp = np.meshgrid(theta, phi, indexing="ij")
    directions = np.stack([np.sin(tt) * np.cos(pp), np.sin(tt) * np.sin(pp), np.cos(tt)], -1)
    directions = np.concatenate([directions.reshape(-1, 3), [[0, 0, 1], [0, 0, -1]]])
    bumps = 0.06 * np.sin(5 * directions[:, 0]) * np.cos(4 * directions[:, 1] + 1)
    noise = rng.normal(0, 0.004, len(directions))
    vertices = directions * (radius * (1 + bumps + noise))[:, None] + radius
    n = rings - 1  # rows of vertices
    top, bottom = n * around, n * around + 1
    i, j = np.meshgrid(np.arange(n - 1), np.arange(around), indexing="ij")
    a, b = i * around + j, i * around + (j + 1) % around
    c, d = (i + 1) * around + (j + 1) % around, (i + 1) * around + j
    j = np.arange(around)
    faces = np.concatenate([
        np.stack([a, d, c], -1).reshape(-1, 3), np.stack([a, c, b], -1).reshape(-1, 3),
        np.stack([np.full(around, top), j, (j + 1) % around], -1),
        np.stack([np.full(around, bottom), (n - 1) * around + (j + 1) % around,
                  (n - 1) * around + j], -1)])
    return vertices.astype("<f4"), faces[rng.permutation(len(faces))].astype(np.int64)


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def traced_peak(action: Callable[[], object]) -> float:
    """Peak bytes allocated (numpy arrays included) while `action` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(path: Path, triangles: int, repeat: int, out: Path | None) -> dict[str, float]:
    load_s = best_of(repeat, lambda: trimesh.load(path, process=False))
    render_s = best_of(repeat, lambda: render_thumbnail(path, ".stl"))
    peak = traced_peak(lambda: render_thumbnail(path, ".stl"))
    if out is not None:
        (out / f"{path.stem}.png").write_bytes(render_thumbnail(path, ".stl"))
    print(f"{path.stem}: {triangles:,} triangles, {path.stat().st_size / 1e6:.1f} MB; "
          f"trimesh.load {load_s:.3f} s, render_thumbnail {render_s:.3f} s "
          f"(ratio {render_s / load_s:.2f}), render peak {peak / 1e6:.0f} MB traced")
    return {"render_s": render_s, "load_s": load_s, "ratio": render_s / load_s, "peak": peak}


def run(work: Path, repeat: int, out: Path | None) -> str:
    models = {"torus": torus(TRIANGLES), "tetrahedra": tetrahedra(TETRAHEDRA),
              "scanned-sphere": scanned_sphere(TRIANGLES)}
    paths = {}
    for name, (vertices, faces) in models.items():
        paths[name] = (work / f"{name}.stl", len(faces))
        write_binary_stl(paths[name][0], vertices, faces)
    del models
    render_thumbnail(paths["torus"][0], ".stl")  # imports and first-call costs out of the way
    results = {name: measure(path, count, repeat, out) for name, (path, count) in paths.items()}
    headline = results["torus"]
    return (f"render_s={headline['render_s']:.3f} trimesh_load_s={headline['load_s']:.3f} "
            f"ratio={headline['ratio']:.2f} triangles={paths['torus'][1]} "
            f"render_peak_mb={headline['peak'] / 1e6:.0f} "
            f"tetra_ratio={results['tetrahedra']['ratio']:.2f} "
            f"sphere_ratio={results['scanned-sphere']['ratio']:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--out", type=Path, help="also save each model's thumbnail here")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (3)")
    args = parser.parse_args()
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="printdesk-bench-"))
    try:
        print(run(work, max(1, args.repeat), args.out))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
