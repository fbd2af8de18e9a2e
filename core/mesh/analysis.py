"""The model check of SPEC §5 "Beyond the seeds": parse an upload as a mesh and describe it.

`analyse_model(path, extension, config, printer, method)` returns a JSON-serialisable dict (stored
in a JSON column, shown on the success page and in the console) or raises `ModelRejected` (defined
in core.mesh.zipcheck, re-exported here) with a message for the student. Keys:

  bbox_mm       [x, y, z] size of the bounding box in mm, rounded to 0.1
  triangles     number of triangles
  bodies        number of separate pieces (connected parts), or None above 200,000 triangles
  watertight    True when the surface is closed, so the volume is meaningful
  volume_cm3    absolute enclosed volume in cm³ (4 significant digits)
  volume_exact  same as watertight: an open surface only has an approximate volume
  file_unit     the unit a 3MF declares (e.g. "inch"; coordinates are converted to mm); None
                for STL and OBJ, which carry no unit
  fits          names of the printers (any method) whose build volume holds the model, turning it
                about the vertical axis (X and Y may swap) but never laying it on another side
  fits_chosen   whether `printer` is among them
  unit_hint     None, or {"factor", "message", "scaled_mm"}: multiplying the model by `factor`
                gives `scaled_mm`, a plausible size; `message` explains the likely unit mistake
  warnings      plain-English strings for the student (size, fit, watertightness, units)
  estimate      {"weight_g": [low, high], "cost": [low, high]} (cost as "3.00" strings, material
                plus minimum charge only; None if the printer or method is unknown), or None when
                the method has no known material density
  estimate_note what the estimate assumes and leaves out (print time is unknown before slicing)

A binary STL is read here, in chunks straight into a float32 array (a 50 MB upload must not cost
ten times that); ASCII STL and OBJ files are read with trimesh's text parsers on an open binary
file and never through `trimesh.load`, which would resolve an OBJ's `mtllib` (or textures) against
the file system. A 3MF is read by core.mesh.threemf (the standard library's expat) after `check_zip`.
The geometry (merging corners, watertightness, volume, size) is core.mesh.calc's numpy version of
what `trimesh.Trimesh(process=True)` reports, with the same answers.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from core.config import Config, Printer
from core.domain import defaults
from core.domain.pricing import money, quote
from core.mesh import calc as meshcalc
from core.mesh.threemf import ArraysT, join_pieces, read_3mf
from core.mesh.zipcheck import ModelRejected, check_zip

__all__ = ["ModelRejected", "analyse_model"]

BODY_COUNT_LIMIT = 200_000  # counting pieces is slow beyond this
FIT_SLACK_MM = 0.05  # a side shown as "305.0 mm" must fit a 305 mm printer
UNIT_FACTORS = ((25.4, "inches"), (10.0, "centimetres"), (1000.0, "metres"))
# method -> (density g/cm³, low and high share of the solid volume); resin adds supports.
MATERIALS = {defaults.FILAMENT: (1.24, 0.3, 1.0), defaults.RESIN: (1.15, 1.0, 1.2)}


def analyse_model(path: Path, extension: str, config: Config, printer: str, method: str) -> dict[str, Any]:
    kind = extension.lower().lstrip(".")
    try:
        shape = _measure(path, kind, zip_limits(config))
    except ModelRejected as exc:
        _forget_frames(exc)  # the refusal's traceback would keep the model's arrays alive
        raise
    finally:
        _release_memory()
    size, volume, watertight = shape.size, shape.volume_cm3, shape.watertight
    fits = [p.name for p in config.printers if _fits(size, p)]
    chosen = config.printer(printer)
    hint = _unit_hint(size, config)
    result: dict[str, Any] = {
        "bbox_mm": [round(v, 1) for v in size],
        "triangles": shape.triangles,
        "bodies": shape.bodies,
        "watertight": watertight,
        "volume_cm3": float(f"{volume:.4g}"),
        "volume_exact": watertight,
        "file_unit": shape.file_unit,
        "fits": fits,
        "fits_chosen": printer in fits,
        "unit_hint": hint,
        "warnings": _warnings(size, fits, chosen, watertight, hint, config),
    }
    result["estimate"], result["estimate_note"] = _estimate(volume, watertight, config, printer, method)
    return result


@dataclass(frozen=True)
class _Shape:
    """The few numbers the analysis keeps: the arrays behind them are let go as soon as possible."""

    size: list[float]  # bounding box, mm
    volume_cm3: float  # absolute
    watertight: bool
    triangles: int
    bodies: int | None
    file_unit: str | None


def _measure(path: Path, kind: str, limits: dict[str, int]) -> _Shape:
    with np.errstate(all="ignore"):  # degenerate and open surfaces are measured, not warned about
        (vertices, faces), file_unit = read_mesh(path, kind, **limits)
        if not np.isfinite(vertices).all():  # checked first: trimesh would quietly drop them
            raise ModelRejected("This model has corners at invalid (infinite or undefined) "
                                "positions, so it cannot be printed. Export it again.")
        if len(faces) == 0:
            raise ModelRejected("This file contains no triangles, so it is not a printable model. "
                                "Check that you exported the solid itself.")
        if faces.min() < 0 or faces.max() >= len(vertices):
            raise ModelRejected("This model has a triangle with a corner that does not exist, so it "
                                "is damaged. Export it again.")
        triangles = len(faces)
        vertices, faces = meshcalc.merge_vertices(vertices, faces)  # drops the unmerged arrays
        facts = meshcalc.measure(vertices, faces)
        del vertices, faces
    size = list(facts.extents)
    if max(size) <= 0 or min(size) <= max(size) * 1e-6:
        raise ModelRejected("This model is flat: one of its sides measures 0 mm, so it has no "
                            "thickness and no volume. Give it a thickness (extrude or solidify) "
                            "before exporting.")
    bodies = (_count_bodies(facts.faces, len(facts.vertices))
              if triangles <= BODY_COUNT_LIMIT else None)
    return _Shape(size, abs(facts.volume) / 1000.0, facts.watertight, triangles, bodies, file_unit)


# --- reading ------------------------------------------------------------------------------------

def zip_limits(config: Config) -> dict[str, int]:
    """The lab's limits on a 3MF's ZIP package ([limits] max_3mf_*), for read_mesh."""
    return {"max_entries": config.limits.max_3mf_entries,
            "max_total_bytes": config.limits.max_3mf_uncompressed_mb * 1024 * 1024}


def read_mesh(path: Path, kind: str, **limits: int) -> tuple[ArraysT, str | None]:
    """((vertices (n, 3), faces (m, 3) of triangles), the unit a 3MF declares or None).

    A binary STL gives float32 vertices (its own precision) and int32 faces; the other formats
    give float64 and int64. `limits` (see zip_limits) bound a 3MF's ZIP package."""
    if kind == "3mf":
        check_zip(path, **limits)
        return read_3mf(path)
    if kind not in ("stl", "obj"):
        raise ModelRejected(f"'.{kind}' files are not accepted: send an STL, OBJ or 3MF file.")
    try:
        with path.open("rb") as stream:
            if kind == "stl":
                binary = _binary_stl(stream)
                if binary is not None:
                    return binary, None
                # trimesh (0.1 s to import) only for the text formats it parses for us.
                from trimesh.exchange.stl import load_stl_ascii

                loaded = load_stl_ascii(stream)
            else:
                from trimesh.exchange.obj import load_obj

                # resolver=None and skip_materials: an OBJ's mtllib must never open another file.
                loaded = load_obj(stream, resolver=None, skip_materials=True, group_material=False)
        parts = loaded.get("geometry", {"": loaded}).values()
        # A part without faces is just points. The arrays are converted as trimesh.Trimesh would
        # (float64 vertices, quads and polygons split into triangles), without building Trimesh
        # objects, whose internal reference cycles keep their arrays until the garbage collector
        # runs.
        pieces = [(np.asarray(g["vertices"], dtype=np.float64, order="C"), _triangulated(g["faces"]))
                  for g in parts if g.get("faces") is not None and len(g["faces"])]
    except ModelRejected:
        raise
    except Exception as exc:  # parsers of untrusted bytes fail in many ways; all mean "unreadable"
        raise ModelRejected(f"This file could not be read as an {kind.upper()} mesh. Export it again "
                            "from your modelling software.") from exc
    return join_pieces(pieces), None


