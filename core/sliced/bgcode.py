"""Prusa binary G-code (.bgcode, PrusaSlicer 2.7 and later), written from the public
specification (prusa3d/libbgcode, doc/specifications.md):

    file header   "GCDE", version u32 (1), checksum type u16 (0 none, 1 CRC32)
    blocks        type u16, compression u16, uncompressed size u32,
                  [compressed size u32 unless compression is 0], parameters, data,
                  [CRC32 of 4 bytes when the file header asks for it]

Block types: 0 file metadata ("Producer=PrusaSlicer 2.7.0"), 3 printer metadata, 5 thumbnail
(6 bytes of parameters: format, width, height), 4 print metadata, 2 slicer metadata (the full
configuration), 1 G-code. Other blocks have 2 bytes of parameters (the encoding: 0 = INI,
"key=value" lines). Metadata comes before the first G-code block, which is where reading stops.

The metadata carries PrusaSlicer's usual keys ("filament used [g]", "estimated printing time
(normal mode)" …), so prusaslicer.totals() reads them. Compression: none, Deflate and Heatshrink
(11/4, 12/4) are decoded; a block with any other compression is skipped with a note.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import heatshrink2

import core.sliced.prusaslicer as prusaslicer
from core.sliced.info import SlicedFileError, SlicedInfo

NAME = "Prusa binary G-code"
EXTENSIONS = (".bgcode", ".gcode")
MAGIC = b"GCDE"

FILE_METADATA, GCODE, SLICER_METADATA, PRINTER_METADATA, PRINT_METADATA, THUMBNAIL = range(6)
METADATA = {FILE_METADATA: "file", SLICER_METADATA: "slicer", PRINTER_METADATA: "printer",
            PRINT_METADATA: "print"}
COMPRESSION = {0: "none", 1: "Deflate", 2: "Heatshrink 11/4", 3: "Heatshrink 12/4"}
MAX_METADATA = 16 * 1024 * 1024  # the full configuration is tens of kilobytes
MAX_BLOCKS = 10_000


def recognise(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _exact(raw: BinaryIO, size: int) -> bytes:
    data = raw.read(size)
    if len(data) != size:
        raise SlicedFileError("This binary G-code ends in the middle of a block: it is cut short.")
    return data


def _inflate(data: bytes, size: int) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib stream, else raw deflate
        try:
            inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(data, size + 1)
        except zlib.error:
            continue
        if len(out) <= size:
            return out
        raise SlicedFileError("A metadata block unpacks to more than it declares.")
    raise SlicedFileError("A Deflate-compressed metadata block is damaged.")


def _unpack(compression: int, data: bytes, size: int) -> bytes | None:
    if compression == 0:
        return data
    if compression == 1:
        return _inflate(data, size)
    if compression in (2, 3):
        # Bounded without a cap of its own: a back-reference (16 bits) yields at most 16 bytes,
        # so the output is at most 8x the block, whose size was checked against MAX_METADATA.
        out = heatshrink2.decompress(data, window_sz2=11 if compression == 2 else 12,
                                     lookahead_sz2=4)
        if len(out) != size:
            raise SlicedFileError(f"A Heatshrink-compressed metadata block is damaged: it unpacks "
                                  f"to {len(out)} bytes, not the {size} it declares.")
        return out
    return None


def _ini(data: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.lstrip("; ").partition("=")
        if sep and key.strip():
            found[key.strip()] = value.strip()
    return found


def read(path: Path) -> SlicedInfo:
    blocks: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    with path.open("rb") as raw:
        header = raw.read(10)
        if len(header) < 10 or not header.startswith(MAGIC):
            raise SlicedFileError("This is not a binary G-code file: it does not start with "
                                  "'GCDE'.")
        version, checksum = struct.unpack("<IH", header[4:])
        if checksum not in (0, 1):
            raise SlicedFileError(f"This binary G-code names an unknown checksum type "
                                  f"({checksum}); it is damaged or from a newer format.")
        if version != 1:
            notes.append(f"Binary G-code version {version}: read as version 1.")
        crc = 4 if checksum == 1 else 0
        for _ in range(MAX_BLOCKS):
            start = raw.read(8)
            if not start:
                break
            if len(start) < 8:
                raise SlicedFileError("This binary G-code ends inside a block header.")
            kind, compression, size = struct.unpack("<HHI", start)
            stored = size if compression == 0 else struct.unpack("<I", _exact(raw, 4))[0]
            if kind == GCODE:
                break  # metadata always comes first; the G-code itself is not needed
            params = 6 if kind == THUMBNAIL else 2
            if kind not in METADATA:
                raw.seek(params + stored + crc, 1)
                continue
            encoding = struct.unpack("<H", _exact(raw, 2))[0]
            if stored > MAX_METADATA or size > MAX_METADATA:
                raise SlicedFileError("A metadata block of this binary G-code claims more than "
                                      "16 MB: it is damaged.")
            data = _exact(raw, stored)
            raw.seek(crc, 1)
            unpacked = _unpack(compression, data, size)
            if unpacked is None:
                notes.append(f"The {METADATA[kind]} metadata block uses compression {compression}, "
                             "which PrintDesk cannot decode; it was skipped.")
                continue
            if encoding != 0:
                notes.append(f"The {METADATA[kind]} metadata block uses encoding {encoding}, not "
                             "INI; it was skipped.")
                continue
            blocks.setdefault(METADATA[kind], {}).update(_ini(unpacked))
    if not blocks:
        raise SlicedFileError("This binary G-code has no metadata PrintDesk can read.")
    producer = blocks.get("file", {}).get("Producer", "")
    slicer, _, version_text = producer.partition(" ")
    merged = {**blocks.get("slicer", {}), **blocks.get("printer", {}), **blocks.get("print", {})}
    fields, total_notes = prusaslicer.totals(merged)
    return SlicedInfo(format=f"{slicer or 'PrusaSlicer'} binary G-code", slicer=slicer or None,
                      version=version_text or None, notes=tuple(notes + total_notes), **fields)
