"""The model check (core.mesh.analysis) on real files from tests/models/, and the 3MF ZIP safety checks."""

from __future__ import annotations

import builtins
import dataclasses
import io
import json
import struct
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import trimesh

from core.config import Config, Printer
from core.domain.errors import PrintDeskError
from core.mesh import analysis as mesh_module
from core.mesh.analysis import ModelRejected, analyse_model
from core.mesh.zipcheck import check_zip
from tests.helpers import model

ALL_PRINTERS = {"Prusa MK4S", "Prusa XL", "Raise3D Pro 2 Plus", "Formlabs Form 3"}
MiB = 1024 * 1024


def analyse(config: Config, name_or_path: str | Path, printer: str = "Prusa MK4S",
            method: str = "Filament") -> dict:
    path = name_or_path if isinstance(name_or_path, Path) else model(name_or_path)
    result = analyse_model(path, path.suffix, config, printer, method)
    assert json.loads(json.dumps(result)) == result  # stored in a JSON column as it is
    return result


def refused(config: Config, path: Path) -> str:
    with pytest.raises(ModelRejected) as caught:
        analyse_model(path, path.suffix, config, "Prusa MK4S", "Filament")
    return str(caught.value)


def box_stl(tmp_path: Path, extents: tuple[float, float, float], name: str = "box.stl") -> Path:
    path = tmp_path / name
    path.write_bytes(trimesh.creation.box(extents=extents).export(file_type="stl"))
    return path


# --- the real-world files -----------------------------------------------------------------------

def test_calibration_cube_fits_everything_and_is_watertight(config):
    result = analyse(config, "20mm-xyz-cube.stl")
    assert result["bbox_mm"] == [20.0, 20.0, 20.0]
    assert set(result["fits"]) == ALL_PRINTERS and result["fits_chosen"]
    assert result["watertight"] and result["volume_exact"] and result["bodies"] == 1
    # The X, Y and Z letters are engraved into the faces, so a little under 8 cm³.
    assert 7.9 < result["volume_cm3"] < 8.0
    assert result["triangles"] == 260 and result["unit_hint"] is None and result["warnings"] == []
    assert result["file_unit"] is None


def test_forty_mm_cube_fits_every_printer(config):
    result = analyse(config, "7_8ths_cube.stl")
    assert result["bbox_mm"] == [40.0, 40.0, 40.0] and set(result["fits"]) == ALL_PRINTERS
    assert result["volume_cm3"] == 56.0  # hollow: 64 cm³ outside, 8 cm³ of cavity


def test_teapot_fits_but_is_not_watertight(config):
    result = analyse(config, "teapot.stl")
    assert result["bbox_mm"] == [63.2, 39.3, 29.5] and set(result["fits"]) == ALL_PRINTERS
    assert not result["watertight"] and not result["volume_exact"]
    assert any("not watertight" in w for w in result["warnings"])
    assert "rough guess" in result["estimate_note"]


def test_busted_part_parses(config):
    result = analyse(config, "busted.STL")
    assert result["triangles"] == 3878 and result["bbox_mm"] == [10.7, 11.4, 9.6]
    assert isinstance(result["warnings"], list)


@pytest.mark.parametrize("name", ["soup.stl", "multibody.stl", "unit_sphere.STL"])
def test_tiny_models_get_an_inch_hint(config, name):
    result = analyse(config, name)
    assert max(result["bbox_mm"]) < 3
    hint = result["unit_hint"]
    assert hint["factor"] == 25.4 and "inches" in hint["message"]
    assert max(hint["scaled_mm"]) >= 10 and hint["message"] in result["warnings"]


def test_multibody_counts_its_bodies(config):
    assert analyse(config, "multibody.stl")["bodies"] == 2


def test_octagonal_pocket_was_exported_in_metres(config):
    hint = analyse(config, "octagonal_pocket.stl")["unit_hint"]
    assert hint["factor"] == 1000 and "metres" in hint["message"]
    assert hint["scaled_mm"][0] == pytest.approx(230, abs=2) and "228.6" in hint["message"]