def _triangulated(faces: Any) -> np.ndarray:
    values = np.asarray(faces, dtype=np.int64)
    if values.ndim == 2 and values.shape[1] != 3:
        from trimesh.geometry import triangulate_quads

        values = triangulate_quads(values)
    return values


STL_HEADER = 84  # 80 free bytes, then the triangle count (uint32, little-endian)
_STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
STL_CHUNK = 1 << 16  # triangles read at a time: 3.3 MB of file


def _binary_stl(stream: BinaryIO) -> ArraysT | None:
    """The arrays of a binary STL, or None for an ASCII one (the stream is then back at 0).

    As in trimesh, a file is binary exactly when its size is 84 + 50 × the count in its header,
    whatever its first bytes say (many exporters begin a binary header with "solid"). A file of
    another size that holds NUL bytes, which text never does, is a damaged binary STL.
    """
    size = os.fstat(stream.fileno()).st_size
    header = stream.read(STL_HEADER)
    count = int.from_bytes(header[80:], "little") if len(header) == STL_HEADER else -1
    if count >= 0 and size == STL_HEADER + count * _STL_RECORD.itemsize:
        return _read_stl_records(stream, count)
    if len(header) == STL_HEADER and b"\0" in header + stream.read(1 << 16):
        expected = STL_HEADER + count * _STL_RECORD.itemsize
        raise ModelRejected(
            f"This STL file is {'incomplete' if size < expected else 'damaged'}: its header announces "
            f"{count:,} triangles ({expected:,} bytes), but the file has {size:,} bytes. It may have "
            "been cut short while saving or uploading: export it again and send the new file.")
    stream.seek(0)
    return None


