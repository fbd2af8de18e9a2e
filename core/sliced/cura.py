"""UltiMaker Cura G-code (CuraEngine) and Cura's UFP package.

Cura writes its numbers in a header at the top, in one of two shapes:

* most flavours (";FLAVOR:Marlin", "RepRap", "Marlin(Volumetric)" …):
      ;FLAVOR:Marlin / ;TIME:2256 (s) / ;Filament used: 1.52m  — metres, one per extruder
      ("1.2m, 0.3m"); the volumetric flavours write "3623mm3" instead
  and ";FLAVOR:UltiGCode" (Ultimaker 2): ;TIME:2256 / ;MATERIAL:3623 / ;MATERIAL2:0 (mm³);
* Griffin (Ultimaker 3, S-line), between ;START_OF_HEADER and ;END_OF_HEADER:
      ;PRINT.TIME:2256 / ;EXTRUDER_TRAIN.0.MATERIAL.VOLUME_USED:3623 (mm³) /
      ;TARGET_MACHINE.NAME:Ultimaker S5 / ;GENERATOR.VERSION:4.13.0

CuraEngine run from the command line writes that header before slicing, with placeholders:
;TIME:6666, ;MATERIAL:6666, ";Filament used: 0m" (or, in Griffin, no time or volume at all).
Then the time is the LAST ";TIME_ELAPSED:" comment, and the filament is measured from the moves.

A UFP ("Ultimaker Format Package") is a ZIP holding that G-code as /3D/model.gcode.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from core.sliced.archive import find, open_package, read_text_entry
from core.sliced.extrusion import extruded
from core.sliced.info import SlicedFileError, SlicedInfo
from core.sliced.text import CHUNK, Text, chunks, number, positive, read_text

NAME = "Cura G-code"
EXTENSIONS = (".gcode", ".gco", ".ufp")
PLACEHOLDER = 6666  # CuraEngine's stand-in for a value it does not know yet
ULTIMAKER_DIAMETER_MM = 2.85  # Griffin and UltiGCode printers take 2.85 mm filament only

_MARK = re.compile(r"^;(?:FLAVOR:|START_OF_HEADER|Generated with Cura_SteamEngine)", re.MULTILINE)
_KEY = re.compile(r"^;([A-Za-z][A-Za-z0-9_. ]*?):[ \t]*([^\r\n]*?)[ \t]*\r?$", re.MULTILINE)
_ELAPSED = re.compile(r"^;TIME_ELAPSED:[ \t]*([0-9.]+)", re.MULTILINE)
_VERSION = re.compile(r"^;Generated with Cura_SteamEngine[ \t]+(\S+)", re.MULTILINE)
_AMOUNT = re.compile(r"([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(mm3|mm³|mm|m)?", re.IGNORECASE)


def recognise(head: bytes) -> bool:
    return _MARK.search(head[:16384].decode("utf-8", "replace")) is not None


def read(path: Path) -> SlicedInfo:
    if path.name.lower().endswith(".ufp"):
        return _read_ufp(path)
    return parse(read_text(path), lambda: chunks(path), "Cura G-code")


def _read_ufp(path: Path) -> SlicedInfo:
    with open_package(path, "UFP") as archive:
        entry = find(archive, "3D/model.gcode")
        if entry is None:
            raise SlicedFileError("This UFP package holds no G-code (3D/model.gcode): it was "
                                  "not saved by Cura as a print job.")
        text = read_text_entry(archive, entry)
        if not recognise(text.head.encode("utf-8")):
            raise SlicedFileError("The G-code inside this UFP package is not Cura's.")

        def again() -> Iterator[bytes]:
            with archive.open(entry) as stream:
                while chunk := stream.read(CHUNK):
                    yield chunk

        return parse(text, again, "Cura UFP")


def _header(head: str) -> dict[str, str]:
    """KEY:VALUE comments of the header, up to the first layer (later ";TYPE:" etc. are not
    header keys); a key seen twice keeps its first value."""
    cut = head.find(";LAYER:")
    found: dict[str, str] = {}
    for match in _KEY.finditer(head if cut < 0 else head[:cut]):
        found.setdefault(match.group(1).strip(), match.group(2))
    return found


def _amounts(value: str) -> list[tuple[float, str]]:
    """";Filament used: 1.2m, 0.3m" → [(1.2, "m"), (0.3, "m")]; "3623mm3" → [(3623, "mm3")]."""
    result = []
    for part in value.split(","):
        match = _AMOUNT.search(part)
        if match is None:
            continue
        amount = float(match.group(1))
        if math.isfinite(amount):
            result.append((amount, (match.group(2) or "m").lower().replace("³", "3")))
    return result


def _placeholder(value: float | None) -> bool:
    return value is not None and round(value) == PLACEHOLDER


def parse(text: Text, moves: Callable[[], Iterable[bytes]], fmt: str) -> SlicedInfo:
    """What Cura's header says, falling back on the G-code itself where it holds placeholders."""
    header = _header(text.head)
    flavor = header.get("FLAVOR", "")
    griffin = flavor.casefold() == "griffin" or "START_OF_HEADER" in text.head[:4096]
    volumetric = flavor.casefold() == "ultigcode" or "volumetric" in flavor.casefold()
    version_match = _VERSION.search(text.head)
    version = header.get("GENERATOR.VERSION") or (version_match.group(1) if version_match else None)
    notes: list[str] = []
    fields: dict[str, Any] = {"printer": header.get("TARGET_MACHINE.NAME") or None}

    time_key = "PRINT.TIME" if griffin else "TIME"
    stated_time = number(header.get(time_key))
    if stated_time is not None and not _placeholder(stated_time) and stated_time > 0:
        fields["print_time_s"] = round(stated_time)
    else:
        elapsed = [float(m) for m in _ELAPSED.findall(text.tail)] or \
            [float(m) for m in _ELAPSED.findall(text.head)]
        last = elapsed[-1] if elapsed else None
        said = (f"holds ;{time_key}:{header[time_key]}, CuraEngine's placeholder"
                if time_key in header else f"has no ;{time_key}:")
        if last is not None and math.isfinite(last) and last > 0:
            fields["print_time_s"] = round(last)
            notes.append(f"The header {said} (CuraEngine run from the command line writes its "
                         f"header before slicing): the time is the last ;TIME_ELAPSED: "
                         f"({round(last)} s).")
        else:
            notes.append(f"The header {said} and the file has no ;TIME_ELAPSED: comment: the "
                         "print time is unknown.")

    needs_scan, said = _filament(header, griffin, fields)
    if needs_scan:
        measured = extruded(moves())
        if measured is None:
            notes.append(f"The header {said} and no extruding move was found: the filament is "
                         "unknown.")
        elif volumetric:
            fields["filament_cm3"] = measured / 1000
            notes.append(f"The header {said}: the filament volume was measured from the "
                         f"extrusion moves ({measured:.0f} mm³).")
        else:
            fields["filament_mm"] = measured
            if griffin:
                fields["filament_diameter_mm"] = ULTIMAKER_DIAMETER_MM
                fields["filament_cm3"] = measured * math.pi * (ULTIMAKER_DIAMETER_MM / 2) ** 2 \
                    / 1000
            notes.append(f"The header {said}: the filament length was measured from the "
                         f"extrusion moves ({measured:.0f} mm).")
    elif fields.get("extruders", 1) > 1:
        notes.append(f"{fields['extruders']} extruders: their filament is added up.")
    fields.pop("extruders", None)
    return SlicedInfo(format=fmt, slicer="Cura", version=version, notes=tuple(notes), **fields)


