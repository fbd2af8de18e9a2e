"""Headless PNG thumbnails of models for the console's job list (SPEC §6, §7).

trimesh renders only through OpenGL, which a service or a locked lab PC may not have, so this is
a small software renderer: an orthographic view from the front-right and above, flat shading by
face normal, and the painter's algorithm (faces drawn far to near with Pillow). Large models are
first simplified by vertex clustering on a grid about as fine as the thumbnail's pixels, so the
surface stays closed (merely dropping small faces would leave a 1M-triangle scan full of holes);
then at most MAX_FACES faces are drawn, the largest first. On a closed surface the faces turned
away are culled, which also spares the painter's algorithm its usual mistakes on long thin faces.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

from core.mesh.analysis import read_mesh

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

THUMBNAIL = "thumbnail.png"
MAX_FACES = 40_000
GRID, MIN_GRID = 160, 24  # cells along the longest side for vertex clustering (256 px image)
SUPERSAMPLE = 2  # drawn at twice the size, then downscaled: smooth edges without antialiasing
MARGIN = 0.06  # of the image size, on each side
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
        triangles = _triangles(np.asarray(vertices, dtype=np.float64), np.asarray(faces))
        return _draw(triangles, size)


def _triangles(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(n, 3, 3) triangle corners, simplified to at most MAX_FACES, largest first."""
    if len(faces) == 0 or len(vertices) == 0:
        raise ThumbnailError("the model has no triangles")
    if faces.min() < 0 or faces.max() >= len(vertices):
        faces = faces[(faces >= 0).all(axis=1) & (faces < len(vertices)).all(axis=1)]
    finite = np.isfinite(vertices).all(axis=1)
    if not finite.all():
        faces = faces[finite[faces].all(axis=1)]
    if len(faces) == 0:
        raise ThumbnailError("the model has no drawable triangles")
    grid = _first_grid(vertices, faces) if len(faces) > MAX_FACES else 0
    # A little over the cap is left to the largest-first cut below; far over means another pass.
    while len(faces) > MAX_FACES * 1.3 and grid >= MIN_GRID:
        vertices, faces = _cluster(vertices, faces, grid)
        # Faces scale with the square of the grid: aim the next pass just under the cap.
        grid = min(int(grid * 0.95 * (MAX_FACES / max(len(faces), 1)) ** 0.5), grid - 8)
    triangles = vertices[faces]
    area = _area(triangles)
    keep = area > 0
    triangles, area = triangles[keep], area[keep]
    if len(triangles) == 0:
        raise ThumbnailError("every triangle of the model is degenerate")
    if len(triangles) > MAX_FACES:
        triangles = triangles[np.argpartition(area, -MAX_FACES)[-MAX_FACES:]]
    return triangles


def _first_grid(vertices: np.ndarray, faces: np.ndarray) -> int:
    """A clustering grid that should leave about MAX_FACES faces: a surface of area A on cells
    of side s keeps roughly 2.6·A/s² triangles. The area is estimated from a sample of faces."""
    sample = faces[:: max(1, len(faces) // 100_000)]
    area = float(_area(vertices[sample]).sum()) * len(faces) / len(sample)
    extent = float((vertices.max(axis=0) - vertices.min(axis=0)).max())
    if not area > 0 or not extent > 0:
        return GRID
    return int(np.clip(extent / np.sqrt(2.6 * area / MAX_FACES), MIN_GRID, GRID))


def _area(triangles: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0],
                                   triangles[:, 2] - triangles[:, 0]), axis=1) / 2


