"""Builders of the sample sliced files no Debian package writes and that are binary or ZIP
packages (so they are made by the tests rather than stored). Each builder follows the format's
public description, named in its docstring; the numbers are the caller's, written into the file,
so a test states what the file says and checks that the reader finds exactly that.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import heatshrink2

SAMPLES = Path(__file__).parent

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats'
                 '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                 'vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentTy'
                 'pe="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>')


def model_xml(application: str | None) -> str:
    meta = f' <metadata name="Application">{application}</metadata>\n' if application else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xml:lang="en-US" '
            'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">\n'
            f'{meta} <resources/>\n <build/>\n</model>\n')


def slice_info(plates: list[dict], version: str = "01.09.07.52") -> str:
    """Metadata/slice_info.config as Bambu Studio writes it (shape: the real files quoted in
    public repositories, e.g. iceblu3710/bambu_gcode_3mf_template, and Bambu Studio's
    bbs_3mf.cpp key names): per plate "prediction" (s) and "weight" (g), and one <filament> per
    filament used with used_m / used_g."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<config>", "  <header>",
           '    <header_item key="X-BBL-Client-Type" value="slicer"/>',
           f'    <header_item key="X-BBL-Client-Version" value="{version}"/>', "  </header>"]
    for index, plate in enumerate(plates, 1):
        out.append("  <plate>")
        out.append(f'    <metadata key="index" value="{index}"/>')
        for key in ("printer_model_id", "nozzle_diameters", "prediction", "weight"):
            if key in plate:
                out.append(f'    <metadata key="{key}" value="{plate[key]}"/>')
        for n, filament in enumerate(plate.get("filaments", []), 1):
            out.append(f'    <filament id="{n}" type="{filament["type"]}" color="#FFFFFF" '
                       f'used_m="{filament["used_m"]}" used_g="{filament["used_g"]}"/>')
        out.append("  </plate>")
    out.append("</config>")
    return "\n".join(out) + "\n"


