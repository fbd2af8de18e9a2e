"""Write a mesh as a binary STL: what the automatic estimate hands the slicer, whatever the
student sent (an OBJ with many-sided faces, a 3MF drawn in inches), already triangulated and in
millimetres as the model check read it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
CHUNK = 1 << 16  # faces written at a time: bounded memory for a million-triangle model


def write_binary_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    with path.open("wb") as out:
        out.write(b"PrintDesk".ljust(80, b" "))
        out.write(np.uint32(len(faces)).tobytes())
        for start in range(0, len(faces), CHUNK):
            corners = np.asarray(vertices, dtype=np.float64)[faces[start:start + CHUNK]]
            records = np.zeros(len(corners), dtype=RECORD)
            records["corners"] = corners
            normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
            length = np.linalg.norm(normals, axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                records["normal"] = np.where(length > 0, normals / length, 0)
            out.write(records.tobytes())
