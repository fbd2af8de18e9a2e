"""The model check's geometry in plain numpy, giving trimesh's answers at a fraction of its cost.

`trimesh.Trimesh(vertices, faces, process=True)` followed by `.extents`, `.volume` and
`.is_watertight` needs about twelve times an STL's size in memory (int64 copies of every index
array, an (n, 3, 3) float64 triangle array, ten per-face integrals for the inertia nobody asked
for) and seconds for a million triangles. The functions here reproduce the same rules, read from
trimesh's own source (5.2: `grouping.merge_vertices`, `graph.is_watertight`,
`triangles.mass_properties`; tests/test_mesh_equivalence.py compares with the installed trimesh),
so each number is the one trimesh gives, to the last bit (the volume's terms are the same float64
operations, summed the same way), while working in chunks, keeping float32 coordinates as
float32 and indices as int32 where they fit.

Use: `merge_vertices(vertices, faces)`, let go of the input arrays, then `measure(...)` on the
merged ones; the other functions are the pieces, exposed for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# trimesh merges vertices whose coordinates agree after rounding to util.decimal_to_digits(tol.merge)
# = 8 decimals; `* 10**8` is an exact float64 multiplication, as in trimesh.
MERGE_SCALE = 1e8
CHUNK = 1 << 16  # rows per step: temporaries of a few MB whatever the model's size

# Odd 64-bit constants (golden ratio, murmur3's and xxhash's): multiplying by them carries every
# input bit into the top bits that the sort uses.
_K = tuple(np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                  0xFF51AFD7ED558CCD))


@dataclass(frozen=True)
class MeshFacts:
    """What trimesh would report for the mesh after merging its vertices."""

    vertices: NDArray[np.floating]  # merged (only the corners that faces use), input dtype
    faces: NDArray[np.integer]  # the same faces, numbered in `vertices`
    extents: tuple[float, float, float]
    volume: float  # signed, trimesh's surface integral (also on open surfaces)
    watertight: bool
    winding_consistent: bool


def measure(vertices: NDArray[np.floating], faces: NDArray[np.integer]) -> MeshFacts:
    """The facts of a mesh whose vertices `merge_vertices` has already merged."""
    watertight, winding = edge_check(faces, len(vertices))
    return MeshFacts(vertices, faces, extents(vertices), signed_volume(vertices, faces),
                     watertight, winding)


def index_dtype(count: int) -> type[np.signedinteger]:
    # int32 halves every index array; only a mesh beyond 2³¹ corners needs int64.
    return np.int32 if count < 2**31 else np.int64


def quantise(points: NDArray[np.floating]) -> NDArray[np.int64]:
    """trimesh's merge key: `(vertices * 10**8).round().astype(int64)` (round half to even, so
    -0.0 and 0.0 are one point; coordinates beyond ±9.2e10 overflow exactly as in trimesh)."""
    scaled = points.astype(np.float64)
    scaled *= MERGE_SCALE
    np.rint(scaled, out=scaled)
    with np.errstate(invalid="ignore"):
        return scaled.astype(np.int64)


def hash_rows(q: NDArray[np.int64]) -> NDArray[np.uint64]:
    """A 64-bit hash of each integer row whose top bits depend on every input bit. Only those top
    bits are used, as a sort key, and points are compared exactly afterwards, so a collision
    costs time, never correctness."""
    u = q.view(np.uint64)
    h = u[:, 0] * _K[0]
    h ^= u[:, 1] * _K[1]
    h ^= u[:, 2] * _K[2]
    h ^= h >> np.uint64(32)
    h *= _K[3]
    return h


def merge_vertices(vertices: NDArray[np.floating],
                   faces: NDArray[np.integer]) -> tuple[NDArray[np.floating], NDArray[np.integer]]:
    """trimesh.grouping.merge_vertices: drop unreferenced corners, then merge corners whose
    quantised coordinates are equal, keeping the first one's exact coordinates. `vertices` must
    be finite (trimesh's process drops the others first). Returns trimesh's merged vertices and
    faces, in its order.

    One sort of 64-bit keys (hash in the high bits, corner index in the low bits) groups the
    corners by hash, lowest index first. Every corner is then compared with its group's first
    one; should a group hold different points (a hash collision), just those groups are sorted
    again by their exact coordinates.
    """
    faces = np.asarray(faces)
    referenced = np.zeros(len(vertices), dtype=bool)
    referenced[faces] = True
    if not referenced.all():
        renumber = np.cumsum(referenced, dtype=index_dtype(len(vertices)))
        renumber -= 1
        vertices, faces = vertices[referenced], renumber[faces]
        del renumber
    del referenced
    n = len(vertices)
    if n == 0:
        return vertices, faces.astype(np.int32)
    idx_bits = max(1, (n - 1).bit_length())
    low_mask = np.uint64((1 << idx_bits) - 1)

    keys = np.empty(n, dtype=np.uint64)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        h = hash_rows(quantise(vertices[start:stop]))
        h &= ~low_mask
        h |= np.arange(start, stop, dtype=np.uint64)
        keys[start:stop] = h
    keys.sort()
    order = (keys & low_mask).astype(np.intp)  # corners in sorted order
    first = np.empty(n, dtype=bool)  # where a group of equal hashes starts
    first[0] = True
    for start in range(1, n, CHUNK):
        k = keys[start - 1:start + CHUNK]
        first[start:start + CHUNK] = ((k[1:] ^ k[:-1]) >> np.uint64(idx_bits)) != 0
    del keys

    keep, inverse = _number(order, first)
    merged = vertices[keep]
    different = _differing_groups(vertices, merged, inverse)
    if different is not None:
        _split_groups(vertices, order, first, different[inverse[order]])
        keep, inverse = _number(order, first)
        merged = vertices[keep]
    del order, first, keep
    return merged, np.take(inverse, faces)


def _number(order: NDArray[np.intp],
            first: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.integer]]:
    """(which corners are kept, each corner's merged vertex), the groups of sorted corners that
    `first` marks numbered in the order of their first corner, as trimesh does: neighbouring faces
    then use nearby vertices, which keeps every later gather cache-friendly."""
    n = len(order)
    idx_type = index_dtype(n)
    reps = order[first]  # per group, its first corner (the lowest index)
    keep = np.zeros(n, dtype=bool)
    keep[reps] = True
    rank = np.cumsum(keep, dtype=idx_type)
    rank -= 1
    new_id = rank[reps]
    del rank, reps
    group = np.cumsum(first, dtype=idx_type)  # per sorted corner, its group in sorted order
    group -= 1
    inverse = np.empty(n, dtype=idx_type)
    inverse[order] = new_id[group]
    return keep, inverse


def _differing_groups(vertices: NDArray[np.floating], merged: NDArray[np.floating],
                      inverse: NDArray[np.integer]) -> NDArray[np.bool_] | None:
    """Per merged vertex, whether some corner put in it is another point; None if none is. Runs
    in the corners' own order, so `merged` is read almost sequentially."""
    bad: NDArray[np.bool_] | None = None
    for start in range(0, len(vertices), CHUNK):
        rows = vertices[start:start + CHUNK]
        ids = inverse[start:start + CHUNK]
        reps = np.take(merged, ids, axis=0)
        equal = rows == reps
        # Equal coordinates need no rounding; only the others (near-duplicates, collisions) do.
        check = np.flatnonzero(~(equal[:, 0] & equal[:, 1] & equal[:, 2]))
        if len(check) == 0:
            continue
        same = quantise(rows[check]) == quantise(reps[check])
        wrong = ids[check[~(same[:, 0] & same[:, 1] & same[:, 2])]]
        if len(wrong):
            if bad is None:
                bad = np.zeros(len(merged), dtype=bool)
            bad[wrong] = True
    return bad


def _split_groups(vertices: NDArray[np.floating], order: NDArray[np.intp], first: NDArray[np.bool_],
                  wrong: NDArray[np.bool_]) -> None:
    """Re-sort the groups of sorted corners flagged in `wrong` (each contiguous) by their exact
    quantised coordinates, then index, and mark where each point starts; in place."""
    at = np.flatnonzero(wrong)
    groups = np.cumsum(first)[at]
    idx = order[at]
    q = quantise(vertices[idx])
    sort = np.lexsort((idx, q[:, 2], q[:, 1], q[:, 0], groups))  # the last key is the primary one
    idx, q, groups = idx[sort], q[sort], groups[sort]
    order[at] = idx
    new = np.ones(len(at), dtype=bool)
    new[1:] = (groups[1:] != groups[:-1]) | (q[1:] != q[:-1]).any(axis=1)
    first[at] = new


def edge_check(faces: NDArray[np.integer], n_vertices: int) -> tuple[bool, bool]:
    """trimesh.graph.is_watertight: (every undirected edge is used by exactly two faces; every
    edge used exactly twice is run in opposite directions by its two faces).

    Each directed edge (a, b) becomes one int64 key, (min·n + max)·2 + (a > b): sorting once
    groups the undirected edges and keeps their directions in the lowest bit.
    """
    m = len(faces)
    if m == 0:
        return False, False  # trimesh: an empty mesh is neither
    keys = np.empty((m, 3), dtype=np.int64)
    for start in range(0, m, CHUNK):
        a = faces[start:start + CHUNK].astype(np.int64)
        b = a[:, [1, 2, 0]]
        low, high = np.minimum(a, b), np.maximum(a, b)
        low *= n_vertices
        low += high
        low <<= 1
        low |= a > b
        keys[start:start + CHUNK] = low
    keys = keys.reshape(-1)
    keys.sort()
    edge = keys >> 1
    watertight = bool(len(edge) % 2 == 0 and (edge[0::2] == edge[1::2]).all()
                      and (edge[1:-1:2] != edge[2::2]).all())
    if watertight:  # the usual case: every pair sits at (even, odd), no index arrays needed
        one, other = keys[0::2], keys[1::2]
    else:
        starts = np.flatnonzero(np.concatenate(([True], edge[1:] != edge[:-1])))
        sizes = np.diff(np.append(starts, len(keys)))
        pairs = starts[sizes == 2]  # trimesh judges winding on the edges used twice only
        del starts, sizes
        one, other = keys[pairs], keys[pairs + 1]
    del edge
    same_way = ((one ^ other) & 1) == 0
    if same_way.any():
        # trimesh compares the first edge's end with the second's start, which a degenerate edge
        # (a, a) passes whichever way it runs.
        edge = one[same_way] >> 1
        return watertight, bool(((edge // n_vertices) == (edge % n_vertices)).all())
    return watertight, True


def signed_volume(vertices: NDArray[np.floating], faces: NDArray[np.integer]) -> float:
    """trimesh.triangles.mass_properties' volume: sum over faces of cross(t1 - t0, t2 - t1).x ·
    (x0 + x1 + x2), divided by 6, each term computed with the same float64 operations in the
    same order and the sum taken over one contiguous array (numpy's pairwise summation, as
    trimesh's), so the result matches trimesh's to the last bit, closed surface or not."""
    m = len(faces)
    x, y, z = (np.ascontiguousarray(vertices[:, i], dtype=np.float64) for i in range(3))
    terms = np.empty(m, dtype=np.float64)
    for start in range(0, m, CHUNK):
        f0, f1, f2 = (np.ascontiguousarray(c) for c in faces[start:start + CHUNK].T)
        y0, y1, y2, z0, z1, z2 = y.take(f0), y.take(f1), y.take(f2), z.take(f0), z.take(f1), z.take(f2)
        cross_x = (y1 - y0) * (z2 - z1)
        cross_x -= (z1 - z0) * (y2 - y1)
        x_sum = x.take(f0)
        x_sum += x.take(f1)
        x_sum += x.take(f2)
        cross_x *= x_sum
        terms[start:start + CHUNK] = cross_x
    return float(terms.sum() / 6.0)


def extents(vertices: NDArray[np.floating]) -> tuple[float, float, float]:
    """trimesh's `extents`: max - min of the (merged, hence referenced) vertices, in float64."""
    if len(vertices) == 0:
        return (0.0, 0.0, 0.0)
    # Column by column: numpy reduces a long axis much faster than a short one.
    x, y, z = (float(np.float64(c.max()) - np.float64(c.min())) for c in vertices.T)
    return x, y, z
