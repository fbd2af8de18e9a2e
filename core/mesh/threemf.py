"""A 3MF reader on the standard library's expat, for files that passed core.mesh.zipcheck.

trimesh's own 3MF reader needs networkx and lxml, ignores the file's `unit` attribute (a model
drawn in inches comes out 25.4 times too small), and would follow whatever the XML asks for. This
one refuses DTDs and entity declarations, never leaves the ZIP, supports parts in other files of
the package (`p:path`), nested components and transforms, and caps triangles and placed copies so
a small file cannot ask for billions of copies.
"""

from __future__ import annotations

import zipfile
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

import numpy as np

from core.mesh.zipcheck import ModelRejected

MAX_TRIANGLES = 5_000_000  # after instancing: bounds memory for a "component bomb"
MAX_COPIES = 100_000  # objects placed, counting every nested component
ArraysT = tuple[np.ndarray, np.ndarray]


_CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02 "
_VERTEX, _TRIANGLE, _MESH, _OBJECT = (_CORE + t for t in ("vertex", "triangle", "mesh", "object"))
_COMPONENT, _ITEM, _MODEL = (_CORE + t for t in ("component", "item", "model"))
_PATH = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06 path"
_START_PART = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
_UNIT_MM = {"micron": 0.001, "millimeter": 1.0, "centimeter": 10.0, "inch": 25.4, "foot": 304.8,
            "meter": 1000.0}
Ref = tuple[str, str]  # (part name inside the ZIP, object id)
Placement = tuple[Ref, np.ndarray]  # an object and its 4×4 transform


class _Part:
    """What one .model file of a 3MF package holds."""

    def __init__(self) -> None:
        self.unit, self.current = "millimeter", ""
        self.meshes: dict[str, tuple[array, array]] = {}
        self.components: dict[str, list[Placement]] = {}
        self.items: list[Placement] = []


def _matrix(text: str | None) -> np.ndarray:
    # 3MF writes the 3×4 matrix row by row for row vectors; transpose it for column vectors.
    m = np.eye(4)
    if text:
        m[:3, :] = np.array([float(v) for v in text.split()], dtype=float).reshape(4, 3).T
    return m


def _parse_xml(stream: BinaryIO, start: Callable[[str, dict[str, str]], None]) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: Any) -> None:  # 3MF needs no DTD; refusing it rules out entity tricks
        raise ModelRejected("This 3MF file contains a document type declaration, which 3MF "
                            "does not allow. Export it again.")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    while chunk := stream.read(1024 * 1024):  # ParseFile's 2 KiB reads cost more than parsing
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _outside_mesh(_: tuple[float, ...]) -> None:
    raise ValueError("vertex or triangle outside a <mesh>")


def _parse_part(archive: zipfile.ZipFile, name: str) -> _Part:
    part = _Part()
    add_vertex = add_triangle = _outside_mesh

    # Called once per element, so millions of times: the two hot cases come first, with no lookups.
    def start(tag: str, a: dict[str, str]) -> None:
        nonlocal add_vertex, add_triangle
        if tag == _VERTEX:
            add_vertex((float(a["x"]), float(a["y"]), float(a["z"])))
        elif tag == _TRIANGLE:
            add_triangle((int(a["v1"]), int(a["v2"]), int(a["v3"])))
        elif tag == _OBJECT:
            part.current = a["id"]
        elif tag == _MESH:
            coords, corners = part.meshes[part.current] = (array("d"), array("q"))
            add_vertex, add_triangle = coords.extend, corners.extend
        elif tag in (_COMPONENT, _ITEM):
            placed = ((a.get(_PATH, "").lstrip("/") or name, a["objectid"]), _matrix(a.get("transform")))
            if tag == _ITEM:
                part.items.append(placed)
            else:
                part.components.setdefault(part.current, []).append(placed)
        elif tag == _MODEL:
            part.unit = a.get("unit", "millimeter")

    with archive.open(name) as stream:
        _parse_xml(stream, start)
    return part


def read_3mf(path: Path) -> tuple[ArraysT, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            parts: dict[str, _Part] = {}
            names = {n.lower(): n for n in archive.namelist()}

            def part(name: str) -> _Part:
                real = names.get(name.lower())
                if real is None:
                    raise ModelRejected(f"This 3MF file refers to a part {name!r} that is not in it.")
                if real not in parts:
                    parts[real] = _parse_part(archive, real)
                return parts[real]

            root = part(_start_part(archive, names))
            placer = _Placer(part)
            for ref, matrix in root.items:
                placer.place(ref, matrix, 0)
    except (expat.ExpatError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelRejected("This 3MF file is damaged: its model description could not be read. "
                            "Export it again from your modelling software.") from exc
    if root.unit not in _UNIT_MM:
        raise ModelRejected(f"This 3MF file uses an unknown unit {root.unit!r}.")
    vertices, faces = join_pieces(placer.pieces)
    return (vertices * _UNIT_MM[root.unit], faces), root.unit


def _start_part(archive: zipfile.ZipFile, names: dict[str, str]) -> str:
    found: list[str] = []

    def start(tag: str, a: dict[str, str]) -> None:
        if tag.endswith(" Relationship") and a.get("Type") == _START_PART:
            found.append(a.get("Target", "").lstrip("/"))

    if "_rels/.rels" in names:
        with archive.open(names["_rels/.rels"]) as stream:
            _parse_xml(stream, start)
    return found[0] if found else "3D/3dmodel.model"


class _Placer:
    """Collects every mesh under the build items, moved into place; components nest, items repeat.

    Copies are counted, not just triangles: nested components multiply, so a small file could
    otherwise ask for billions of (even empty) copies.
    """

    def __init__(self, part: Callable[[str], _Part]) -> None:
        self.part, self.triangles, self.copies = part, 0, 0
        self.pieces: list[ArraysT] = []

    def place(self, ref: Ref, matrix: np.ndarray, depth: int) -> None:
        self.copies += 1
        if depth > 32 or self.copies > MAX_COPIES:
            raise ModelRejected("This 3MF file nests or repeats its parts too much to be a "
                                "printable model. Export it again as plain meshes.")
        owner = self.part(ref[0])
        if ref[1] not in owner.meshes and ref[1] not in owner.components:
            raise ModelRejected(f"This 3MF file refers to an object {ref[1]!r} that is not in it.")
        if ref[1] in owner.meshes:
            coords, corners = owner.meshes[ref[1]]
            vertices = np.frombuffer(coords, dtype=np.float64).reshape(-1, 3)
            faces = np.frombuffer(corners, dtype=np.int64).reshape(-1, 3)
            if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
                raise ModelRejected("This 3MF file is damaged: a triangle uses a corner that "
                                    "does not exist.")
            self.triangles += len(faces)
            if self.triangles > MAX_TRIANGLES:
                raise ModelRejected(f"This model has more than {MAX_TRIANGLES:,} triangles; "
                                    "simplify it.")
            self.pieces.append((vertices @ matrix[:3, :3].T + matrix[:3, 3], faces))
        for child, local in owner.components.get(ref[1], []):
            self.place(child, matrix @ local, depth + 1)


def join_pieces(pieces: list[ArraysT]) -> ArraysT:
    if not pieces:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    offsets = np.cumsum([0] + [len(v) for v, _ in pieces[:-1]])
    return (np.vstack([v for v, _ in pieces]),
            np.vstack([f + o for (_, f), o in zip(pieces, offsets, strict=True)]))
