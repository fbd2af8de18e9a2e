"""The weight of a print in grams: as the file states it, or from the filament length or the
volume it states and the density of its material (the lab's table, [densities] in the config).

The text returned beside the number says where it came from, for staff to judge, e.g.
"PrusaSlicer 2.5.0 G-code: 3.62 g" or
"Cura 4.13.0 G-code: 1.52 m of 1.75 mm filament × 1.24 g/cm³ (PLA) = 4.53 g".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.sliced.info import SlicedInfo

DEFAULT_DIAMETER_MM = Decimal("1.75")
PI = Decimal("3.14159265358979323846")
CENT = Decimal("0.01")


def _decimal(value: float | None) -> Decimal | None:
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9A-Z]+", text.upper()) if w]


def density_for(material: str | None, method: str, densities: Mapping[str, Decimal]
                ) -> tuple[Decimal | None, str]:
    """(g/cm³, which entry gave it): the entry whose name appears as a word, or run of words, in
    the file's material ("Prusament PETG" → PETG; the longest name wins, so "PLA Silk" finds a
    "PLA Silk" entry before "PLA"); else the job's method. The method's own entry is not a
    material ("Prusament Resin Tough" on a Resin job is not a match for "Resin"), so the text
    then says the method's density was used."""
    if material:
        words = _words(material)
        joined = f" {' '.join(words)} "
        best: tuple[int, str] | None = None
        for name in densities:
            key = _words(name)
            if name.casefold() == method.casefold():
                continue
            if key and f" {' '.join(key)} " in joined and (best is None or len(key) > best[0]):
                best = (len(key), name)
        if best is not None:
            return Decimal(densities[best[1]]), best[1]
    for name, value in densities.items():
        if name.casefold() == method.casefold():
            why = f"{name}, the job's method" + (f"; none listed for {material!r}" if material
                                                   else "; the file names no material")
            return Decimal(value), why
    return None, method


def _label(info: SlicedInfo) -> str:
    name = " ".join(p for p in (info.slicer, info.version) if p)
    kind = info.format
    if info.slicer and kind.startswith(info.slicer):
        kind = kind[len(info.slicer):].strip()
    return f"{name} {kind}".strip() if name else kind


def _figure(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def grams(info: SlicedInfo, method: str, densities: Mapping[str, Decimal]
          ) -> tuple[Decimal | None, str]:
    """(weight in grams, where it came from); None when the file gives neither a weight nor an
    amount of material to weigh, or no density is known."""
    label = _label(info)
    stated = _decimal(info.weight_g)
    if stated is not None:
        return stated.quantize(CENT, ROUND_HALF_UP), f"{label}: {_figure(stated)} g"
    volume_cm3: Decimal | None = None
    amount = ""
    if (ml := _decimal(info.resin_ml)) is not None:
        volume_cm3, amount = ml, f"{_figure(ml)} ml of resin"
    elif (cm3 := _decimal(info.filament_cm3)) is not None:
        volume_cm3, amount = cm3, f"{_figure(cm3)} cm³ of filament"
    elif (mm := _decimal(info.filament_mm)) is not None:
        diameter = _decimal(info.filament_diameter_mm)
        assumed = diameter is None
        diameter = diameter or DEFAULT_DIAMETER_MM
        volume_cm3 = mm * PI * (diameter / 2) ** 2 / 1000
        metres = (mm / 1000).quantize(CENT, ROUND_HALF_UP)
        amount = (f"{metres} m of {diameter.normalize():f} mm filament"
                  + (" (diameter not stated, assumed)" if assumed else ""))
    if volume_cm3 is None:
        return None, f"{label}: no weight, filament length or volume in the file"
    density, which = density_for(info.material, method, densities)
    if density is None or density <= 0:
        return None, (f"{label}: {amount}, but no density is configured for "
                      f"{info.material or which!r}")
    weight = (volume_cm3 * density).quantize(CENT, ROUND_HALF_UP)
    return weight, f"{label}: {amount} × {density.normalize():f} g/cm³ ({which}) = {weight} g"
