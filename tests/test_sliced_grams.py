"""grams(): the weight from each source (the file's own weight, filament length, filament or resin
volume) and the density of the file's material or the job's method, with the text saying where
the number came from; plus the small parsers and the names the registry takes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from core.config.sections import parse_densities
from core.sliced import SLICED_EXTENSIONS, SlicedInfo, grams, is_sliced_name, read_sliced
from core.sliced.text import duration
from tests.sliced_samples.build import SAMPLES

DENSITIES = parse_densities(None)  # the lab's defaults: PLA 1.24, PETG 1.27, Resin 1.15 …


def expected(volume_cm3: float, density: str) -> Decimal:
    return (Decimal(repr(volume_cm3)) * Decimal(density)).quantize(Decimal("0.01"))


def test_the_files_own_weight_wins() -> None:
    info = SlicedInfo(format="PrusaSlicer G-code", slicer="PrusaSlicer", version="2.5.0",
                      weight_g=3.94, filament_mm=1300.0, filament_cm3=3.1, material="PLA")
    assert grams(info, "Filament", DENSITIES) == (Decimal("3.94"),
                                                  "PrusaSlicer 2.5.0 G-code: 3.94 g")


def test_length_times_cross_section_times_the_materials_density() -> None:
    info = SlicedInfo(format="Cura G-code", slicer="Cura", filament_mm=1520.0, material="PLA")
    weight, how = grams(info, "Filament", DENSITIES)
    assert weight == expected(1520 * math.pi * 0.875 ** 2 / 1000, "1.24")
    assert how == (f"Cura G-code: 1.52 m of 1.75 mm filament (diameter not stated, assumed) × "
                   f"1.24 g/cm³ (PLA) = {weight} g")


def test_a_stated_diameter_is_used() -> None:
    info = SlicedInfo(format="ideaMaker G-code", slicer="ideaMaker", filament_mm=1000.0,
                      filament_diameter_mm=2.85, material="[Raise3D] PETG")
    weight, how = grams(info, "Filament", DENSITIES)
    assert weight == expected(1000 * math.pi * 1.425 ** 2 / 1000, "1.27")
    assert "of 2.85 mm filament ×" in how and "(PETG)" in how and "assumed" not in how


def test_volume_is_preferred_to_length_and_material_found_by_keyword() -> None:
    info = SlicedInfo(format="PrusaSlicer G-code", slicer="PrusaSlicer", filament_mm=1508.68,
                      filament_cm3=3.63, material="Prusament PETG")
    weight, how = grams(info, "Filament", DENSITIES)
    assert weight == expected(3.63, "1.27")
    assert "3.63 cm³ of filament × 1.27 g/cm³ (PETG)" in how


def test_resin_volume_with_the_methods_density_when_the_material_is_unknown() -> None:
    info = SlicedInfo(format="PrusaSlicer SL1 archive", slicer="PrusaSlicer", resin_ml=5.78,
                      material="Prusament Resin Tough Prusa Orange")
    weight, how = grams(info, "Resin", DENSITIES)
    assert weight == expected(5.78, "1.15")
    assert "5.78 ml of resin × 1.15 g/cm³ (Resin, the job's method" in how
    assert "Prusament Resin Tough Prusa Orange" in how


def test_no_material_in_the_file_uses_the_methods_density() -> None:
    info = SlicedInfo(format="Cura G-code", slicer="Cura", filament_cm3=3.623)
    weight, how = grams(info, "Filament", DENSITIES)
    assert weight == expected(3.623, "1.24")
    assert "the file names no material" in how


def test_the_labs_own_densities_and_the_longest_name_win() -> None:
    lab = parse_densities({"PLA": "1.25", "PLA Silk": "1.30", "PET": "1.38"})
    silk = SlicedInfo(format="G-code", filament_cm3=2.0, material="eSun PLA Silk Gold")
    assert grams(silk, "Filament", lab)[0] == expected(2.0, "1.30")
    petg = SlicedInfo(format="G-code", filament_cm3=2.0, material="Prusament PETG")
    assert grams(petg, "Filament", lab)[0] == expected(2.0, "1.27")  # PETG, not PET


def test_density_zero_trap_from_a_real_shaped_file() -> None:
    info = read_sliced(SAMPLES / "prusaslicer_density0_two_extruders.gcode")
    assert info.weight_g is None  # "total filament used [g] = 0.00" is not a weight
    weight, how = grams(info, "Filament", DENSITIES)
    assert weight == expected(3.64, "1.27")  # 2.92 + 0.72 cm³ of (the first filament's) PETG
    assert "cm³ of filament" in how


def test_nothing_to_weigh_or_no_density() -> None:
    assert grams(SlicedInfo(format="CHITUBOX CTB", slicer="CHITUBOX"), "Resin", DENSITIES) == (
        None, "CHITUBOX CTB: no weight, filament length or volume in the file")
    weight, how = grams(SlicedInfo(format="G-code", filament_cm3=1.0, material="Unobtainium"),
                        "Clay", DENSITIES)
    assert weight is None and "no density" in how


def test_never_zero_or_negative_weights() -> None:
    info = SlicedInfo(format="G-code", weight_g=0.0, filament_cm3=2.0, material="PLA")
    assert grams(info, "Filament", DENSITIES)[0] == expected(2.0, "1.24")
    info = SlicedInfo(format="G-code", weight_g=float("nan"), filament_mm=-5.0)
    assert grams(info, "Filament", DENSITIES)[0] is None


@pytest.mark.parametrize(("text", "seconds"), [
    ("1d 2h 3m 4s", 93784), ("31m 17s", 1877), ("34s", 34), ("2h", 7200), ("1h 0m 5s", 3605),
    (" 5m 3s ", 303), ("15m 20s", 920)])
def test_durations(text: str, seconds: int) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "12", "3 minutes", "1h and 2m", None])
def test_not_durations(text: str | None) -> None:
    assert duration(text) is None


def test_sliced_names() -> None:
    assert all(e == e.lower() and e.startswith(".") for e in SLICED_EXTENSIONS)
    assert ".gcode.3mf" in SLICED_EXTENSIONS
    for name in ("part.gcode", "PART.GCODE", "plate.gcode.3mf", "job.bgcode", "resin.sl1",
                 "resin.SL1S", "print.ufp", "mars.ctb", "project.3mf", "job.form"):
        assert is_sliced_name(name), name
    for name in ("model.stl", "model.obj", "gcode", "notes.txt", "metadata.json", "x.3mf.bak"):
        assert not is_sliced_name(name), name