def _read_stl_records(stream: BinaryIO, count: int) -> ArraysT:
    # Chunks straight into the result: never the whole file as bytes, never the normals.
    vertices = np.empty((3 * count, 3), dtype=np.float32)
    done = 0
    while done < count:
        block = np.fromfile(stream, dtype=_STL_RECORD, count=min(STL_CHUNK, count - done))
        if len(block) == 0:  # the file shrank while being read
            raise ModelRejected("This STL file ended before all its triangles were read. Send it again.")
        vertices[3 * done:3 * (done + len(block))] = block["corners"].reshape(-1, 3)
        done += len(block)
    faces = np.arange(3 * count, dtype=meshcalc.index_dtype(3 * count)).reshape(-1, 3)
    return vertices, faces


# --- memory -------------------------------------------------------------------------------------

def _forget_frames(exc: BaseException) -> None:
    """Clear the locals of the finished frames in a refusal's traceback and in those of its causes
    (the lines stay for logs, the arrays go). Not its __context__: that may be an exception the
    caller is handling, whose frames are none of our business."""
    current: BaseException | None = exc
    for _ in range(10):  # a cause chain is short; never loop on a cyclic one
        if current is None:
            break
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__


def _release_memory() -> None:
    """Hand freed memory back to the system. glibc keeps freed blocks below its (self-raising)
    mmap threshold in the heap, so a server that analysed one big model would otherwise keep
    its peak for good."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS allocators return memory themselves
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter already uses
    except (OSError, AttributeError):
        return None  # not glibc (e.g. musl): nothing to call
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


# --- analysis -----------------------------------------------------------------------------------

def _count_bodies(faces: np.ndarray, n_vertices: int) -> int:
    """Connected pieces, by label propagation with pointer jumping (no graph library needed)."""
    a = np.concatenate([faces[:, 0], faces[:, 1]])
    b = np.concatenate([faces[:, 1], faces[:, 2]])
    label = np.arange(n_vertices)
    while True:
        la, lb = label[a], label[b]
        if (la == lb).all():
            return len(np.unique(label[faces[:, 0]]))
        low = np.minimum(la, lb)
        # Roots only ever point to smaller roots, so no cycle can form.
        np.minimum.at(label, la, low)
        np.minimum.at(label, lb, low)
        while True:
            jumped = label[label]
            if (jumped == label).all():
                break
            label = jumped


def _fits(size: list[float], printer: Printer) -> bool:
    (x, y, z), (w, d, h) = size, printer.build_volume_mm
    s = FIT_SLACK_MM
    return z <= h + s and ((x <= w + s and y <= d + s) or (y <= w + s and x <= d + s))


def _fits_some(size: list[float], config: Config) -> bool:
    return any(_fits(size, p) for p in config.printers)


def _mm(size: list[float]) -> str:
    # Below 1 mm, tenths would show a 0.02 mm side as "0.0": keep two significant digits there.
    return " × ".join(f"{v:.1f}" if v >= 1 else f"{v:.2g}" for v in size) + " mm"


def _unit_hint(size: list[float], config: Config) -> dict[str, Any] | None:
    largest = max(size)
    if largest < 3.0:
        for factor, unit in UNIT_FACTORS:
            scaled = [v * factor for v in size]
            if max(scaled) >= 10.0 and _fits_some(scaled, config):
                return {"factor": factor, "scaled_mm": [round(v, 1) for v in scaled], "message": (
                    f"At {_mm(size)} this model is tiny: it was probably exported in {unit} while "
                    f"the lab reads millimetres. Scaled ×{factor:g} it would be {_mm(scaled)}. We "
                    "print exactly what you send, so if that is the size you meant, re-export in mm.")}
    elif not _fits_some(size, config):
        for factor, unit in UNIT_FACTORS:
            scaled = [v / factor for v in size]
            if _fits_some(scaled, config):
                return {"factor": 1 / factor, "scaled_mm": [round(v, 1) for v in scaled], "message": (
                    f"At {_mm(size)} this model is too large for every printer. If it was meant in "
                    f"millimetres but exported as {unit}, it would be {_mm(scaled)} "
                    f"(1/{factor:g} of the size). Check the units you exported in.")}
    return None


def _warnings(size: list[float], fits: list[str], chosen: Printer | None, watertight: bool,
              hint: dict[str, Any] | None, config: Config) -> list[str]:
    out: list[str] = []
    if not fits:
        biggest = max(config.printers, key=lambda p: p.build_volume_mm[0] * p.build_volume_mm[1]
                      * p.build_volume_mm[2])
        out.append(f"At {_mm(size)} this model fits none of the lab's printers (the largest, "
                   f"{biggest.name}, holds {_mm(list(biggest.build_volume_mm))}). It was accepted, "
                   "but it cannot be printed at this size: scale it down or split it into parts.")
    elif chosen is not None and chosen.name not in fits:
        # Name the method of a printer that prints differently from the one the student chose.
        others = ", ".join(p.name if p.method == chosen.method else f"{p.name} ({p.method})"
                           for p in config.printers if p.name in fits)
        out.append(f"At {_mm(size)} this model does not fit the {chosen.name} "
                   f"({_mm(list(chosen.build_volume_mm))}); it would fit the {others}.")
    if not watertight:
        out.append("The model is not watertight: its surface has holes or gaps, so the slicer may "
                   "print it wrongly, and its volume is only approximate. Close the holes in your "
                   "modelling software.")
    if hint is not None:
        out.append(hint["message"])
    elif max(size) < 10.0:
        out.append(f"The model is very small: its longest side is {max(size):.1f} mm. Check that this "
                   "is the size you meant; fine details may not print.")
    return out


def _estimate(volume: float, exact: bool, config: Config, printer: str,
              method: str) -> tuple[dict[str, Any] | None, str]:
    if method not in MATERIALS:
        return None, f"No weight estimate: the lab has no material density for {method!r}."
    density, low, high = MATERIALS[method]
    # Three significant digits: a 2 mm part weighs milligrams, and "0–0 g" tells no one anything.
    grams = [float(f"{volume * density * share:.3g}") for share in (low, high)]
    try:
        costs: list[str] | None = []
        for weight in grams:
            # Material only (hours=1 is a placeholder whose time cost is left out), then the minimum.
            q = quote(config, method, printer, max(Decimal(str(weight)), Decimal("0.01")), 1)
            costs.append(str(max(q.material_cost, money(config.pricing.minimum))))
    except ValueError:
        costs = None  # unknown printer or material: the weight is still useful
    note = (f"Weight assumes {low:.0%}–{high:.0%} of the model's solid volume at {density} g/cm³ "
            f"({method}). The cost covers material and the minimum charge only: print time is not "
            "known until the model is sliced, so time charges are not included.")
    if not exact:
        note += " The model is not watertight, so its volume is a rough guess."
    return {"weight_g": grams, "cost": costs}, note


def grams_text(grams: float) -> str:
    """A weight as people read it: "47 g", "3.2 g", "0.012 g" (never "0 g" for a real part)."""
    if grams >= 10:
        return f"{grams:.0f}"
    return f"{grams:.2g}" if grams > 0 else "0"


def estimate_text(analysis: dict[str, Any] | Any) -> str:
    """The weight and cost estimate the student saw, in one line; "" when there is none."""
    estimate = (analysis or {}).get("estimate")
    if not estimate:
        return ""
    low, high = estimate["weight_g"]
    text = f"{grams_text(low)}–{grams_text(high)} g"
    costs = estimate.get("cost")
    if costs:
        text += f", ${costs[0]}" if costs[0] == costs[1] else f", ${costs[0]}–${costs[1]}"
    return text
