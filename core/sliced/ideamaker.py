"""Raise3D ideaMaker G-code. Its comments, as Moonraker's and RepRapFirmware's file-info parsers
read them (the shape of the real files; no Debian package writes them):

    ;Sliced by ideaMaker 4.2.3.6210, 2022-03-10 10:20:30
    ;Filament Diameter #1: 1.750        ;Filament Type #1: PLA
    ;Filament Name #1: [Raise3D] PLA    ;Filament Density #1: 1.240
    ;Print Time: 3616                   (seconds)
    ;Material#1 Used: 1802.7            (mm of filament, one line per extruder)

The values may sit in the header or near the end depending on the version, so both are searched.
ideaMaker states no weight: grams() weighs the length with the lab's density for the material.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.sliced.info import SlicedInfo
from core.sliced.text import material_name, number, positive, read_text, seconds

NAME = "ideaMaker G-code"
EXTENSIONS = (".gcode", ".gco")

_SLICED = re.compile(r"^;Sliced by ideaMaker[ \t]*([^,\r\n]*)", re.MULTILINE)
_KEY = re.compile(r"^;[ \t]*([A-Za-z][A-Za-z #0-9]*?)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$",
                  re.MULTILINE)


def recognise(head: bytes) -> bool:
    return _SLICED.search(head[:8192].decode("utf-8", "replace")) is not None


def read(path: Path) -> SlicedInfo:
    text = read_text(path)
    sliced = _SLICED.search(text.head)
    values: dict[str, str] = {}
    for part in (text.head, text.tail):
        for match in _KEY.finditer(part):
            values[match.group(1)] = match.group(2)
    lengths = [number(v) for k, v in values.items() if re.fullmatch(r"Material#\d+ Used", k)]
    used = [length for length in lengths if length and length > 0]
    notes = [f"{len(used)} extruders: their filament is added up."] if len(used) > 1 else []
    time_s = seconds(positive(number(values.get("Print Time"))))
    diameter = positive(number(values.get("Filament Diameter #1")))
    return SlicedInfo(
        format="ideaMaker G-code", slicer="ideaMaker",
        version=(sliced.group(1).strip() or None) if sliced else None,
        filament_mm=sum(used) if used else None, print_time_s=time_s or None,
        material=material_name([n for n in [values.get("Filament Name #1")] if n],
                               [t for t in [values.get("Filament Type #1")] if t]),
        filament_diameter_mm=diameter, notes=tuple(notes))
