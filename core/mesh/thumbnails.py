"""Headless PNG thumbnails of models for the console's job list (SPEC §6, §7).

trimesh renders only through OpenGL, which a service or a locked lab PC may not have, so this is
a small software renderer in numpy: an orthographic view from the front-right and above, flat
shading by face normal, hidden surfaces removed by a z-buffer filled span by span at
SUPERSAMPLE× the thumbnail's size, then averaged down (smooth edges). Large models are first
simplified by vertex clustering on a grid about as fine as the thumbnail's pixels, so the surface
stays closed (merely dropping small faces would leave a 1M-triangle scan full of holes) and a
scan's noise is averaged away. On a closed surface the faces turned away are culled (hidden
anyway: it only saves work); an open surface is drawn from both sides.

A million-triangle binary STL has three million corners, and the clustering pass over them is
most of the time, so that pass is written for numpy's speed: its (n, 3) arrays are never reduced
along or combined with a per-axis (3,) array (numpy then loops three elements at a time, about
ten times slower), and the cell keys are computed in cache-sized blocks. The rasteriser works
on whole arrays of (face, row) spans and of samples, never face by face in Python.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from core.mesh.analysis import read_mesh

log = logging.getLogger(__name__)

THUMBNAIL = "thumbnail.png"
MAX_FACES = 40_000  # what the clustering aims for
MAX_DRAWN = 150_000  # left when even the coarsest grid keeps more: the smallest faces go
GRID, MIN_GRID = 160, 24  # cells along the longest side for vertex clustering (256 px image)
SUPERSAMPLE = 3  # samples per pixel along each axis, averaged: smooth edges
MAX_CANVAS = 2048  # samples along each side at most: a large picture gets fewer per pixel
MARGIN = 0.06  # of the image size, on each side
# Samples the rasteriser may touch: past the budget, fewer per pixel (most models need under a
# million); past the limit, only the nearest faces (a pile of large faces could ask billions).
SAMPLE_BUDGET, SAMPLE_LIMIT = 3_000_000, 20_000_000
# Face rows (some 300 bytes each) and samples (some 50) handled at once: bounded memory.
ROWS_AT_ONCE, SAMPLES_AT_ONCE = 1 << 16, 1 << 18
# Depth levels and face numbers packed in a float64: 2**28 × 2**24 leaves room under 2**53.
DEPTH_LEVELS, FACE_CODES = float(2**28), float(2**24)
BLOCK = 1 << 14  # corners per step of the cell keys: the temporaries stay in the CPU's cache
# Camera: looking from the front-right, above (Z is up on a printer's bed).
EYE = np.array([1.0, -1.35, 0.95])
LIGHT = np.array([-0.35, -0.9, 1.0])  # from the upper left of the camera, a little in front
BASE_RGB = np.array([104.0, 148.0, 201.0])  # a calm blue that reads on light and dark lists
AMBIENT, DIFFUSE, RIM = 0.42, 0.58, 0.12


class ThumbnailError(Exception):
    """The model has nothing to draw."""


def render_thumbnail(model_path: Path, extension: str, size: int = 256, **limits: int) -> bytes:
    """PNG bytes of the model centred and scaled to fit a `size`×`size` transparent square.

    Raises ModelRejected when the file cannot be read and ThumbnailError when it holds no faces.
    """
    (vertices, faces), _unit = read_mesh(model_path, extension.lower().lstrip("."), **limits)
    return render_mesh(vertices, faces, size)


def render_mesh(vertices: np.ndarray, faces: np.ndarray, size: int = 256) -> bytes:
    """PNG bytes of a mesh already read (corners, triangles); see render_thumbnail."""
    if size < 8:
        raise ValueError(f"a thumbnail must be at least 8 pixels wide, not {size}")
    with np.errstate(all="ignore"):  # degenerate faces give 0/0 normals; they are dropped below
        triangles, closed = _triangles(np.asarray(vertices), np.asarray(faces))
        return _draw(triangles, size, closed)


def _triangles(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, bool | None]:
    """((n, 3, 3) float64 triangle corners, simplified if large, without degenerate ones;
    whether the surface is closed, when the simplification already knows it)."""
    if len(faces) == 0 or len(vertices) == 0:
        raise ThumbnailError("the model has no triangles")
    if vertices.dtype not in (np.float32, np.float64):  # integers, float16, big-endian
        vertices = vertices.astype(np.float64)
    if faces.dtype.kind not in "iu":
        faces = faces.astype(np.int64)
    if faces.min() < 0 or faces.max() >= len(vertices):
        faces = faces[(faces >= 0).all(axis=1) & (faces < len(vertices)).all(axis=1)]
    if not np.isfinite(vertices).all():
        finite = np.isfinite(vertices).all(axis=1)
        faces = faces[finite[faces].all(axis=1)]
    if len(faces) == 0:
        raise ThumbnailError("the model has no drawable triangles")
    closed = None
    if len(faces) > MAX_FACES:
        # Stray corners (and the NaN ones of dropped faces) would widen the grid, skew the means.
        vertices, faces = _used(np.ascontiguousarray(vertices), faces)
        bounds = _bounds(vertices)
        grid = _first_grid(vertices, faces, bounds)
        # A little over the aim is fine; far over means another, coarser pass.
        while len(faces) > MAX_FACES * 1.3 and grid >= MIN_GRID:
            vertices, faces = _cluster(vertices, faces, grid, bounds)
            bounds = _bounds(vertices)
            # Faces scale with the square of the grid: aim the next pass just under the cap.
            grid = min(int(grid * 0.95 * (MAX_FACES / max(len(faces), 1)) ** 0.5), grid - 8)
        # Clustered corners are unique, so the faces' numbers tell closedness without merging.
        closed = _balanced(faces, len(vertices))
    triangles = vertices[faces].astype(np.float64, copy=False)
    area = _area(triangles)
    keep = area > 0  # also False for NaN: a face too large for float64
    triangles, area = triangles[keep], area[keep]
    if len(triangles) == 0:
        raise ThumbnailError("every triangle of the model is degenerate")
    if len(triangles) > MAX_DRAWN:
        triangles = triangles[np.argpartition(area, -MAX_DRAWN)[-MAX_DRAWN:]]
    return triangles, closed


def _used(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The corners some face uses, and the faces numbered in them."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces] = True
    if used.all():
        return vertices, faces
    return vertices[used], (np.cumsum(used, dtype=np.int64) - 1)[faces]


def _first_grid(vertices: np.ndarray, faces: np.ndarray,
                bounds: tuple[np.ndarray, np.ndarray]) -> int:
    """A clustering grid that should leave about MAX_FACES faces: a surface of area A on cells
    of side s keeps roughly 2.6·A/s² triangles. The area is estimated from a sample of faces."""
    sample = faces[:: max(1, len(faces) // 20_000)]
    area = float(_area(vertices[sample].astype(np.float64)).sum()) * len(faces) / len(sample)
    low, high = bounds
    extent = float((high - low).max())
    if not area > 0 or not extent > 0:
        return GRID
    return int(np.clip(extent / np.sqrt(2.6 * area / MAX_FACES), MIN_GRID, GRID))


def _area(triangles: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0],
                                   triangles[:, 2] - triangles[:, 0]), axis=1) / 2


def _bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis lowest and highest of (n, 3) points, reduced over a view 3,072 values wide:
    min(axis=0) on rows of three is about ten times slower."""
    rows = len(points) // 1024 * 1024
    lows, highs = [points[rows:]], [points[rows:]]
    if rows:
        wide = points[:rows].reshape(-1, 3 * 1024)
        lows.append(wide.min(axis=0).reshape(-1, 3))
        highs.append(wide.max(axis=0).reshape(-1, 3))
    low, high = np.vstack(lows).min(axis=0), np.vstack(highs).max(axis=0)
    return low.astype(np.float64), high.astype(np.float64)