def bambu_3mf(path: Path, plates: list[dict], *, application: str = "BambuStudio-01.09.07.52",
              settings: dict | None = None, gcode: bytes | None = None,
              extra: dict[str, bytes | str] | None = None) -> Path:
    """A Bambu Studio / OrcaSlicer package: a sliced one (.gcode.3mf) has Metadata/plate_N.gcode
    for each plate with results; a project saved without slicing has plates without them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("3D/3dmodel.model", model_xml(application))
        archive.writestr("Metadata/slice_info.config", slice_info(plates))
        if settings is not None:
            archive.writestr("Metadata/project_settings.config", json.dumps(settings, indent=4))
        for index, plate in enumerate(plates, 1):
            if plate.get("prediction") or plate.get("weight"):
                archive.writestr(f"Metadata/plate_{index}.gcode",
                                 gcode or (SAMPLES / "bambu_studio_1.9_density0.gcode").read_bytes())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def ufp(path: Path, gcode: bytes) -> Path:
    """Cura's Ultimaker Format Package: an OPC ZIP with the G-code at /3D/model.gcode (shape:
    Cura's UFPWriter plugin and Moonraker's UFP_MODEL_PATH = "/3D/model.gcode")."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.replace("model\"", "gcode\""))
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/'
                         'model.gcode" Id="rel0" Type="http://schemas.ultimaker.org/package/2018/'
                         'relationships/gcode"/></Relationships>')
        archive.writestr("3D/model.gcode", gcode)
        archive.writestr("Metadata/thumbnail.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    return path


CTB = 0x12FD0086
CBDDLP = 0x12FD0019
CTB_V4 = 0x12FD0106
CTB_ENCRYPTED = 0x12FD0107


def ctb(path: Path, *, magic: int = CTB, version: int = 3, print_time_s: int = 0,
        volume_ml: float = 0.0, weight_g: float = 0.0, cost: float = 0.0,
        machine: str = "", layers: int = 200, height_mm: float = 10.0) -> Path:
    """A CHITUBOX file as UVtools documents ChituboxFile (header of 112 bytes; print parameters
    with volume, weight and cost at 20, 24 and 28; slicer info with the machine name's offset and
    size at 28 and 32). Previews and layers are left out: the header fields say where they are,
    and no reader of the totals follows them."""
    params_offset = 112
    params = struct.pack("<5f3f2f5I", 5.0, 60.0, 5.0, 60.0, 150.0, volume_ml, weight_g, cost,
                         1.0, 1.0, 4, 0, 0, 0, 0)
    slicer_offset = params_offset + len(params)
    name = machine.encode()
    name_offset = slicer_offset + 76
    slicer = struct.pack("<7f2I", 5.0, 60.0, 5.0, 60.0, 5.0, 150.0, 0.0, name_offset, len(name))
    slicer += bytes(76 - len(slicer))
    header = struct.pack("<II3f2I5f11I", magic, version, 120.96, 68.04, 150.0, 0, 0, height_mm,
                         0.05, 2.5, 30.0, 1.0, 4, 2560, 1440, 0, 0, layers, 0, print_time_s, 0,
                         params_offset, len(params))
    header += struct.pack("<IHHIII", 4, 255, 255, 0, slicer_offset if version >= 3 else 0,
                          len(slicer) if version >= 3 else 0)
    assert len(header) == 112
    path.write_bytes(header + params + (slicer + name if version >= 3 else b""))
    return path


def bgcode_block(kind: int, payload: bytes, compression: int = 0, *, params: bytes | None = None,
                 crc: bool = True) -> bytes:
    """One block as libbgcode's specification lays it out: type, compression, uncompressed size,
    compressed size (unless uncompressed), parameters (encoding, or the thumbnail's format and
    size), data, and a CRC32 when the file header asks for one."""
    if compression == 1:
        data = zlib.compress(payload)
    elif compression in (2, 3):
        data = heatshrink2.compress(payload, window_sz2=11 if compression == 2 else 12,
                                    lookahead_sz2=4)
    else:
        data = payload
    head = struct.pack("<HHI", kind, compression, len(payload))
    if compression:
        head += struct.pack("<I", len(data))
    params = struct.pack("<H", 0) if params is None else params
    body = head + params + data
    return body + (struct.pack("<I", zlib.crc32(body)) if crc else b"")


def ini(values: dict[str, str]) -> bytes:
    return "".join(f"{key}={value}\n" for key, value in values.items()).encode()


def bgcode(path: Path, blocks: list[bytes], *, crc: bool = True, version: int = 1) -> Path:
    path.write_bytes(b"GCDE" + struct.pack("<IH", version, 1 if crc else 0) + b"".join(blocks))
    return path


def prusaslicer_bgcode(path: Path, *, printer_compression: int = 0, print_compression: int = 2,
                       slicer_compression: int = 1, crc: bool = True) -> Path:
    """A binary G-code with the blocks PrusaSlicer 2.7 writes, in its order, holding the keys its
    GCode.cpp puts there (printer metadata: printer_model, filament_type, … and the totals; print
    metadata: the totals; slicer metadata: the whole configuration)."""
    totals = {"filament used [mm]": "1508.68", "filament used [cm3]": "3.63",
              "filament used [g]": "4.61", "filament cost": "0.11",
              "total filament used [g]": "4.61", "total filament cost": "0.11",
              "estimated printing time (normal mode)": "32m 43s",
              "estimated first layer printing time (normal mode)": "1m 2s"}
    printer = {"printer_model": "MK4S", "filament_type": "PETG", "nozzle_diameter": "0.4",
               "layer_height": "0.1", "fill_density": "40%", **totals}
    config = {"filament_diameter": "1.75", "filament_settings_id": '"Prusament PETG"',
              "filament_type": "PETG", "printer_settings_id": '"Original Prusa MK4S"',
              "layer_height": "0.1"}
    blocks = [
        bgcode_block(0, ini({"Producer": "PrusaSlicer 2.7.1"}), crc=crc),
        bgcode_block(3, ini(printer), printer_compression, crc=crc),
        bgcode_block(5, b"\x89PNG\r\n\x1a\n" + bytes(300), params=struct.pack("<HHH", 0, 16, 16),
                     crc=crc),
        bgcode_block(4, ini(totals), print_compression, crc=crc),
        bgcode_block(2, ini(config), slicer_compression, crc=crc),
        bgcode_block(1, b"G28\nG1 X10 Y10 E1\n", 1, crc=crc),
    ]
    return bgcode(path, blocks, crc=crc)
