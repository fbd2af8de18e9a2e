"""PrusaSlicer's SLA archives: .sl1 (Original Prusa SL1), .sl1s (SL1S Speed), .sl1svg.

A ZIP with one picture per layer and two text files:

    config.ini          printTime = 2954.000001 (s)   usedMaterial = 5.781942 (ml)
                        materialName = Prusament Resin Tough …   printerModel = SL1S
                        prusaSlicerVersion = PrusaSlicer-2.5.0+UNKNOWN
    prusaslicer.ini     the full configuration: sla_material_settings_id, printer_settings_id,
                        material_density …

The weight is not in the archive; grams() weighs usedMaterial with the lab's resin density.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.sliced.archive import find, open_package, read_small
from core.sliced.info import SlicedFileError, SlicedInfo
from core.sliced.text import first, number, positive, seconds, unquote_list

NAME = "PrusaSlicer SLA archive"
EXTENSIONS = (".sl1", ".sl1s", ".sl1svg")

_LINE = re.compile(r"^[ \t]*([^=#;\r\n]+?)[ \t]*=[ \t]*([^\r\n]*?)[ \t]*\r?$", re.MULTILINE)


def recognise(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _ini(data: bytes) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _LINE.finditer(data.decode("utf-8", "replace"))}


def read(path: Path) -> SlicedInfo:
    kind = path.suffix.lstrip(".").upper()
    with open_package(path, kind) as archive:
        entry = find(archive, "config.ini")
        if entry is None:
            raise SlicedFileError(f"This {kind} archive has no config.ini: it was not written by "
                                  "PrusaSlicer, or it is damaged.")
        config = _ini(read_small(archive, entry))
        extra = find(archive, "prusaslicer.ini")
        full = _ini(read_small(archive, extra)) if extra is not None else {}
    raw_version = config.get("prusaSlicerVersion", "")
    slicer, _, version = raw_version.partition("-")
    notes: list[str] = []
    if not config.get("printTime") and not config.get("usedMaterial"):
        notes.append("config.ini states neither the print time nor the resin used.")
    printer = next(iter(unquote_list(first(config, "printerProfile") or first(
        full, "printer_settings_id") or first(config, "printerModel"))), None)
    material = next(iter(unquote_list(first(config, "materialName") or first(
        full, "sla_material_settings_id"))), None)
    return SlicedInfo(format=f"{slicer or 'PrusaSlicer'} {kind} archive",
                      slicer=slicer or None, version=version or None,
                      resin_ml=positive(number(config.get("usedMaterial"))),
                      print_time_s=seconds(positive(number(config.get("printTime")))),
                      printer=printer, material=material, notes=tuple(notes))