def _cell_keys(vertices: np.ndarray, grid: int, bounds: tuple[np.ndarray, np.ndarray]
               ) -> tuple[np.ndarray, int]:
    """(the number of each corner's cell on a lattice of cubes `grid` to the longest side, the
    number of cells). The lattice is aligned on the origin, not on the model, so that a block
    needs only a scalar multiply, floor and dot product; the model's offset is taken off the
    keys at the end."""
    low, high = bounds
    scale = vertices.dtype.type(grid / max(float((high - low).max()), 1e-30))
    first = np.floor(low.astype(vertices.dtype) * scale).astype(np.float64)
    side = grid + 2  # floor(high) - floor(low) ≤ grid + 1, rounding included
    weights = np.array([side * side, side, 1], dtype=np.float64)
    offset = float(first @ weights)
    keys = np.empty(len(vertices), dtype=np.int32)
    scratch = np.empty((BLOCK, 3), dtype=vertices.dtype)
    flat = np.empty(BLOCK, dtype=np.float64)
    for start in range(0, len(vertices), BLOCK):
        block = vertices[start:start + BLOCK]
        cells, key = scratch[:len(block)], flat[:len(block)]
        np.multiply(block, scale, out=cells)
        np.floor(cells, out=cells)
        np.matmul(cells, weights, out=key)  # exact: float64 holds these integers
        key -= offset
        np.copyto(keys[start:start + len(block)], key, casting="unsafe")
    np.clip(keys, 0, side ** 3 - 1, out=keys)  # never out of the table, whatever the rounding
    return keys, side ** 3