def test_large_block_fits_nothing_but_is_accepted_with_a_warning(config):
    result = analyse(config, "large_block.STL")
    assert result["bbox_mm"] == [4572.0, 304.8, 2438.4]
    assert result["fits"] == [] and not result["fits_chosen"]
    assert any("fits none of the lab's printers" in w for w in result["warnings"])
    assert result["unit_hint"]["factor"] == pytest.approx(1 / 25.4)
    assert result["unit_hint"]["scaled_mm"] == [180.0, 12.0, 96.0]


def test_counter_fits_only_the_two_big_filament_printers(config):
    result = analyse(config, "counterX.3MF")
    assert result["bbox_mm"] == [304.8, 304.4, 12.7]
    assert set(result["fits"]) == {"Prusa XL", "Raise3D Pro 2 Plus"} and not result["fits_chosen"]
    assert any("does not fit the Prusa MK4S" in w and "Prusa XL" in w for w in result["warnings"])
    on_xl = analyse(config, "counterX.3MF", printer="Prusa XL")
    assert on_xl["fits_chosen"] and not any("fit" in w for w in on_xl["warnings"])


def test_pyramids_fit_only_the_prusa_xl(config):
    result = analyse(config, "pyramids.3mf")
    assert result["fits"] == ["Prusa XL"] and result["bbox_mm"] == [346.7, 163.1, 25.0]
    assert result["bodies"] > 1


def test_two_objects_with_the_same_name_are_both_read(config):
    result = analyse(config, "cube_and_sphere_same_name.3mf")
    assert result["bodies"] == 2 and result["bbox_mm"] == [92.8, 40.0, 40.0]


def test_featuretype_is_not_watertight_and_its_inch_unit_is_applied(config):
    result = analyse(config, "featuretype.3MF")
    assert not result["watertight"] and result["file_unit"] == "inch"
    # The file's numbers are 5 × 2.5 × 1.375; its model declares unit="inch", which the 3MF
    # standard says to apply (as lib3mf and most slicers do).
    assert result["bbox_mm"] == [127.0, 63.5, 34.9]


def test_open_surface_3mf_is_not_watertight(config):
    result = analyse(config, "P_XPM_0331_01.3mf")
    assert not result["watertight"] and result["triangles"] > 0


@pytest.mark.parametrize("name", ["rabbit.obj", "box.obj", "two_objects.obj", "negative_indices.obj"])
def test_obj_variants_parse(config, name):
    assert analyse(config, name)["triangles"] > 0


def test_obj_parts_are_joined_into_one_closed_mesh(config):
    result = analyse(config, "box.obj")  # one cube split in two by its materials
    assert result["triangles"] == 12 and result["watertight"] and result["bodies"] == 1


def test_single_flat_face_is_refused(config):
    assert "no thickness" in refused(config, model("notenoughindices.obj"))


@pytest.mark.parametrize("name", ["empty.stl", "emptyIO_stl_empty_bin.stl", "empty.obj"])
def test_empty_files_are_refused(config, name):
    assert "not a printable model" in refused(config, model(name))


def test_model_rejected_is_a_printdesk_error():
    assert issubclass(ModelRejected, PrintDeskError)


# --- garbage and hostile files ------------------------------------------------------------------

@pytest.mark.parametrize("content", [
    b"this is not an STL file at all\njust some text\n" * 20,
    b"\x00" * 80 + (1000).to_bytes(4, "little") + b"\x01" * 100,  # binary header, missing data
])
def test_garbage_stl_is_refused(config, tmp_path, content):
    path = tmp_path / "fake.stl"
    path.write_bytes(content)
    refused(config, path)