def _cluster(vertices: np.ndarray, faces: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge all vertices in each cell of a `grid`-cells-wide lattice into their mean; drop the
    faces that collapse. Keeps the silhouette and the surface closed at thumbnail resolution.
    Cells are numbered through a lookup table, not np.unique, which is several times slower."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.ravel()] = True
    if not used.all():  # drop unused vertices first: every array below is per vertex
        vertices, faces = vertices[used], (np.cumsum(used) - 1)[faces]
    low = vertices.min(axis=0)
    step = max(float((vertices.max(axis=0) - low).max()), 1e-12) / grid
    side = grid + 1
    cells = ((vertices - low) * (1 / step)).astype(np.int32).clip(0, grid)
    key = (cells[:, 0] * side + cells[:, 1]) * side + cells[:, 2]  # < 161³: fits int32
    occupied = np.zeros(side ** 3, dtype=bool)
    occupied[key] = True
    remap = (np.cumsum(occupied) - 1)[key]
    count = np.bincount(remap)
    merged = np.stack([np.bincount(remap, weights=vertices[:, k]) for k in range(3)],
                      axis=1) / count[:, None]
    faces = remap[faces]
    alive = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return merged, faces[alive]


def _closed(triangles: np.ndarray) -> bool:
    """Whether the surface is closed and consistently wound: each edge is run as often in one
    direction as in the other (so touching closed bodies, which share edges, still count)."""
    corners = triangles.reshape(-1, 3)
    low = corners.min(axis=0)
    step = max(float((corners.max(axis=0) - low).max()), 1e-12) * 1e-5
    q = np.rint((corners - low) / step).astype(np.int64)  # ≤ 100,001 levels per axis
    _, index = np.unique((q[:, 0] * 100_003 + q[:, 1]) * 100_003 + q[:, 2], return_inverse=True)
    faces = index.reshape(-1, 3).astype(np.int64)
    n = int(faces.max()) + 1
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    forward = np.sort(edges[:, 0] * n + edges[:, 1])
    backward = np.sort(edges[:, 1] * n + edges[:, 0])
    return bool(np.array_equal(forward, backward))


def _signed_volume(triangles: np.ndarray) -> float:
    centred = triangles - triangles.reshape(-1, 3).mean(axis=0)
    return float(np.einsum("ij,ij->i", centred[:, 0], np.cross(centred[:, 1], centred[:, 2])).sum())


def _camera() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen right, screen up and towards-the-viewer unit vectors."""
    toward = EYE / np.linalg.norm(EYE)
    right = np.cross(np.array([0.0, 0.0, 1.0]), toward)
    right /= np.linalg.norm(right)
    return right, np.cross(toward, right), toward


def _draw(triangles: np.ndarray, size: int) -> bytes:
    right, up, toward = _camera()
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    facing = normals @ toward
    if _closed(triangles):
        # A closed, consistently wound surface: faces turned away are hidden anyway, and
        # drawing them is what makes the painter's algorithm fail on long thin faces.
        outward = _signed_volume(triangles) >= 0
        visible = facing > 0 if outward else facing < 0
        if visible.any():
            triangles, normals, facing = triangles[visible], normals[visible], facing[visible]
    # Two-sided: an open surface shows its inside; light it like the outside.
    normals[facing < 0] *= -1
    light = LIGHT / np.linalg.norm(LIGHT)
    rim = np.clip(1 - np.abs(normals @ toward), 0, 1) ** 3  # brightens grazing faces a little
    shade = AMBIENT + DIFFUSE * np.clip(normals @ light, 0, 1) + RIM * rim
    colours = np.clip(BASE_RGB[None, :] * shade[:, None], 0, 255).astype(np.uint8)

    canvas = size * SUPERSAMPLE
    screen = np.stack([triangles @ right, triangles @ up], axis=-1)  # (n, 3, 2)
    low, high = screen.reshape(-1, 2).min(axis=0), screen.reshape(-1, 2).max(axis=0)
    extent = max(float((high - low).max()), 1e-12)
    scale = canvas * (1 - 2 * MARGIN) / extent
    centre = (low + high) / 2
    points = (screen - centre) * scale
    points[..., 1] *= -1  # image rows grow downwards
    points += canvas / 2
    order = np.argsort((triangles @ toward).mean(axis=1), kind="stable")  # far first

    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    flat = points[order].reshape(len(order), 6).tolist()
    fills = [(*c, 255) for c in colours[order].tolist()]
    for corners, fill in zip(flat, fills, strict=True):
        # outline in the same colour: closes the hairline gaps between neighbouring faces
        draw.polygon(corners, fill=fill, outline=fill)
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
