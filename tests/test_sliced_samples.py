"""The readers against samples of the formats no Debian package writes: Bambu Studio and
OrcaSlicer G-code and 3MF, Cura's Griffin / UltiGCode / volumetric / multi-extruder headers and
UFP, CHITUBOX, ideaMaker, KISSlicer and Prusa binary G-code. Text samples are files in
tests/sliced_samples/ (each ends with a comment saying where its shape comes from); packages and
binary files are built by tests/sliced_samples/build.py. Every expected number below is the one
written in the sample."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from core.sliced import SlicedFileError, read_sliced
from tests.sliced_samples import build

SAMPLES = build.SAMPLES


def sample(name: str) -> Path:
    return SAMPLES / name


def test_every_text_sample_says_where_its_shape_comes_from() -> None:
    texts = sorted(SAMPLES.glob("*.gcode"))
    assert len(texts) >= 10
    for path in texts:
        assert "PrintDesk test sample. Shape:" in path.read_text(), path.name


# --- Bambu Studio and OrcaSlicer -----------------------------------------------------------------

def test_bambu_studio_volume_line_holds_mm3_and_zero_grams_means_unknown() -> None:
    info = read_sliced(sample("bambu_studio_1.9_density0.gcode"))
    assert (info.format, info.slicer, info.version) == ("Bambu Studio G-code", "Bambu Studio",
                                                       "01.09.07.52")
    assert info.print_time_s == 1 * 3600 + 2 * 60 + 3
    assert info.filament_mm == 5123.40
    # "; total filament volume [cm^3] : 12323.22" is mm³: 5123.40 mm of 1.75 mm filament.
    assert info.filament_cm3 == pytest.approx(12.32322)
    assert info.weight_g is None  # "0.00" with filament_density 0: unknown, never 0
    assert any("mm³" in n and "12323.22" in n for n in info.notes)
    assert any("0.00 g" in n and "density is 0" in n for n in info.notes)
    assert info.filament_diameter_mm == 1.75
    assert info.printer == "Bambu Lab P1S 0.4 nozzle"
    assert info.material == "Bambu PETG Basic @BBL P1S"


def test_older_bambu_studio_gives_the_total_time_not_the_model_time() -> None:
    info = read_sliced(sample("bambu_studio_1.7.gcode"))
    assert info.version == "01.07.06.92"
    assert info.print_time_s == 15 * 60 + 42  # "total estimated time: 15m 42s"
    assert any("8m 57s" in n for n in info.notes)  # the model-only time, named and set aside
    assert info.weight_g is None and info.filament_mm is None  # that header states none
    assert info.printer == "Bambu Lab X1 Carbon 0.4 nozzle"


def test_orcaslicer_with_a_cura_style_top_header_is_read_as_orcaslicer() -> None:
    info = read_sliced(sample("orcaslicer_2.1_top_gcode.gcode"))
    assert (info.format, info.slicer, info.version) == ("OrcaSlicer G-code", "OrcaSlicer", "2.1.1")
    assert info.weight_g == 3.68
    assert info.print_time_s == 27 * 60 + 10
    assert info.filament_mm == 1234.56
    assert info.filament_cm3 == pytest.approx(2.96946)
    # The config block sits at the end in OrcaSlicer: the preset name gets its type added, so
    # a density can be found by keyword.
    assert info.material == "Lab spool 3 (PLA)"
    assert info.printer == "Voron 2.4 350 0.4 nozzle"


BAMBU_SETTINGS = {"printer_settings_id": "Bambu Lab P1S 0.4 nozzle",
                  "filament_settings_id": ["Bambu PLA Basic @BBL P1S", "Bambu PLA Basic @BBL P1S"],
                  "filament_type": ["PLA", "PLA"], "filament_diameter": ["1.75", "1.75"]}


def test_bambu_gcode_3mf_reads_slice_info(tmp_path: Path) -> None:
    plate = {"printer_model_id": "C12", "nozzle_diameters": "0.4", "prediction": 2153,
             "weight": 7.29, "filaments": [{"type": "PLA", "used_m": 2.39, "used_g": 7.29}]}
    info = read_sliced(build.bambu_3mf(tmp_path / "part.gcode.3mf", [plate],
                                       settings=BAMBU_SETTINGS))
    assert (info.format, info.slicer, info.version) == ("Bambu Studio 3MF", "Bambu Studio",
                                                       "01.09.07.52")
    assert (info.weight_g, info.print_time_s, info.filament_mm) == (7.29, 2153, 2390.0)
    assert info.printer == "Bambu Lab P1S 0.4 nozzle"
    assert info.material == "Bambu PLA Basic @BBL P1S"
    assert not info.project_without_results


def test_bambu_3mf_with_several_plates_adds_them_up(tmp_path: Path) -> None:
    plates = [{"printer_model_id": "N2S", "prediction": 1000, "weight": 5.5,
               "filaments": [{"type": "PETG", "used_m": 1.8, "used_g": 5.5}]},
              {"printer_model_id": "N2S", "prediction": 500, "weight": 2.25,
               "filaments": [{"type": "PETG", "used_m": 0.7, "used_g": 2.25}]}]
    info = read_sliced(build.bambu_3mf(tmp_path / "all.gcode.3mf", plates,
                                       application="OrcaSlicer-2.2.0"))
    assert (info.slicer, info.version) == ("OrcaSlicer", "2.2.0")
    assert (info.weight_g, info.print_time_s) == (7.75, 1500)
    assert info.filament_mm == pytest.approx(2500.0)
    assert info.printer == "Bambu Lab A1"  # from the model code, without project settings
    assert info.material == "PETG"
    assert any("2 sliced plates" in n for n in info.notes)


def test_bambu_3mf_weight_zero_is_unknown(tmp_path: Path) -> None:
    plate = {"prediction": 600, "weight": 0,
             "filaments": [{"type": "PLA", "used_m": 1.5, "used_g": 0}]}
    info = read_sliced(build.bambu_3mf(tmp_path / "zero.gcode.3mf", [plate]))
    assert info.weight_g is None and info.filament_mm == 1500.0
    assert any("unknown, not zero" in n for n in info.notes)


def test_a_3mf_project_without_results_says_so(tmp_path: Path) -> None:
    info = read_sliced(build.bambu_3mf(tmp_path / "project.3mf",
                                       [{"printer_model_id": "C12"}], settings=BAMBU_SETTINGS))
    assert info.project_without_results
    assert info.weight_g is None and info.print_time_s is None
    assert info.slicer == "Bambu Studio" and info.format == "Bambu Studio 3MF project"
    plain = tmp_path / "model.3mf"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("[Content_Types].xml", build.CONTENT_TYPES)
        archive.writestr("3D/3dmodel.model", build.model_xml(None))
    info = read_sliced(plain)
    assert info.project_without_results and info.format == "3MF model"


def test_a_bambu_project_3mf_with_results_is_read_like_a_sliced_one(tmp_path: Path) -> None:
    plate = {"prediction": 3600, "weight": 12.5,
             "filaments": [{"type": "PETG", "used_m": 4.1, "used_g": 12.5}]}
    info = read_sliced(build.bambu_3mf(tmp_path / "sliced-project.3mf", [plate]))
    assert not info.project_without_results
    assert (info.weight_g, info.print_time_s) == (12.5, 3600)


def test_a_doctype_in_slice_info_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.gcode.3mf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("3D/3dmodel.model", build.model_xml("BambuStudio-01.09.07.52"))
        archive.writestr("Metadata/slice_info.config",
                         '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">'
                         '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><config>&b;</config>')
    with pytest.raises(SlicedFileError, match="DOCTYPE"):
        read_sliced(path)


# --- Cura ----------------------------------------------------------------------------------------

def test_cura_griffin_header_with_two_extruders() -> None:
    info = read_sliced(sample("cura_griffin_two_extruders.gcode"))
    assert (info.slicer, info.version, info.printer) == ("Cura", "4.13.1", "Ultimaker S5")
    assert info.print_time_s == 4800
    assert info.filament_cm3 == pytest.approx((2911 + 512) / 1000)  # mm³ per extruder train
    assert info.notes == ("2 extruders: their filament is added up.",)


def test_cura_ultigcode_header() -> None:
    info = read_sliced(sample("cura_ultigcode.gcode"))
    assert (info.print_time_s, info.filament_cm3) == (2256, pytest.approx(3.623))
    assert info.notes == ()


def test_cura_marlin_metres_per_extruder() -> None:
    info = read_sliced(sample("cura_marlin_two_extruders.gcode"))
    assert (info.version, info.print_time_s, info.filament_mm) == ("5.2.1", 5025, 1500.0)
    assert info.filament_diameter_mm is None  # Cura's Marlin header does not state it


def test_cura_volumetric_flavour_states_mm3() -> None:
    info = read_sliced(sample("cura_marlin_volumetric.gcode"))
    assert info.filament_cm3 == pytest.approx(3.623) and info.filament_mm is None
    assert info.print_time_s == 600


def test_cura_ufp_package(tmp_path: Path) -> None:
    gcode = sample("cura_griffin_two_extruders.gcode").read_bytes()
    info = read_sliced(build.ufp(tmp_path / "print.ufp", gcode))
    assert info.format == "Cura UFP"
    assert (info.print_time_s, info.printer) == (4800, "Ultimaker S5")
    assert info.filament_cm3 == pytest.approx(3.423)


def test_a_ufp_without_gcode_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.ufp"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", build.CONTENT_TYPES)
    with pytest.raises(SlicedFileError, match="no G-code"):
        read_sliced(path)


# --- ideaMaker, KISSlicer, PrusaSlicer variants --------------------------------------------------

def test_ideamaker() -> None:
    info = read_sliced(sample("ideamaker_4.2.gcode"))
    assert (info.slicer, info.version) == ("ideaMaker", "4.2.3.6210")
    assert (info.print_time_s, info.filament_mm) == (3616, 1802.7)
    assert info.filament_diameter_mm == 1.75
    assert info.material == "[Raise3D] PETG"
    assert info.weight_g is None  # ideaMaker states none


def test_kisslicer() -> None:
    info = read_sliced(sample("kisslicer_2.0.gcode"))
    assert (info.slicer, info.version) == ("KISSlicer", "2.0.6")
    assert info.print_time_s == round(10.16 * 60)  # "Calculated-during-export": 10.16 minutes
    assert (info.filament_mm, info.filament_cm3) == (305.09, 0.734)
    assert (info.printer, info.material, info.filament_diameter_mm) == (
        "Lab Prusa MK3S", "Generic PETG", 1.75)


def test_prusaslicer_density_zero_two_extruders_and_stealth_mode() -> None:
    info = read_sliced(sample("prusaslicer_density0_two_extruders.gcode"))
    assert info.version == "2.6.1+win64"
    assert info.weight_g is None
    assert info.filament_mm == pytest.approx(1512.56)
    assert info.filament_cm3 == pytest.approx(3.64)
    assert info.print_time_s == 86400 + 2 * 3600 + 3 * 60 + 4  # "1d 2h 3m 4s", normal mode
    notes = " ".join(info.notes)
    assert "0.00 g" in notes and "silent (stealth)" in notes and "1d 3h 0m 0s" in notes
    assert "2 filaments" in notes
    assert info.printer == "Original Prusa i3 MK3S & MK3S+ MMU2S"
    assert info.material == "Prusament PETG"


# --- CHITUBOX ------------------------------------------------------------------------------------

def test_ctb_header_and_print_parameters(tmp_path: Path) -> None:
    info = read_sliced(build.ctb(tmp_path / "part.ctb", print_time_s=5400, volume_ml=12.5,
                                 weight_g=13.75, cost=0.6, machine="ELEGOO MARS 3"))
    assert (info.format, info.print_time_s, info.resin_ml, info.weight_g, info.printer) == (
        "CHITUBOX CTB", 5400, 12.5, 13.75, "ELEGOO MARS 3")


def test_cbddlp_v2_has_no_machine_name_block(tmp_path: Path) -> None:
    info = read_sliced(build.ctb(tmp_path / "part.cbddlp", magic=build.CBDDLP, version=2,
                                 print_time_s=600, volume_ml=3.25, weight_g=3.5))
    assert (info.format, info.resin_ml, info.printer) == ("CHITUBOX CBDDLP", 3.25, None)


def test_ctb_zero_weight_is_unknown(tmp_path: Path) -> None:
    info = read_sliced(build.ctb(tmp_path / "w0.ctb", magic=build.CTB_V4, version=4,
                                 print_time_s=60, volume_ml=2.0, weight_g=0.0))
    assert info.weight_g is None and info.resin_ml == 2.0
    assert any("unknown, not zero" in n for n in info.notes)


def test_encrypted_ctb_is_refused_with_its_reason(tmp_path: Path) -> None:
    path = build.ctb(tmp_path / "new.ctb", magic=build.CTB_ENCRYPTED, print_time_s=60)
    with pytest.raises(SlicedFileError, match="encrypted CTB"):
        read_sliced(path)


# --- Prusa binary G-code -------------------------------------------------------------------------

@pytest.mark.parametrize(("printer", "print_", "slicer"), [(0, 2, 1), (1, 3, 0), (0, 0, 0),
                                                           (3, 1, 2)])
def test_bgcode_metadata_with_each_compression(tmp_path: Path, printer: int, print_: int,
                                               slicer: int) -> None:
    path = build.prusaslicer_bgcode(tmp_path / "part.bgcode", printer_compression=printer,
                                    print_compression=print_, slicer_compression=slicer)
    info = read_sliced(path)
    assert (info.format, info.slicer, info.version) == ("PrusaSlicer binary G-code",
                                                       "PrusaSlicer", "2.7.1")
    assert (info.weight_g, info.filament_mm, info.filament_cm3) == (4.61, 1508.68, 3.63)
    assert info.print_time_s == 32 * 60 + 43
    assert (info.printer, info.material, info.filament_diameter_mm) == (
        "Original Prusa MK4S", "Prusament PETG", 1.75)


def test_bgcode_without_checksums_and_named_gcode(tmp_path: Path) -> None:
    path = build.prusaslicer_bgcode(tmp_path / "part.gcode", crc=False)
    info = read_sliced(path)  # ".gcode" is shared: recognised by its "GCDE" magic
    assert info.format == "PrusaSlicer binary G-code" and info.weight_g == 4.61


def test_bgcode_block_with_unknown_compression_is_skipped_and_said(tmp_path: Path) -> None:
    # A printer metadata block whose compression (7) the specification does not define.
    unknown = struct.pack("<HHII", 3, 7, 40, 10) + struct.pack("<H", 0) + bytes(10) + bytes(4)
    blocks = [build.bgcode_block(0, build.ini({"Producer": "PrusaSlicer 2.8.0"})),
              build.bgcode_block(4, build.ini({"total filament used [g]": "9.5"}), 0),
              unknown, build.bgcode_block(1, b"G28\n", 0)]
    info = read_sliced(build.bgcode(tmp_path / "odd.bgcode", blocks))
    assert info.weight_g == 9.5 and info.version == "2.8.0"
    assert any("compression 7" in n for n in info.notes)


def test_a_heatshrink_block_that_unpacks_to_another_size_is_damaged(tmp_path: Path) -> None:
    payload = build.ini({"total filament used [g]": "9.5"})
    block = bytearray(build.bgcode_block(4, payload, 2))
    block[4:8] = struct.pack("<I", len(payload) + 40)  # declares more than its data unpacks to
    blocks = [build.bgcode_block(0, build.ini({"Producer": "PrusaSlicer 2.8.0"})), bytes(block)]
    with pytest.raises(SlicedFileError, match=r"Heatshrink.*damaged.*declares"):
        read_sliced(build.bgcode(tmp_path / "odd.bgcode", blocks))

def test_bgcode_truncated_or_not_binary(tmp_path: Path) -> None:
    whole = build.prusaslicer_bgcode(tmp_path / "whole.bgcode").read_bytes()
    cut = tmp_path / "cut.bgcode"
    cut.write_bytes(whole[:40])
    with pytest.raises(SlicedFileError, match=r"cut short|ends inside"):
        read_sliced(cut)
    text = tmp_path / "text.bgcode"
    text.write_text("; generated by PrusaSlicer 2.7.1\n")
    with pytest.raises(SlicedFileError, match="GCDE"):
        read_sliced(text)


# --- the registry --------------------------------------------------------------------------------

def test_unknown_gcode_is_refused_with_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "s3d.gcode"
    path.write_text("; G-Code generated by Simplify3D(R) Version 4.1.2\nG28\n")
    with pytest.raises(SlicedFileError, match="Simplify3D"):
        read_sliced(path)


def test_formlabs_form_is_a_sliced_name_but_not_readable(tmp_path: Path) -> None:
    path = tmp_path / "job.form"
    path.write_bytes(b"FORM" + bytes(100))
    with pytest.raises(SlicedFileError, match="PreForm"):
        read_sliced(path)


def test_project_settings_that_are_not_json_are_ignored(tmp_path: Path) -> None:
    plate = {"prediction": 100, "weight": 1.5,
             "filaments": [{"type": "PLA", "used_m": 0.5, "used_g": 1.5}]}
    path = build.bambu_3mf(tmp_path / "x.gcode.3mf", [plate],
                           extra={"Metadata/project_settings.config": "{not json"})
    info = read_sliced(path)
    assert info.weight_g == 1.5 and info.material == "PLA"
    assert json.dumps(info.to_json())  # what the event records is plain JSON
