"""What a reader returns, and the error it raises (re-exported by core.sliced).

These live in a leaf module so the format modules can build a SlicedInfo while core.sliced itself
imports the registry of those modules: defined in the package's __init__, they would make an
import circle (core.sliced -> registry -> a format -> core.sliced).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

FIELDS = ("slicer", "version", "weight_g", "filament_mm", "filament_cm3", "resin_ml",
          "print_time_s", "printer", "material")


class SlicedFileError(Exception):
    """The file is not a sliced file PrintDesk can read; the message says why, plainly."""


@dataclass(frozen=True)
class SlicedInfo:
    format: str  # e.g. "PrusaSlicer G-code", "Bambu Studio 3MF"
    slicer: str | None = None
    version: str | None = None
    weight_g: float | None = None  # None: not in the file (never 0 for unknown)
    filament_mm: float | None = None
    filament_cm3: float | None = None
    resin_ml: float | None = None
    print_time_s: int | None = None  # normal mode
    printer: str | None = None
    material: str | None = None
    project_without_results: bool = False  # a 3MF project that was never sliced
    notes: tuple[str, ...] = ()  # what the reader ignored and why (placeholders, 0.00 g…)
    # Where the file states it; None: not stated (grams() then assumes 1.75 mm and says so).
    filament_diameter_mm: float | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in FIELDS if getattr(self, name) is None)

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name in FIELDS}
        return {**data, "format": self.format, "missing": list(self.missing),
                "project_without_results": self.project_without_results,
                "notes": list(self.notes), "filament_diameter_mm": self.filament_diameter_mm}
