"""core.mesh.calc and the binary STL reader against trimesh itself, the reference they replace.

Every expected value here comes from trimesh at test time (`trimesh.Trimesh(vertices, faces,
process=True)` on the very arrays `read_mesh` returns, and trimesh's own STL loader), never from
numbers written down from core.mesh.calc's output.
"""

from __future__ import annotations

import gc
import io
import platform
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from trimesh.exchange.stl import load_stl

from core.mesh import analysis as mesh_module
from core.mesh import calc as meshcalc
from core.mesh.analysis import ModelRejected, analyse_model, read_mesh
from tests.helpers import MODELS

KINDS = {".stl", ".obj", ".3mf"}
CORPUS = sorted(p.name for p in MODELS.iterdir() if p.suffix.lower() in KINDS)
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])


# --- helpers ------------------------------------------------------------------------------------

def reference(vertices: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    with np.errstate(all="ignore"):
        mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=True)
        if len(mesh.faces):
            _ = mesh.mass_properties  # cached now: a flat mesh's centre of mass divides by zero
        return mesh


def components(mesh: trimesh.Trimesh) -> int:
    """Connected groups of vertices, as trimesh's body_count defines them (which needs scipy,
    not installed here): a plain union-find over trimesh's unique edges."""
    parent = list(range(len(mesh.vertices)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in mesh.edges_unique.tolist():
        parent[root(a)] = root(b)
    return len({root(i) for i in range(len(parent))})


def ours(vertices: np.ndarray, faces: np.ndarray) -> meshcalc.MeshFacts:
    with np.errstate(all="ignore"):
        merged, merged_faces = meshcalc.merge_vertices(vertices, faces)
        return meshcalc.measure(merged, merged_faces)


def assert_same(vertices: np.ndarray, faces: np.ndarray, bodies: bool = True) -> meshcalc.MeshFacts:
    """core.mesh.calc's answers on these arrays are trimesh's."""
    theirs = reference(vertices, faces)
    facts = ours(vertices, faces)
    assert len(facts.vertices) == len(theirs.vertices)
    # Not just counts: the merged vertices (first corner's coordinates) and faces, in trimesh's order.
    assert np.array_equal(facts.vertices.astype(np.float64), theirs.vertices)
    assert np.array_equal(facts.faces, theirs.faces)
    assert facts.watertight == theirs.is_watertight
    assert facts.winding_consistent == theirs.is_winding_consistent
    assert facts.volume == pytest.approx(float(theirs.volume), rel=1e-9, abs=1e-9)
    assert facts.extents == tuple(float(v) for v in theirs.extents)
    if bodies:
        count = mesh_module._count_bodies(facts.faces, len(facts.vertices))
        assert count == components(theirs)
        assert count == mesh_module._count_bodies(theirs.faces, len(theirs.vertices))
    return facts


def soup(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every face with corners of its own, as in an STL file: all sharing comes from merging."""
    corners = np.asarray(vertices)[np.asarray(faces)].reshape(-1, 3)
    return corners, np.arange(len(corners)).reshape(-1, 3)


def box(extents: tuple[float, float, float] = (10.0, 20.0, 30.0),
        at: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    b = trimesh.creation.box(extents=extents)
    return np.array(b.vertices) + np.array(extents) / 2 + np.array(at), np.array(b.faces)


def binary_stl(path: Path, corners: np.ndarray, header: bytes = b"") -> Path:
    records = np.zeros(len(corners) // 3, dtype=STL_RECORD)
    records["corners"] = np.asarray(corners, dtype=np.float32).reshape(-1, 3, 3)
    path.write_bytes(header.ljust(80, b" ")[:80] + struct.pack("<I", len(records)) + records.tobytes())
    return path


def analyse(config, path: Path) -> dict:
    return analyse_model(path, path.suffix, config, "Prusa MK4S", "Filament")


def refusal(config, path: Path) -> str:
    with pytest.raises(ModelRejected) as caught:
        analyse(config, path)
    return str(caught.value)


def analysis_by_trimesh(mesh: trimesh.Trimesh) -> dict:
    """The fields of analyse_model's result that the old trimesh-based code derived from `mesh`."""
    volume = abs(float(mesh.volume)) / 1000.0
    return {"bbox_mm": [round(float(v), 1) for v in mesh.extents], "triangles": len(mesh.faces),
            "watertight": bool(mesh.is_watertight), "volume_cm3": float(f"{volume:.4g}"),
            "volume_exact": bool(mesh.is_watertight),
            "bodies": mesh_module._count_bodies(mesh.faces, len(mesh.vertices))}


# --- the real-world files -----------------------------------------------------------------------

def test_the_corpus_has_every_format():
    assert {Path(name).suffix.lower() for name in CORPUS} == KINDS and len(CORPUS) >= 20


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_model_matches_trimesh(config, name):
    path = MODELS / name
    (vertices, faces), _unit = read_mesh(path, path.suffix.lower().lstrip("."))
    theirs = reference(vertices, faces)
    if len(faces) == 0:  # refused as empty by both: trimesh has nothing either
        assert theirs.is_empty and len(theirs.faces) == 0
        assert "not a printable model" in refusal(config, path)
        return
    assert_same(vertices, faces)
    if theirs.extents.min() <= theirs.extents.max() * 1e-6:  # flat for trimesh: refused by both
        assert "no thickness" in refusal(config, path)
        return
    result = analyse(config, path)
    assert {k: result[k] for k in analysis_by_trimesh(theirs)} == analysis_by_trimesh(theirs)


def binary_corpus() -> list[str]:
    found = []
    for name in CORPUS:
        path = MODELS / name
        if path.suffix.lower() == ".stl" and path.stat().st_size >= 84:
            count = struct.unpack("<I", path.read_bytes()[80:84])[0]
            if path.stat().st_size == 84 + 50 * count:
                found.append(name)
    return found


def test_the_corpus_has_binary_stls_with_a_solid_header():
    names = binary_corpus()
    assert len(names) >= 5
    assert any((MODELS / n).read_bytes().startswith(b"solid") for n in names)


@pytest.mark.parametrize("name", binary_corpus())
def test_binary_stl_reader_matches_trimesh_load_stl(name):
    path = MODELS / name
    (vertices, faces), unit = read_mesh(path, "stl")
    with path.open("rb") as stream:
        loaded = load_stl(stream)
    assert unit is None
    if not loaded.get("geometry", True):  # trimesh: no triangles, no geometry
        assert vertices.shape == (0, 3) and faces.shape == (0, 3)
        return
    assert vertices.dtype == loaded["vertices"].dtype == np.float32
    assert np.array_equal(vertices, loaded["vertices"])
    assert np.array_equal(faces, loaded["faces"])


@pytest.mark.parametrize("name", [n for n in CORPUS if n.lower().endswith(".stl")
                                  and n not in binary_corpus()])
def test_ascii_stl_in_the_corpus_still_uses_trimesh(name):
    path = MODELS / name
    (vertices, faces), _ = read_mesh(path, "stl")
    with path.open("rb") as stream:
        loaded = load_stl(stream)
    parts = [g for g in loaded.get("geometry", {"": loaded}).values() if len(g.get("faces", []))]
    assert len(faces) == sum(len(g["faces"]) for g in parts)
    if parts:
        assert np.array_equal(vertices, np.vstack([g["vertices"] for g in parts]))


# --- generated edge cases -----------------------------------------------------------------------

def test_negative_zero_is_the_same_point_as_zero():
    corners, faces = soup(*box())
    signed = corners.copy()
    signed[::2][signed[::2] == 0] = -0.0  # half of the corners at the origin planes are -0.0
    assert np.signbit(signed).any()
    facts = assert_same(signed, faces)
    assert facts.watertight and len(facts.vertices) == 8


@pytest.mark.parametrize("offset", [3e-10, 4e-9, 6e-9, 2e-8, 1e-6])
def test_near_duplicate_corners_merge_only_within_trimeshs_rounding(offset):
    # Some offsets stay within the same 1e-8 step and merge; others cross it and do not.
    corners, faces = soup(*box(at=(1.0, 2.0, 3.0)))
    rng = np.random.default_rng(7)
    moved = corners + rng.choice([0.0, offset, -offset], size=corners.shape)
    assert_same(moved, faces)


def rounding_boundaries(count: int) -> np.ndarray:
    """Pairs of adjacent float64 values on either side of a rounding boundary of trimesh's grid
    (x·10⁸ = k + ½), plus values whose scaled product lands on the half exactly."""
    found: list[float] = []
    for k in range(1, 10_000_000, 10_000_000 // count):
        middle = (k + 0.5) / 1e8
        values = [middle]
        for _ in range(4):
            values = [np.nextafter(values[0], -1.0), *values, np.nextafter(values[-1], 2.0)]
        scaled = np.rint(np.array(values) * 1e8)
        change = np.flatnonzero(scaled[1:] != scaled[:-1])
        found += [values[i] for i in change] + [values[i + 1] for i in change]
        found += [v for v in values if v * 1e8 == k + 0.5]
    return np.array(found)


def test_values_straddling_a_rounding_boundary_follow_trimesh():
    values = rounding_boundaries(40)
    assert len(values) > 40
    corners, faces = soup(*box(extents=(1.0, 1.0, 1.0)))
    rng = np.random.default_rng(3)
    # Replace coordinates at 0 and 1 by boundary values near them, the same value shared or not.
    near = rng.choice(values, size=corners.shape)
    moved = np.where(corners == 0, near, corners + near)
    assert_same(moved, faces)
    # Also with the whole grid of corners made only of boundary values (many near-duplicates).
    points = rng.choice(values, size=(300, 3))
    tris = rng.integers(0, len(points), size=(400, 3))
    assert_same(points, tris)


def test_float32_corners_near_the_origin_merge_as_in_trimesh():
    # float32 steps are finer than trimesh's 1e-8 grid below about 0.1: distinct float32 corners
    # can share a grid point there, which an STL's float32 coordinates must follow too.
    rng = np.random.default_rng(11)
    base = (rng.integers(-3, 4, size=(200, 3)) * 1e-8).astype(np.float32)
    jitter = rng.integers(-2, 3, size=base.shape).astype(np.float32)
    points = np.nextafter(base, base + jitter * np.float32(1e-9))
    tris = rng.integers(0, len(points), size=(300, 3))
    facts = assert_same(points.astype(np.float32), tris)
    assert facts.vertices.dtype == np.float32


def test_flipped_face_is_watertight_but_inconsistent():
    vertices, faces = box()
    faces[3] = faces[3][::-1]
    facts = assert_same(*soup(vertices, faces))
    assert facts.watertight and not facts.winding_consistent


def test_hole_is_not_watertight_and_its_volume_is_trimeshs_formula():
    vertices, faces = box(at=(5.0, -3.0, 2.0))  # off the origin: an open surface's volume moves
    facts = assert_same(*soup(vertices, faces[1:]))
    assert not facts.watertight and facts.winding_consistent


def test_inside_out_box_has_a_negative_volume_as_in_trimesh():
    vertices, faces = box()
    facts = assert_same(vertices, faces[:, ::-1])
    assert facts.volume < 0 and facts.winding_consistent


def test_duplicate_faces():
    vertices, faces = box()
    facts = assert_same(vertices, np.vstack([faces, faces[:2]]))
    assert not facts.watertight
    assert_same(vertices, np.vstack([faces, faces]))  # every edge four times


def test_degenerate_faces():
    vertices, faces = box()
    repeated_corner = np.array([[0, 0, 1], [2, 2, 2]])
    assert_same(vertices, np.vstack([faces, repeated_corner]))
    # Three distinct corners on one line: zero area, real edges.
    line = np.vstack([vertices, [[0.0, 0.0, 5.0], [0.0, 0.0, 7.0]]])
    corner = int(np.flatnonzero((vertices == [0, 0, 0]).all(axis=1))[0])
    assert_same(line, np.vstack([faces, [[corner, 8, 9]]]))
    assert_same(*soup(vertices, np.vstack([faces, repeated_corner])))


@pytest.mark.parametrize("at", [(10.0, 0.0, 0.0), (10.0, 20.0, 0.0), (10.0, 20.0, 30.0)],
                         ids=["face", "edge", "corner"])
def test_two_boxes_touching(at):
    a, fa = box()
    b, fb = box(at=at)
    vertices, faces = np.vstack([a, b]), np.vstack([fa, fb + len(a)])
    facts = assert_same(*soup(vertices, faces))
    assert facts.volume == pytest.approx(2 * 10 * 20 * 30)


def test_unreferenced_corners_are_left_out_as_in_trimesh():
    vertices, faces = box()
    extra = np.vstack([[[500.0, 500.0, 500.0]], vertices, [[-9.0, 0.0, 0.0]]])
    facts = assert_same(extra, faces + 1)
    assert facts.extents == (10.0, 20.0, 30.0)


def test_coordinates_beyond_trimeshs_integer_grid_follow_trimesh():
    # Past ±9.2e10 the rounded coordinate no longer fits an int64; whatever numpy's cast makes of
    # it, both sides make the same.
    vertices, faces = box()
    far = vertices * 1e10
    assert_same(far, faces, bodies=False)


def test_forced_hash_collisions_give_the_same_answers(monkeypatch):
    """Groups that share a hash but hold different points are split exactly."""
    rng = np.random.default_rng(5)
    a, fa = box()
    b, fb = box(at=(10.0, 20.0, 0.0))
    corners, faces = soup(np.vstack([a, b]), np.vstack([fa, fb + len(a)]))
    points = rng.random((200, 3))
    tris = rng.integers(0, 200, size=(300, 3))
    for hash_rows in (lambda q: np.zeros(len(q), dtype=np.uint64),  # everything collides
                      lambda q: (q[:, 0] & 1).astype(np.uint64) << np.uint64(63)):  # one bit
        monkeypatch.setattr(meshcalc, "hash_rows", hash_rows)
        assert_same(corners, faces)
        assert_same(points, tris)
        assert_same(corners[::-1].copy(), faces)


def test_large_random_soup_matches_trimesh():
    # Enough corners for real hash collisions in the 64-bit keys to be possible, chunk borders
    # crossed many times, and every corner shared by several faces.
    rng = np.random.default_rng(1)
    points = np.round(rng.random((60_000, 3)) * 100, 3)
    tris = rng.integers(0, len(points), size=(150_000, 3))
    corners, faces = soup(points, tris)
    assert_same(corners.astype(np.float32), faces, bodies=False)
    assert_same(corners, faces, bodies=False)


# --- files: invalid coordinates, binary or ASCII, truncated ---------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_invalid_coordinates_are_refused(config, tmp_path, bad):
    corners, _ = soup(*box())
    corners[7, 1] = bad
    assert "invalid" in refusal(config, binary_stl(tmp_path / "bad.stl", corners))
    obj = tmp_path / "bad.obj"
    vertices, faces = box()
    vertices[2, 0] = bad
    obj.write_text("".join(f"v {x!r} {y!r} {z!r}\n" for x, y, z in vertices.tolist())
                   + "".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in faces.tolist()))
    assert "invalid" in refusal(config, obj)


def test_binary_stl_whose_header_says_solid_is_read_as_binary(config, tmp_path):
    corners, _ = soup(*box((30.0, 40.0, 50.0)))
    path = binary_stl(tmp_path / "solid.stl", corners, header=b"solid exported by a CAD tool")
    assert path.read_bytes().startswith(b"solid") and path.stat().st_size == 84 + 50 * 12
    (vertices, faces), _ = read_mesh(path, "stl")
    with path.open("rb") as stream:
        loaded = load_stl(stream)
    assert np.array_equal(vertices, loaded["vertices"]) and np.array_equal(faces, loaded["faces"])
    result = analyse(config, path)
    assert result == {**result, **analysis_by_trimesh(reference(vertices, faces))}
    assert result["watertight"] and result["bbox_mm"] == [30.0, 40.0, 50.0]


@pytest.mark.parametrize("header", [b"", b"solid cube"])
@pytest.mark.parametrize("cut", [1, 49, 50, 300])
def test_truncated_binary_stl_is_refused_clearly(config, tmp_path, header, cut):
    corners, _ = soup(*box())
    whole = binary_stl(tmp_path / "whole.stl", corners, header=header).read_bytes()
    path = tmp_path / "cut.stl"
    path.write_bytes(whole[:-cut])
    message = refusal(config, path)
    assert "incomplete" in message and "12 triangles" in message and f"{len(whole) - cut:,} bytes" in message


def test_binary_stl_with_bytes_after_its_triangles_is_refused(config, tmp_path):
    corners, _ = soup(*box())
    path = binary_stl(tmp_path / "long.stl", corners)
    path.write_bytes(path.read_bytes() + b"\x00" * 10)
    assert "damaged" in refusal(config, path)


def test_ascii_stl_is_read_by_trimesh_and_analysed_the_same(config, tmp_path):
    vertices, faces = box((12.5, 7.25, 3.0), at=(1.0, 1.0, 1.0))
    path = tmp_path / "ascii.stl"
    path.write_text(trimesh.Trimesh(vertices, faces, process=False).export(file_type="stl_ascii"))
    assert path.read_bytes().startswith(b"solid")
    (read_vertices, read_faces), _ = read_mesh(path, "stl")
    with path.open("rb") as stream:
        loaded = load_stl(io.BytesIO(stream.read()))
    assert read_vertices.dtype == np.float64
    assert np.array_equal(read_vertices, loaded["vertices"])
    assert np.array_equal(read_faces, loaded["faces"])
    theirs = reference(read_vertices, read_faces)
    assert_same(read_vertices, read_faces)
    result = analyse(config, path)
    assert {k: result[k] for k in analysis_by_trimesh(theirs)} == analysis_by_trimesh(theirs)


def test_face_with_a_missing_corner_is_refused(config, tmp_path, monkeypatch):
    # The readers refuse these themselves (trimesh's OBJ parser, core.mesh.threemf); should one
    # ever let such a face through, the analysis refuses it rather than failing on an IndexError.
    vertices, faces = box()
    faces[5, 1] = len(vertices)
    monkeypatch.setattr(mesh_module, "read_mesh", lambda path, kind, **_limits: ((vertices, faces), None))
    assert "does not exist" in refusal(config, tmp_path / "any.stl")


# --- memory is handed back ----------------------------------------------------------------------

def test_analysis_leaves_no_reference_cycles(config, tmp_path):
    corners, _ = soup(*box())
    paths = [binary_stl(tmp_path / "a.stl", corners), MODELS / "box.obj", MODELS / "pyramids.3mf"]

    def run() -> None:
        for path in paths:
            analyse(config, path)
        with pytest.raises(ModelRejected):
            analyse(config, MODELS / "notenoughindices.obj")

    run()  # first use: lazy imports and caches
    gc.collect()
    gc.disable()
    try:
        run()
        assert gc.collect() == 0  # everything was freed by reference counting alone
    finally:
        gc.enable()


def test_memory_is_handed_back_on_glibc_and_nothing_is_called_elsewhere(config, monkeypatch):
    mesh_module._malloc_trim.cache_clear()
    try:
        if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
            assert mesh_module._malloc_trim() is not None
        mesh_module._malloc_trim.cache_clear()
        monkeypatch.setattr(mesh_module.sys, "platform", "win32")
        assert mesh_module._malloc_trim() is None
        assert analyse(config, MODELS / "box.obj")["triangles"] == 12
    finally:
        monkeypatch.undo()
        mesh_module._malloc_trim.cache_clear()
