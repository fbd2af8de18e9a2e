"""Real-size models and a browser-like upload client, for the tests and bench/.

Students send models of tens of megabytes; a feature proven on a 1 KB sample is not proven. The
models are closed tori (watertight, consistently wound, one body) tessellated finely enough to
reach a target file size in each format, generated with numpy in well under a second.
"""

from __future__ import annotations

import http.client
import re
import secrets
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIB = 1024 * 1024
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
STUDENT = {
    "student_name": "Jane Doe",
    "student_email": "jane.doe@example.edu",
    "discipline": "Architecture",
    "class_number": "ARCH 4000",
    "print_method": "Filament",
    "color": "Blue",
    "printer": "Prusa XL",
    "consent": "yes",
}
# Bytes per triangle of each writer below, measured on these tori (text formats vary a little).
BYTES_PER_TRIANGLE = {"stl": 50.0, "ascii": 167.0, "obj": 32.0, "3mf": 11.0}


def torus(triangles: int, major: float = 60.0, minor: float = 22.0
          ) -> tuple[np.ndarray, np.ndarray]:
    """A closed torus of about `triangles` faces (float32 corners in mm, wound outwards), lying
    on the bed: 164 × 164 × 44 mm with the defaults, so it fits the Prusa XL."""
    around = max(8, round((triangles / 2 / 0.35) ** 0.5))
    tube = max(3, triangles // (2 * around))
    u = np.linspace(0, 2 * np.pi, around, endpoint=False)
    v = np.linspace(0, 2 * np.pi, tube, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    ring = major + minor * np.cos(vv)
    vertices = np.stack([ring * np.cos(uu) + major + minor, ring * np.sin(uu) + major + minor,
                         minor * np.sin(vv) + minor], axis=-1).reshape(-1, 3).astype("<f4")
    i, j = np.meshgrid(np.arange(around), np.arange(tube), indexing="ij")
    a = i * tube + j
    b = ((i + 1) % around) * tube + j
    c = ((i + 1) % around) * tube + (j + 1) % tube
    d = i * tube + (j + 1) % tube
    faces = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3),
                            np.stack([a, c, d], -1).reshape(-1, 3)])
    return vertices, faces.astype(np.int64)


def write_binary_stl(path: Path, vertices: np.ndarray, faces: np.ndarray,
                     header: bytes = b"PrintDesk test model") -> None:
    with path.open("wb") as out:
        out.write(header.ljust(80, b" ")[:80])
        out.write(np.uint32(len(faces)).tobytes())
        for start in range(0, len(faces), 200_000):  # bounded memory for a million faces
            chunk = vertices[faces[start:start + 200_000]]
            records = np.zeros(len(chunk), dtype=STL_RECORD)
            records["vertices"] = chunk
            normals = np.cross(chunk[:, 1] - chunk[:, 0], chunk[:, 2] - chunk[:, 0])
            length = np.linalg.norm(normals, axis=1, keepdims=True)
            records["normal"] = normals / np.where(length > 0, length, 1)
            out.write(records.tobytes())


def write_ascii_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    with path.open("w", encoding="ascii") as out:
        out.write("solid torus\n")
        for start in range(0, len(faces), 50_000):
            rows = vertices[faces[start:start + 50_000]].reshape(-1, 9)
            out.write("".join(
                "facet normal 0 0 0\n outer loop\n"
                f"  vertex {r[0]:.6f} {r[1]:.6f} {r[2]:.6f}\n"
                f"  vertex {r[3]:.6f} {r[4]:.6f} {r[5]:.6f}\n"
                f"  vertex {r[6]:.6f} {r[7]:.6f} {r[8]:.6f}\n"
                " endloop\nendfacet\n" for r in rows.tolist()))
        out.write("endsolid torus\n")


def write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    with path.open("w", encoding="ascii") as out:
        out.write("# PrintDesk test model\no torus\n")
        out.write("".join(f"v {x:.4f} {y:.4f} {z:.4f}\n" for x, y, z in vertices.tolist()))
        out.write("".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in faces.tolist()))


def write_3mf(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    ns = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" '
            'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model"'
            ' Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
            '</Relationships>'))
        with archive.open("3D/3dmodel.model", "w", force_zip64=True) as model:
            model.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" '
                        f'xmlns="{ns}"><resources><object id="1" type="model"><mesh><vertices>'
                        .encode())
            model.write("".join(f'<vertex x="{x:.4f}" y="{y:.4f}" z="{z:.4f}"/>'
                                for x, y, z in vertices.tolist()).encode())
            model.write(b"</vertices><triangles>")
            model.write("".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>'
                                for a, b, c in faces.tolist()).encode())
            model.write(b'</triangles></mesh></object></resources><build><item objectid="1"/>'
                        b"</build></model>")


WRITERS = {"stl": write_binary_stl, "ascii": write_ascii_stl, "obj": write_obj, "3mf": write_3mf}
SUFFIX = {"stl": ".stl", "ascii": ".stl", "obj": ".obj", "3mf": ".3mf"}


def model_of_size(folder: Path, kind: str, megabytes: float) -> Path:
    """A torus in `kind` ("stl" binary, "ascii", "obj", "3mf") of about `megabytes` MB."""
    triangles = int(megabytes * 1e6 / BYTES_PER_TRIANGLE[kind])
    path = folder / f"torus-{kind}-{megabytes:g}MB{SUFFIX[kind]}"
    WRITERS[kind](path, *torus(triangles))
    return path


# --- a browser-like client ----------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    body: str
    headers: Mapping[str, str]


def form_session(base: str) -> tuple[str, str]:
    """(CSRF token, session cookie) from the form page, as a browser would get them."""
    with urllib.request.urlopen(base + "/", timeout=60) as response:
        page = response.read().decode()
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    found = CSRF_RE.search(page)
    assert found, "no CSRF token on the form"
    return found.group(1), cookie


def _multipart(fields: Mapping[str, str], path: Path | None, filename: str, boundary: str
               ) -> tuple[list[bytes], int]:
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items())
    file_head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size if path is not None else 0
    return [head, file_head, tail], len(head) + len(file_head) + size + len(tail)


def post_model(base: str, path: Path | None, filename: str | None = None,
               fields: Mapping[str, str] | None = None, timeout: float = 300,
               headers: Mapping[str, str] | None = None) -> Reply:
    """Submit the form with `path` streamed from disk (never read whole), like a browser."""
    token, cookie = form_session(base)
    values = {**STUDENT, **(fields or {}), "csrf_token": token}
    boundary = "----PrintDeskTest" + secrets.token_hex(12)
    (head, file_head, tail), length = _multipart(values, path, filename or (
        path.name if path else ""), boundary)

    def body() -> Iterator[bytes]:
        yield head + file_head
        if path is not None:
            with path.open("rb") as source:
                while chunk := source.read(MIB):
                    yield chunk
        yield tail

    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout)
    try:
        connection.putrequest("POST", "/")
        for name, value in (("Content-Type", f"multipart/form-data; boundary={boundary}"),
                            ("Content-Length", str(length)), ("Cookie", cookie),
                            ("Origin", base), ("Referer", base + "/"),
                            *(headers or {}).items()):
            connection.putheader(name, value)
        connection.endheaders()
        try:
            for chunk in body():
                connection.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (a refusal) and closed: read what it said
        response = connection.getresponse()
        return Reply(response.status, response.getheader("Location", ""),
                     response.read().decode("utf-8", "replace"), dict(response.getheaders()))
    finally:
        connection.close()
