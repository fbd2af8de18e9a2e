"""Sliced files that are ZIP packages (.sl1, .3mf, .gcode.3mf, .ufp), opened safely.

The package is first checked with core.mesh.zipcheck (entry count before the directory is
parsed, declared and real unpacked sizes, compression ratio), with limits for sliced files: an
SLA archive holds one picture per layer, thousands of entries and hundreds of megabytes. Then
entries are only ever read in bounded amounts, so even a lying entry costs little.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.mesh.zipcheck import ModelRejected, check_zip
from core.sliced.info import SlicedFileError
from core.sliced.text import Text, stream_text

MiB = 1024 * 1024
MAX_ENTRIES = 100_000
MAX_TOTAL = 4096 * MiB
SMALL_ENTRY = 8 * MiB  # configs and XML: more than any slicer writes


@contextmanager
def open_package(path: Path, kind: str) -> Iterator[zipfile.ZipFile]:
    """The checked ZIP, or SlicedFileError saying plainly why not (`kind`: "SL1", "3MF"…)."""
    if not zipfile.is_zipfile(path):
        raise SlicedFileError(f"This is not a {kind} file: a {kind} file is a ZIP package, and "
                              "this one is not (damaged, or only named like one).")
    try:
        check_zip(path, max_entries=MAX_ENTRIES, max_total_bytes=MAX_TOTAL)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError) as exc:
        # zipfile's own refusals (an unknown ZIP version or method) that zipcheck lets through
        raise SlicedFileError(f"This {kind} package is damaged or uses a ZIP feature no slicer "
                              f"writes ({exc}).") from exc
    except ModelRejected as exc:
        raise SlicedFileError(f"This {kind} package was refused: {_reason(str(exc))}.") from exc
    try:
        with zipfile.ZipFile(path) as archive:
            yield archive
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise SlicedFileError(f"This {kind} package is damaged ({exc}).") from exc


def _reason(message: str) -> str:
    """zipcheck words its refusals for a student's 3MF upload; keep only the reason."""
    first = message.split(". ")[0].rstrip(".")
    damaged = re.match(r"This is not a valid 3MF file \((.*)\)$", first)
    if damaged:
        return f"it is damaged ({damaged.group(1)})"
    return re.sub(r"^This 3MF file (is refused: )?", "", first).replace("a real model",
                                                                        "a real sliced file")


def find(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    """The entry named `name`, ignoring case and a leading slash (UFP names "/3D/model.gcode")."""
    wanted = name.lstrip("/").casefold()
    return next((i for i in archive.infolist() if i.filename.lstrip("/").casefold() == wanted),
                None)


def read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = SMALL_ENTRY
               ) -> bytes:
    """A small entry's bytes; SlicedFileError if it is larger than any real one."""
    if info.file_size > limit:
        raise SlicedFileError(f"{info.filename} is {info.file_size / MiB:,.0f} MB: far more than "
                              "a slicer writes there.")
    with archive.open(info) as entry:
        data = entry.read(limit + 1)
    if len(data) > limit:
        raise SlicedFileError(f"{info.filename} unpacks to more than it declares.")
    return data


def read_text_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Text:
    """Head and tail of a large text entry (a G-code), streamed once."""
    with archive.open(info) as entry:
        return stream_text(entry)


def xml_bytes(data: bytes) -> bytes:
    """Refuse XML with a DOCTYPE: no slicer writes one, and entity tricks need one."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SlicedFileError("An XML part of this package declares a DOCTYPE, which no slicer "
                              "writes; it is not read.")
    return data