def _cluster(vertices: np.ndarray, faces: np.ndarray, grid: int,
             bounds: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Merge all vertices in each cell of a `grid`-cells-wide lattice into their mean; drop the
    faces that collapse. Keeps the silhouette and the surface closed at thumbnail resolution.
    Cells are numbered through a lookup table, not np.unique, which sorts and is several times
    slower."""
    keys, cells = _cell_keys(vertices, grid, bounds)
    occupied = np.zeros(cells, dtype=bool)
    occupied[keys] = True
    number = np.cumsum(occupied, dtype=np.int64)  # intp: bincount would convert int32 each time
    number -= 1
    remap = number[keys]
    del keys, occupied, number
    count = np.bincount(remap)
    merged = np.empty((len(count), 3))
    for axis in range(3):
        merged[:, axis] = np.bincount(remap, weights=vertices[:, axis]) / count
    faces = remap[faces]
    a, b, c = faces[:, 0], faces[:, 1], faces[:, 2]
    return merged, faces[(a != b) & (b != c) & (a != c)]


def _closed(triangles: np.ndarray) -> bool:
    """Whether the surface of a triangle soup is closed and consistently wound (see _balanced),
    its corners merged where they agree to 1e-5 of the model's size."""
    corners = triangles.reshape(-1, 3)
    low = corners.min(axis=0)
    step = max(float((corners.max(axis=0) - low).max()), 1e-12) * 1e-5
    q = np.rint((corners - low) / step).astype(np.int64)  # ≤ 100,001 levels per axis
    _, index = np.unique((q[:, 0] * 100_003 + q[:, 1]) * 100_003 + q[:, 2], return_inverse=True)
    return _balanced(index.reshape(-1, 3), int(index.max()) + 1)


def _balanced(faces: np.ndarray, corners: int) -> bool:
    """Whether each edge is run as often in one direction as in the other: a closed,
    consistently wound surface (touching closed bodies, which share edges, still count)."""
    faces = faces.astype(np.int64, copy=False)
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    forward = np.sort(edges[:, 0] * corners + edges[:, 1])
    backward = np.sort(edges[:, 1] * corners + edges[:, 0])
    return bool(np.array_equal(forward, backward))


def _camera() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen right, screen up and towards-the-viewer unit vectors."""
    toward = EYE / np.linalg.norm(EYE)
    right = np.cross(np.array([0.0, 0.0, 1.0]), toward)
    right /= np.linalg.norm(right)
    return right, np.cross(toward, right), toward


def _draw(triangles: np.ndarray, size: int, closed: bool | None) -> bytes:
    right, up, toward = _camera()
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    if closed is None:
        closed = _closed(triangles)
    if closed:
        # Faces turned away from the camera are hidden on a closed, consistently wound surface:
        # culled, they cost nothing. Σ (corner - o)·normal is six times the enclosed volume
        # for any o; a corner of the model as o keeps the rounding small.
        outward = np.einsum("ij,ij->", triangles[:, 0] - triangles[0, 0], normals) >= 0
        facing = normals @ toward
        visible = facing > 0 if outward else facing < 0
        if visible.any():
            triangles, normals = triangles[visible], normals[visible]
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    # Two-sided: an open surface shows its inside; light it like the outside.
    normals[normals @ toward < 0] *= -1
    light = LIGHT / np.linalg.norm(LIGHT)
    rim = np.clip(1 - np.abs(normals @ toward), 0, 1) ** 3  # brightens grazing faces a little
    shade = AMBIENT + DIFFUSE * np.clip(normals @ light, 0, 1) + RIM * rim
    colours = np.clip(BASE_RGB[None, :] * shade[:, None], 0, 255).astype(np.uint8)

    screen = triangles @ np.stack([right, up], axis=1)  # (n, 3, 2)
    depth = triangles @ toward  # (n, 3), larger is nearer
    canvas = min(size * SUPERSAMPLE, max(size, MAX_CANVAS))
    points = _framed(screen, canvas)
    work = _samples(points)
    if work.sum() > SAMPLE_BUDGET:
        # Many layers of faces (hundreds of bodies behind one another, say): fewer samples per
        # pixel, down to one, rather than seconds of drawing.
        canvas = max(size, int(canvas * (SAMPLE_BUDGET / work.sum()) ** 0.5))
        points = _framed(screen, canvas)
        work = _samples(points)
    if work.sum() > SAMPLE_LIMIT:
        # Only a pile of large faces stacked hundreds deep gets here: the nearest are drawn.
        nearest = np.argsort(-depth.max(axis=1), kind="stable")
        keep = nearest[np.cumsum(work[nearest]) <= SAMPLE_LIMIT]
        log.info("thumbnail: %d of %d faces drawn, the nearest", len(keep), len(points))
        points, depth, colours = points[keep], depth[keep], colours[keep]
    seen = _rasterise(points, depth, canvas)

    # One RGBA word per face and a transparent one last, where `seen` is -1.
    palette = np.zeros((len(colours) + 1, 4), dtype=np.uint8)
    palette[:-1, :3], palette[:-1, 3] = colours, 255
    pixels = palette.view(np.uint32)[:, 0][seen].view(np.uint8)
    image = Image.fromarray(pixels.reshape(canvas, canvas, 4), "RGBA")
    if canvas != size:
        # Pillow averages RGBA with premultiplied alpha: edges do not darken towards black.
        image = image.resize((size, size), Image.Resampling.BOX)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _framed(screen: np.ndarray, canvas: int) -> np.ndarray:
    """Screen coordinates → canvas pixels (x right, y down), the model centred with a margin."""
    x, y = screen[..., 0], screen[..., 1]
    low, high = np.array([x.min(), y.min()]), np.array([x.max(), y.max()])
    scale = canvas * (1 - 2 * MARGIN) / max(float((high - low).max()), 1e-12)
    points = (screen - (low + high) / 2) * scale
    points[..., 1] *= -1  # image rows grow downwards
    points += canvas / 2
    return points


def _samples(points: np.ndarray) -> np.ndarray:
    """About how many samples the rasteriser will touch per face: its area plus its rows."""
    x, y = points[..., 0], points[..., 1]
    area = np.abs((x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0]))
    return area / 2 + (y.max(axis=1) - y.min(axis=1) + 1)


def _batches(counts: np.ndarray, limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive slices of `counts` whose sums stay within `limit` (one item if it alone is
    over)."""
    ends = np.cumsum(counts)
    start = 0
    while start < len(counts):
        base = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, base + limit, side="right")), start + 1)
        yield start, stop
        start = stop


