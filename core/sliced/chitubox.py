"""CHITUBOX's resin formats: .ctb, and the older .cbddlp / .photon of the same layout, written
from the public format descriptions (UVtools' documentation of ChituboxFile, and the Kaitai
description derived from it). Little-endian throughout.

    header (112 bytes)  0 magic u32 (0x12FD0019 CBDDLP/Photon, 0x12FD0086 CTB, 0x12FD0106 CTB v4)
                        4 version u32; 8,12,16 bed size x/y/z f32 (mm); 28 total height f32;
                        32 layer height f32; 60 large preview offset; 64 layer table offset;
                        68 layer count u32; 76 print time u32 (s); 84 print parameters offset;
                        88 print parameters size; 104 slicer info offset; 108 slicer info size
    print parameters    20 volume f32 (ml); 24 weight f32 (g); 28 cost f32
    slicer info         28 machine name offset u32; 32 machine name size u32

Layer images are encrypted in CTB version 3 and later, but these fields are not. The encrypted
CTB that CHITUBOX 1.9 and later write (magic 0x12FD0107) keeps its settings encrypted with a key
PrintDesk does not have: it is recognised and refused with that reason.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import BinaryIO

from core.sliced.info import SlicedFileError, SlicedInfo
from core.sliced.text import positive

NAME = "CHITUBOX resin file"
EXTENSIONS = (".ctb", ".cbddlp", ".photon")

MAGICS = {0x12FD0019: "CBDDLP", 0x12FD0086: "CTB", 0x12FD0106: "CTB v4"}
ENCRYPTED = 0x12FD0107
HEADER = struct.Struct("<II3f2I5f11I")  # up to the print parameters' offset and size
PRINT_PARAMS = struct.Struct("<5f3f")  # lift heights/speeds, then volume, weight, cost


def recognise(head: bytes) -> bool:
    return len(head) >= 4 and struct.unpack_from("<I", head)[0] in (*MAGICS, ENCRYPTED)


def read(path: Path) -> SlicedInfo:
    size = path.stat().st_size
    with path.open("rb") as stream:
        header = stream.read(112)
        if len(header) < 4:
            raise SlicedFileError("This file is too short to be a CHITUBOX file.")
        magic = struct.unpack_from("<I", header)[0]
        if magic == ENCRYPTED:
            raise SlicedFileError("This is an encrypted CTB (CHITUBOX 1.9 or later): its print "
                                  "time and resin volume are encrypted, and PrintDesk cannot read "
                                  "them. Save it as an older CTB version, or enter them by hand.")
        if magic not in MAGICS or len(header) < 112:
            raise SlicedFileError("This is not a CHITUBOX file: its first bytes are not a CTB, "
                                  "CBDDLP or Photon header.")
        (_magic, version, _bx, _by, _bz, _u1, _u2, height, _layer_height, _exp, _bexp, _off,
         _bottom, _rx, _ry, _preview, _layers, layer_count, _small, print_time, _mirror,
         params_offset, params_size) = HEADER.unpack_from(header)
        slicer_offset, slicer_size = struct.unpack_from("<II", header, 104)
        # Only the small structures the header points at are read, each bounded.
        params = _read_at(stream, size, params_offset, min(params_size, 256))
        slicer_info = _read_at(stream, size, slicer_offset, min(slicer_size, 256)) \
            if version >= 3 else None
        machine = None
        if slicer_info is not None and len(slicer_info) >= 36:
            name_offset, name_size = struct.unpack_from("<II", slicer_info, 28)
            name = _read_at(stream, size, name_offset, min(name_size, 256))
            if name:
                machine = name.split(b"\0", 1)[0].decode("utf-8", "replace").strip() or None
    notes: list[str] = []
    volume = weight = None
    if params is not None and len(params) >= PRINT_PARAMS.size:
        values = PRINT_PARAMS.unpack_from(params)
        volume, weight = _sane(values[5], 100_000), _sane(values[6], 100_000)
        if volume and weight is None:
            notes.append("The file states 0 g of resin: its resin density is not set, so the "
                         "weight is unknown, not zero.")
    else:
        notes.append("This file has no print parameters block (an early format version): no "
                      "resin volume or weight.")
    time_s = print_time if 0 < print_time < 10 * 365 * 86400 else None
    if layer_count == 0 or not math.isfinite(height) or height <= 0:
        notes.append("The header states no layers: the file may be damaged.")
    return SlicedInfo(format=f"CHITUBOX {MAGICS[magic]}", slicer="CHITUBOX", version=None,
                      weight_g=weight, resin_ml=volume, print_time_s=time_s, printer=machine,
                      notes=tuple(notes))


def _read_at(stream: BinaryIO, size: int, offset: int, length: int) -> bytes | None:
    if offset <= 0 or length <= 0 or offset + length > size:
        return None
    stream.seek(offset)
    data = stream.read(length)
    return data if len(data) == length else None


def _sane(value: float, ceiling: float) -> float | None:
    return positive(value) if math.isfinite(value) and value < ceiling else None
