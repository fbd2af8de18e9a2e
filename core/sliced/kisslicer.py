"""KISSlicer G-code. Settings at the top, totals at the end (shape of real KISSlicer 1.x and 2.x
files):

    ; KISSlicer - FREE / ; version 2 a 2.0.6 Win64
    ; printer_name = Lab printer   ; material_name = PLA   ; fiber_dia_mm = 1.75
    …
    ; Calculated-during-export Build Time: 10.16 minutes
    ; Estimated-in-GUI Build Time:         10.18 minutes
    ;    Ext #1  =   305.09 mm  (0.734 cm^3)                (one line per extruder)

Older versions write "; Estimated Build Time: 332.83 minutes" and "; Ext 1 = … mm".
"""

from __future__ import annotations

import re
from pathlib import Path

from core.sliced.info import SlicedInfo
from core.sliced.text import equals_comments, material_name, number, positive, read_text, seconds

NAME = "KISSlicer G-code"
EXTENSIONS = (".gcode", ".gco")

_MARK = re.compile(r"^; KISSlicer\b", re.MULTILINE)
_VERSION = re.compile(r"^; version[ \t]+([^\r\n]+)", re.MULTILINE)
_TIME = re.compile(r"^;[ \t]*(Calculated-during-export|Estimated-in-GUI|Estimated)[ \t]+Build Time:"
                   r"[ \t]*([0-9.]+)[ \t]*minutes", re.MULTILINE)
_EXTRUDER = re.compile(r"^;[ \t]*Ext[ \t]*#?[ \t]*(\d+)[ \t]*=[ \t]*([0-9.]+)[ \t]*mm"
                       r"(?:[ \t]*\([ \t]*([0-9.]+)[ \t]*cm\^3[ \t]*\))?", re.MULTILINE)


def recognise(head: bytes) -> bool:
    return _MARK.search(head[:4096].decode("utf-8", "replace")) is not None


def read(path: Path) -> SlicedInfo:
    text = read_text(path)
    settings = equals_comments(text.head)
    raw_version = _VERSION.search(text.head)
    dotted = re.search(r"\d+(?:\.\d+)+", raw_version.group(1)) if raw_version else None
    times = {m.group(1): number(m.group(2)) for m in _TIME.finditer(text.tail)}
    minutes = next((times[k] for k in ("Calculated-during-export", "Estimated-in-GUI", "Estimated")
                    if times.get(k)), None)
    extruders = {m.group(1): (number(m.group(2)), number(m.group(3)))
                 for m in _EXTRUDER.finditer(text.tail)}
    lengths = [mm for mm, _ in extruders.values() if mm]
    volumes = [cm3 for _, cm3 in extruders.values() if cm3]
    notes = [f"{len(lengths)} extruders: their filament is added up."] if len(lengths) > 1 else []
    if not extruders and not times:
        notes.append("No totals at the end of the file: it may be cut short.")
    return SlicedInfo(
        format="KISSlicer G-code", slicer="KISSlicer",
        version=dotted.group() if dotted else None,
        filament_mm=positive(sum(lengths)) if lengths else None,
        filament_cm3=positive(sum(volumes)) if volumes else None,
        print_time_s=seconds(positive(minutes * 60)) if minutes else None,
        printer=settings.get("printer_name") or None,
        material=material_name([n for n in [settings.get("material_name")] if n], []),
        filament_diameter_mm=positive(number(settings.get("fiber_dia_mm"))), notes=tuple(notes))