def _rasterise(points: np.ndarray, depth: np.ndarray, canvas: int) -> np.ndarray:
    """The face seen at each sample of a `canvas`² image (row by row), -1 where none is.

    A sample belongs to a face when its centre lies inside or on the face's edges. Each face is
    cut at its middle corner into an upper and a lower half, each bounded by one edge on the
    left and one on the right. Every edge is interpolated from its upper end (ties: its left
    end), the same for both faces that share it, so neighbours agree to the bit and a closed
    surface has no pinholes. Depth is interpolated along the edges, then across each row's
    span; the nearest face wins. Depth and face share one float64 per sample (depth levels in
    the high bits, the face's number in the low 24, both exact integers), so the z-buffer is a
    single np.maximum.at."""
    # Fresh float64 arrays: a float64 of another descriptor instance (a pickled array, say)
    # would send np.maximum.at down a buffered path twenty times slower.
    points, depth = points.astype(np.float64), depth.astype(np.float64)
    low, high = float(depth.min()), float(depth.max())
    depth = (depth - low) * (DEPTH_LEVELS / (high - low) if high > low else 0.0)
    (xt, yt, zt), (xm, ym, zm), (xb, yb, zb) = _sorted_corners(points[..., 0], points[..., 1],
                                                               depth)
    twice_area = (xm - xt) * (yb - yt) - (xb - xt) * (ym - yt)  # > 0: the middle is right
    flat = twice_area == 0  # edge-on: covers nothing (and would divide by zero below)
    longest = _edge(xt, yt, zt, xb, yb, zb, yb > yt)
    upper = _edge(xt, yt, zt, xm, ym, zm, ym > yt)
    lower = _edge(xm, ym, zm, xb, yb, zb, yb > ym)
    long_left = twice_area > 0
    halves = np.concatenate([  # (10, 2n): left edge, right edge; upper halves, then lower ones
        np.where(long_left, longest, upper), np.where(long_left, longest, lower)], axis=1)
    halves = np.concatenate([halves, np.concatenate([
        np.where(long_left, upper, longest), np.where(long_left, lower, longest)], axis=1)])
    # Rows whose centre is above the middle corner belong to the upper half, the rest below.
    split = np.ceil(ym - 0.5)
    first = np.concatenate([np.ceil(yt - 0.5), split]).clip(0, canvas)
    last = np.concatenate([split - 1, np.floor(yb - 0.5)]).clip(-1, canvas - 1)
    rows = (last - first + 1).clip(0).astype(np.int64)
    rows[np.concatenate([flat, flat])] = 0
    order = np.flatnonzero(rows)
    n = len(points)

    best = np.full(canvas * canvas, -np.inf)
    steps = np.arange(max(ROWS_AT_ONCE, SAMPLES_AT_ONCE), dtype=np.float64)
    for start, stop in _batches(rows[order], ROWS_AT_ONCE):
        batch = order[start:stop]
        counts = rows[batch]
        half = np.repeat(batch, counts)
        centre = np.repeat(first[batch] + 0.5 - (np.cumsum(counts) - counts), counts)
        centre += steps[:len(half)]
        y0, x0, z0, dx0, dz0, y1, x1, z1, dx1, dz1 = halves[:, half]
        y0 -= centre
        y1 -= centre
        xl, zl = x0 - y0 * dx0, z0 - y0 * dz0
        xr, zr = x1 - y1 * dx1, z1 - y1 * dz1
        slope = np.where(xr > xl, (zr - zl) / (xr - xl), 0.0)
        c0 = np.ceil(xl - 0.5).clip(0, canvas)
        width = (np.floor(xr - 0.5).clip(-1, canvas - 1) - c0 + 1).clip(0).astype(np.int64)
        at = (centre - 0.5) * canvas + c0  # the sample under each span's first pixel
        z_first = zl + (c0 + 0.5 - xl) * slope
        face = half % n
        for lo, hi in _batches(width, SAMPLES_AT_ONCE):
            counts = width[lo:hi]
            before = np.cumsum(counts) - counts
            step = steps[:int(before[-1] + counts[-1])]
            sample = (np.repeat(at[lo:hi] - before, counts) + step).astype(np.int64)
            key = np.repeat(z_first[lo:hi] - before * slope[lo:hi], counts)
            key += step * np.repeat(slope[lo:hi], counts)
            np.floor(key, out=key)
            key *= FACE_CODES
            key += np.repeat(face[lo:hi], counts)
            np.maximum.at(best, sample, key)
    seen = np.full(len(best), -1, dtype=np.int32)
    covered = best > -np.inf
    # Exact integers below 2**53: the two's complement keeps the low 24 bits right even for
    # a key a rounding pushed below zero.
    seen[covered] = best[covered].astype(np.int64) & (int(FACE_CODES) - 1)
    return seen


