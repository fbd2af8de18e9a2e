"""What a user sees in a thumbnail (core.mesh.thumbnails): the model where and as expected, lit
from the upper left, on a transparent square; hidden parts hidden, junk faces skipped; a
million triangles in bounded memory. Timing lives in bench/thumbnail_render.py."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from core.mesh import thumbnails
from core.mesh.thumbnails import MARGIN, ThumbnailError, render_mesh, render_thumbnail
from tests.realsize import torus, write_binary_stl

SIZE = 256
FILLED = SIZE * (1 - 2 * MARGIN)  # the model's longest side on screen, in pixels
# The outward faces of a unit box: corner k is (k >> 2 & 1, k >> 1 & 1, k & 1).
BOX_FACES = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])


def box(sx: float, sy: float, sz: float, at: tuple[float, float, float] = (0, 0, 0)
        ) -> tuple[np.ndarray, np.ndarray]:
    corners = np.array([[x, y, z] for x in (0, sx) for y in (0, sy) for z in (0, sz)], float)
    return corners + np.array(at, float), BOX_FACES.copy()


def joined(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.cumsum([0] + [len(v) for v, _ in parts[:-1]])
    return (np.vstack([v for v, _ in parts]),
            np.vstack([f + o for (_, f), o in zip(parts, offsets, strict=True)]))


def picture(png: bytes) -> np.ndarray:
    """(rows, columns, RGBA) as ints."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def drawn(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., 3] == 255


def brightness(pixels: np.ndarray, row: int, column: int) -> float:
    """Median brightness of a 9×9 patch, which must be all model."""
    patch = pixels[row - 4:row + 5, column - 4:column + 5]
    assert drawn(patch).all()
    return float(np.median(patch[..., :3].sum(axis=-1)))