def test_stl_with_invalid_coordinates_is_refused(config, tmp_path):
    path = tmp_path / "nan.stl"
    facets = [(0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0), (0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, float("nan"))]
    path.write_bytes(bytes(80) + struct.pack("<I", 2)
                     + b"".join(struct.pack("<12fH", *facet, 0) for facet in facets))
    assert "invalid" in refused(config, path)


def test_non_zip_3mf_is_refused(config, tmp_path):
    path = tmp_path / "fake.3mf"
    path.write_text("solid cube\nendsolid cube\n")
    assert "not a valid 3MF file" in refused(config, path)


def test_unknown_extension_is_refused(config, tmp_path):
    path = tmp_path / "model.step"
    path.write_text("ISO-10303-21;")
    assert "not accepted" in refused(config, path)


def test_obj_mtllib_never_opens_another_file(config, tmp_path, monkeypatch):
    secret = tmp_path / "secret.mtl"
    secret.write_text("newmtl stolen\nKd 1 0 0\nmap_Kd secret.png\n")
    folder = tmp_path / "a" / "b" / "c"
    folder.mkdir(parents=True)
    (folder / "near.mtl").write_text(secret.read_text())  # trimesh.load itself would read this one
    cube = model("two_objects.obj").read_text().split("o tetra")[0]
    paths = []
    for i, target in enumerate(["../../../secret.mtl", "../../../../../../../../etc/passwd",
                                "/etc/passwd", str(secret), "near.mtl"]):
        path = folder / f"model{i}.obj"
        path.write_text(f"mtllib {target}\n{cube}")
        paths.append(path)
    opened: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    for path in paths:
        assert analyse(config, path)["triangles"] == 12
    assert opened and set(opened) <= {str(p) for p in paths}


# --- 3MF ZIP safety -----------------------------------------------------------------------------