def _edge(x0: np.ndarray, y0: np.ndarray, z0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
          z1: np.ndarray, slanted: np.ndarray) -> np.ndarray:
    """(5, n): an edge's upper end (y, x, z) and its dx/dy, dz/dy (0 for a horizontal edge,
    which no row's centre crosses inside a half)."""
    rise = np.where(slanted, y1 - y0, 1.0)
    return np.stack([y0, x0, z0, np.where(slanted, (x1 - x0) / rise, 0.0),
                     np.where(slanted, (z1 - z0) / rise, 0.0)])


def _sorted_corners(x: np.ndarray, y: np.ndarray, z: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each face's corners as (x, y, z) top to bottom, ties left to right."""
    corners = [(x[:, k], y[:, k], z[:, k]) for k in range(3)]
    for i, j in ((0, 1), (1, 2), (0, 1)):  # a sorting network of three
        (xi, yi, zi), (xj, yj, zj) = corners[i], corners[j]
        swap = (yj < yi) | ((yj == yi) & (xj < xi))
        corners[i] = (np.where(swap, xj, xi), np.where(swap, yj, yi), np.where(swap, zj, zi))
        corners[j] = (np.where(swap, xi, xj), np.where(swap, yi, yj), np.where(swap, zi, zj))
    return corners