def _filament(header: dict[str, str], griffin: bool, fields: dict[str, Any]) -> tuple[bool, str]:
    """Fill the filament fields from the header; (whether the moves must be measured instead,
    what the header said about it, for the note)."""
    placeholder = "CuraEngine's placeholder"
    if griffin:
        keys = sorted(k for k in header
                      if re.fullmatch(r"EXTRUDER_TRAIN\.\d+\.MATERIAL\.VOLUME_USED", k))
        volumes = [number(header[k]) for k in keys]
        if not keys:
            return True, "has no material volume (;EXTRUDER_TRAIN.0.MATERIAL.VOLUME_USED:)"
        if any(v is None or _placeholder(v) for v in volumes):
            return True, f"holds ;{keys[0]}:{header[keys[0]]}, {placeholder}"
        used = [v for v in volumes if v and v > 0]
        fields["filament_cm3"] = positive(sum(used) / 1000)
        fields["filament_diameter_mm"] = ULTIMAKER_DIAMETER_MM
        fields["extruders"] = len(used)
        return fields["filament_cm3"] is None, f"holds ;{keys[0]}:{header[keys[0]]}"
    if "MATERIAL" in header:  # UltiGCode: mm³ per nozzle
        first = number(header["MATERIAL"])
        if first is None or _placeholder(first) or first <= 0:
            return True, f"holds ;MATERIAL:{header['MATERIAL']}, {placeholder}"
        second = number(header.get("MATERIAL2")) or 0
        fields["filament_cm3"] = (first + max(second, 0)) / 1000
        fields["filament_diameter_mm"] = ULTIMAKER_DIAMETER_MM
        fields["extruders"] = 2 if second > 0 else 1
        return False, ""
    stated = header.get("Filament used")
    amounts = _amounts(stated) if stated is not None else []
    if not amounts or sum(a for a, _ in amounts) <= 0:
        return True, (f"holds ';Filament used: {stated}', {placeholder}" if stated is not None
                      else "has no ';Filament used:'")
    millimetres = sum(a * 1000 if unit == "m" else a for a, unit in amounts if unit != "mm3")
    cubic = sum(a for a, unit in amounts if unit == "mm3")
    if cubic:
        fields["filament_cm3"] = positive(cubic / 1000)
    if millimetres:
        fields["filament_mm"] = positive(millimetres)
    fields["extruders"] = sum(1 for a, _ in amounts if a > 0)
    return False, ""