def silhouette(pixels: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(pixels[..., 3] > 0)
    return rows.min(), rows.max(), columns.min(), columns.max()


def projected_aspect(corners: np.ndarray) -> float:
    """Width / height of the corners seen from the thumbnail's camera (front-right, above)."""
    toward = thumbnails.EYE / np.linalg.norm(thumbnails.EYE)
    right = np.cross([0.0, 0.0, 1.0], toward)
    up = np.cross(toward, right)
    x, y = corners @ right, corners @ up
    return float(np.ptp(x) / np.ptp(y))


def test_a_cube_shows_three_faces_lit_from_the_upper_left() -> None:
    pixels = picture(render_mesh(*box(20, 20, 20)))
    top, front, side = (brightness(pixels, 60, 128), brightness(pixels, 170, 80),
                        brightness(pixels, 170, 176))
    # The light comes from the upper left and a little in front: the top is the brightest, the
    # front (on the left) next, the right-hand side in shadow.
    assert top > front + 10 and front > side + 60
    assert not drawn(pixels[:12]).any() and not drawn(pixels[-12:]).any()  # a margin all round


@pytest.mark.parametrize("size", [(100, 12, 12), (12, 12, 100), (80, 60, 4), (30, 30, 30)])
def test_the_model_is_centred_and_fills_the_square_with_a_margin(size: tuple[int, int, int]
                                                                   ) -> None:
    vertices, faces = box(*size)
    top, bottom, left, right = silhouette(picture(render_mesh(vertices, faces)))
    height, width = bottom - top + 1, right - left + 1
    assert max(height, width) == pytest.approx(FILLED, abs=2)
    assert width / height == pytest.approx(projected_aspect(vertices), rel=0.03)
    assert (top + bottom) / 2 == pytest.approx(SIZE / 2, abs=1)
    assert (left + right) / 2 == pytest.approx(SIZE / 2, abs=1)


def test_the_background_and_holes_are_transparent() -> None:
    pixels = picture(render_mesh(*torus(20_000)))
    alpha = pixels[..., 3]
    assert alpha[128, 128] == 0  # seen through the ring's hole
    assert (alpha[:, :10] == 0).all() and (alpha[:10] == 0).all()
    assert drawn(pixels).mean() > 0.3
    edge = (alpha > 0) & (alpha < 255)  # antialiased edges only: a thin line, not a haze
    assert 0 < edge.mean() < 0.04


def test_parts_behind_a_large_face_stay_visible() -> None:
    """Two equal cubes standing on a thin sheet, one at its back corner and one at its front
    corner: both are drawn whole. (Sorting faces by their middle, as painters do, drew the
    sheet over the back cube.)"""
    sheet = (np.array([[0, 0, 0], [100, 0, 0], [100, 100, 0], [0, 100, 0]], float),
             np.array([[0, 1, 2], [0, 2, 3]]))
    pixels = picture(render_mesh(*joined(sheet, box(12, 12, 12, (4, 84, 0)),
                                         box(12, 12, 12, (84, 4, 0)))))
    cube = picture(render_mesh(*box(12, 12, 12)))
    for row, column in ((170, 80), (170, 176)):  # the cubes' front and right-hand faces
        tone = cube[row, column, :3]
        same = drawn(pixels) & (np.abs(pixels[..., :3] - tone).sum(axis=-1) <= 3)
        back, front = same[:SIZE // 2].sum(), same[SIZE // 2:].sum()  # far corner drawn higher
        assert front > 100
        assert back == pytest.approx(front, rel=0.1)


def test_an_open_surface_is_drawn_from_both_sides() -> None:
    square = np.array([[0, 0, 0], [40, 0, 0], [40, 40, 0], [0, 40, 0]], float)
    up, down = np.array([[0, 1, 2], [0, 2, 3]]), np.array([[0, 2, 1], [0, 3, 2]])
    seen_up, seen_down = picture(render_mesh(square, up)), picture(render_mesh(square, down))
    assert drawn(seen_up).mean() > 0.15
    assert np.array_equal(seen_up, seen_down)  # the underside is lit like the top

    # A box without its lid shows its inside walls where the closed box shows its lid.
    vertices, faces = box(30, 30, 30)
    lidless = picture(render_mesh(vertices, faces[:-2]))
    closed = picture(render_mesh(vertices, faces))
    assert drawn(lidless[40:80, 110:146]).all()
    inside = np.abs(lidless[40:80, 110:146, :3] - closed[40:80, 110:146, :3]).sum(axis=-1)
    assert (inside > 20).mean() > 0.5


def test_nan_and_degenerate_faces_are_skipped() -> None:
    vertices, faces = box(20, 20, 20)
    junk_corners = np.array([[np.nan, 0, 0], [0, np.inf, 0], [500, 500, 500], [900, 900, 900],
                             [700, 700, 700]])
    k = len(vertices)
    junk_faces = np.array([
        [k, 0, 1],  # a NaN corner
        [k + 1, 2, 3],  # an infinite corner
        [k + 2, k + 3, k + 4],  # three corners on one line, far away: no area
        [5, 5, 6],  # a corner used twice
        [0, 1, k + 99],  # a corner that does not exist
    ])
    with_junk = render_mesh(np.vstack([vertices, junk_corners]), np.vstack([faces, junk_faces]))
    assert np.array_equal(picture(with_junk), picture(render_mesh(vertices, faces)))


def test_a_model_with_nothing_to_draw_raises_thumbnail_error() -> None:
    vertices, _faces = box(10, 10, 10)
    for corners, faces in [
        (np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)),  # empty
        (vertices, np.zeros((0, 3), dtype=np.int64)),  # points, no faces
        (vertices, np.array([[0, 0, 1], [2, 2, 2]])),  # degenerate only
        (np.full((3, 3), np.nan), np.array([[0, 1, 2]])),  # undefined corners only
    ]:
        with pytest.raises(ThumbnailError):
            render_mesh(corners, faces)


@pytest.mark.slow
def test_a_simplified_scan_has_no_pinholes(tmp_path: Path) -> None:
    """327,680 triangles are merged down to some 40,000; the sphere stays a solid disc."""
    path = tmp_path / "sphere.stl"
    path.write_bytes(trimesh.creation.icosphere(7, 30).export(file_type="stl"))
    pixels = picture(render_thumbnail(path, ".stl"))
    rows, columns = np.mgrid[:SIZE, :SIZE]
    radius = np.hypot(rows + 0.5 - SIZE / 2, columns + 0.5 - SIZE / 2)
    assert drawn(pixels)[radius < FILLED / 2 - 2].all()
    assert (pixels[..., 3][radius > FILLED / 2 + 2] == 0).all()


@pytest.mark.slow
def test_a_million_triangles_render_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "torus.stl"
    write_binary_stl(path, *torus(983_040))  # 981,180 triangles, 49 MB
    tracemalloc.start()  # numpy reports its arrays to tracemalloc
    try:
        png = render_thumbnail(path, ".stl")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Reading alone holds 48 MB (float32 corners, int32 faces); the old renderer peaked at 230.
    assert peak < 160 * 1024 * 1024
    pixels = picture(png)
    assert pixels[128, 128, 3] == 0  # the hole
    top, bottom, left, right = silhouette(pixels)
    assert max(bottom - top, right - left) + 1 == pytest.approx(FILLED, abs=2)
    tones = np.unique(pixels[drawn(pixels)][:, :3] // 8, axis=0)
    assert len(tones) >= 8  # shaded round, not flat