def write_zip(path: Path, size: int, level: int = 1, zip64: bool = True) -> Path:
    """A ZIP with one entry of `size` zero bytes, written in chunks (never whole in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        with archive.open("3D/3dmodel.model", "w", force_zip64=zip64) as entry:
            for _ in range(size // MiB):
                entry.write(bytes(MiB))
    return path


def timed_refusal(path: Path) -> tuple[str, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ModelRejected) as caught:
            check_zip(path)
        return str(caught.value), time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_zip_bomb_is_refused_fast_without_unpacking(config, tmp_path):
    bomb = write_zip(tmp_path / "bomb.3mf", 1024 * MiB)
    assert bomb.stat().st_size < 8 * MiB
    message, seconds, peak = timed_refusal(bomb)
    assert "512 MB" in message and seconds < 0.5 and peak < 8 * MiB
    refused(config, bomb)


def test_highly_compressed_entry_is_refused(tmp_path):
    message, seconds, peak = timed_refusal(write_zip(tmp_path / "ratio.3mf", 64 * MiB, level=9))
    assert "compressed" in message and seconds < 0.5 and peak < 8 * MiB


def test_entry_that_unpacks_to_more_than_it_declares_is_refused(tmp_path):
    path = write_zip(tmp_path / "liar.3mf", 32 * MiB, level=9, zip64=False)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        declared = archive.infolist()[0].compress_size * 50  # a plausible ratio
    # Lie about the uncompressed size in both the local header and the central directory.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at : at + 4] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].file_size == declared
    message, seconds, peak = timed_refusal(path)
    assert "more data than it declares" in message and seconds < 0.5 and peak < 8 * MiB


def test_too_many_entries_are_refused(config, tmp_path):
    path = tmp_path / "many.3mf"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(5000):
            archive.writestr(f"Metadata/{i}.txt", "x")
    assert "5,000 parts" in refused(config, path)


@pytest.mark.parametrize("name", ["counterX.3MF", "pyramids.3mf", "cube_and_sphere_same_name.3mf",
                                  "featuretype.3MF", "P_XPM_0331_01.3mf"])
def test_real_3mf_files_pass_the_zip_check(name):
    check_zip(model(name))


def make_3mf(path: Path, model_xml: str, extra: dict[str, str] | None = None) -> Path:
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" '
            'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_rels/.rels", rels)
        archive.writestr("3D/3dmodel.model", model_xml)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return path


CORE = 'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"'
PROD = 'xmlns:p="http://schemas.microsoft.com/3dmanufacturing/production/2015/06"'
TETRA = ('<mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/>'
         '<vertex x="0" y="10" z="0"/><vertex x="0" y="0" z="10"/></vertices><triangles>'
         '<triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/>'
         '<triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/></triangles></mesh>')
BAD_TETRA = TETRA.replace('v3="3"', 'v3="99"')


def test_3mf_components_in_another_part_are_placed(config, tmp_path):
    root = (f'<model {CORE} {PROD} unit="centimeter"><resources><object id="1"><components>'
            '<component objectid="7" p:path="/3D/Objects/tetra.model" transform="1 0 0 0 1 0 0 0 1 0 0 0"/>'
            '<component objectid="7" p:path="/3D/Objects/tetra.model" transform="2 0 0 0 1 0 0 0 1 20 0 0"/>'
            '</components></object></resources><build><item objectid="1"/></build></model>')
    other = f'<model {CORE}><resources><object id="7">{TETRA}</object></resources><build/></model>'
    path = make_3mf(tmp_path / "parts.3mf", root, {"3D/Objects/tetra.model": other})
    result = analyse(config, path)
    assert result["bodies"] == 2 and result["triangles"] == 8 and result["file_unit"] == "centimeter"
    assert result["bbox_mm"] == [400.0, 100.0, 100.0]  # 20 + 2 × 10 cm along X


@pytest.mark.parametrize("model_xml, expected", [
    ('<?xml version="1.0"?><!DOCTYPE model [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     f'<model {CORE}><resources/><build/></model>', "document type"),
    (f'<model {CORE}><resources><object id="1"><components><component objectid="1"/></components>'
     '</object></resources><build><item objectid="1"/></build></model>', "too much"),
    (f'<model {CORE}><resources><object id="1">{TETRA}</object></resources>'
     '<build><item objectid="2"/></build></model>', "object '2'"),
    (f'<model {CORE}><resources><object id="1">{BAD_TETRA}</object>'
     '</resources><build><item objectid="1"/></build></model>', "corner that does not exist"),
    (f'<model {CORE}><resources><object id="1"><mesh>', "damaged"),
])
def test_hostile_or_broken_3mf_is_refused(config, tmp_path, model_xml, expected):
    assert expected in refused(config, make_3mf(tmp_path / "bad.3mf", model_xml))


# --- fit, hints and the estimate ----------------------------------------------------------------

def test_fit_allows_turning_about_z_but_not_laying_down(config, tmp_path):
    turned = analyse(config, box_stl(tmp_path, (200, 240, 10)))
    assert turned["fits_chosen"]  # 240 along Y fits the MK4S's 250 mm X once turned
    tall = analyse(config, box_stl(tmp_path, (10, 10, 400), "tall.stl"))
    assert tall["fits"] == ["Raise3D Pro 2 Plus"]


def test_huge_model_in_metres_gets_a_divide_hint(config, tmp_path):
    hint = analyse(config, box_stl(tmp_path, (20000, 20000, 20000)))["unit_hint"]
    assert hint["factor"] == pytest.approx(1 / 1000) and hint["scaled_mm"] == [20.0, 20.0, 20.0]


def test_small_model_is_warned_without_a_unit_hint(config):
    result = analyse(config, "rabbit.obj")
    assert result["unit_hint"] is None and any("very small" in w for w in result["warnings"])


def test_body_count_is_skipped_for_big_meshes(config, monkeypatch):
    monkeypatch.setattr(mesh_module, "BODY_COUNT_LIMIT", 100)
    assert analyse(config, "teapot.stl")["bodies"] is None


def test_estimate_for_a_plain_20mm_cube(config, tmp_path):
    cube = box_stl(tmp_path, (20, 20, 20))
    filament = analyse(config, cube)
    assert filament["volume_cm3"] == 8.0
    assert filament["estimate"] == {"weight_g": [2.98, 9.92], "cost": ["3.00", "3.00"]}
    assert "print time" in filament["estimate_note"]
    resin = analyse(config, cube, printer="Formlabs Form 3", method="Resin")
    assert resin["estimate"] == {"weight_g": [9.2, 11.0], "cost": ["3.00", "3.00"]}


def test_estimate_cost_above_the_minimum_ignores_hourly_rates(config):
    assert analyse(config, "7_8ths_cube.stl")["estimate"]["cost"] == ["3.00", "6.94"]
    hourly = dataclasses.replace(config, printers=tuple(
        dataclasses.replace(p, per_hour=Decimal("5.00")) for p in config.printers))
    assert analyse(hourly, "7_8ths_cube.stl")["estimate"]["cost"] == ["3.00", "6.94"]


def test_unknown_printer_still_gets_an_analysis(config):
    result = analyse(config, "teapot.stl", printer="Nonexistent 9000")
    assert not result["fits_chosen"] and result["estimate"]["cost"] is None
    assert result["estimate"]["weight_g"][0] > 0


def test_custom_printer_list_is_used(config, tmp_path):
    small = dataclasses.replace(config, printers=(Printer("Tiny", "Filament", (50.0, 50.0, 50.0)),))
    result = analyse(small, box_stl(tmp_path, (60, 10, 10)), printer="Tiny")
    assert result["fits"] == [] and "Tiny" in result["warnings"][0]


def test_the_labs_3mf_limits_are_honoured(tmp_path) -> None:
    """[limits] max_3mf_entries and max_3mf_uncompressed_mb reach the model check."""
    from core.config import load_config
    from core.mesh.analysis import ModelRejected, analyse_model

    source = model("pyramids.3mf")
    with zipfile.ZipFile(source) as archive:
        entries = len(archive.infolist())
        unpacked = sum(i.file_size for i in archive.infolist())
    default = load_config(data_dir=tmp_path, env={})
    assert analyse_model(source, ".3mf", default, "Prusa XL", "Filament")["triangles"] > 0
    few = load_config(data_dir=tmp_path, env={"PRINTDESK_LIMITS_MAX_3MF_ENTRIES":
                                              str(entries - 1)})
    with pytest.raises(ModelRejected, match=f"at most {entries - 1} are allowed"):
        analyse_model(source, ".3mf", few, "Prusa XL", "Filament")
    assert unpacked < 1024 * 1024  # so a 1 MB cap is not what refuses it below
    big = model_of_size_3mf(tmp_path, 1.5)
    small = load_config(data_dir=tmp_path, env={"PRINTDESK_LIMITS_MAX_3MF_UNCOMPRESSED_MB": "1"})
    with pytest.raises(ModelRejected, match="more than the 1 MB allowed"):
        analyse_model(big, ".3mf", small, "Prusa XL", "Filament")


def model_of_size_3mf(folder, megabytes: float):
    from tests.realsize import model_of_size

    return model_of_size(folder, "3mf", megabytes)


def test_a_tiny_model_never_shows_zero_grams(config, tmp_path):
    """A 1 mm test cube weighs milligrams: the estimate keeps three significant digits instead of
    rounding to "0 g", and the cost is the minimum charge."""
    from core.mesh.analysis import estimate_text

    tiny = analyse(config, box_stl(tmp_path, (1, 1, 1)))
    low, high = tiny["estimate"]["weight_g"]
    assert 0 < low < high < 0.01
    assert tiny["estimate"]["cost"] == ["3.00", "3.00"]
    text = estimate_text(tiny)
    assert text.startswith("0.00") and not text.startswith("0–") and "$3.00" in text
