"""Safety checks on a ZIP container (a .3mf file is a ZIP) before anything parses it.

A 3MF upload is untrusted: a few kilobytes of ZIP can declare or unpack to gigabytes (a "ZIP bomb"),
or hold millions of entries. `check_zip` refuses such a file using only the ZIP directories and a
streaming decompression that counts bytes and throws them away, so memory stays small whatever the
file claims. Only STORED and DEFLATED entries are accepted: those are the two the 3MF standard allows.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from core.domain.errors import PrintDeskError

MiB = 1024 * 1024
_READ = 64 * 1024  # compressed bytes read per step
_OUT = MiB  # most decompressed bytes produced per step: bounds memory, whatever the ratio
# A tiny entry of repeated bytes legitimately compresses 1000:1, and unpacking a few hundred KiB is
# harmless, so the ratio rule only applies to entries that declare more than this.
_RATIO_FLOOR = MiB
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_LOCAL_HEADER = b"PK\x03\x04"


class ModelRejected(PrintDeskError):
    """An uploaded model was refused; the message tells the student why, in plain words."""


def _invalid(why: str) -> ModelRejected:
    return ModelRejected(f"This is not a valid 3MF file ({why}). Export it again from your "
                         "modelling software, or send an STL instead.")


def check_zip(
    path: Path,
    *,
    max_entries: int = 1000,
    max_total_bytes: int = 512 * MiB,
    max_ratio: int = 200,
) -> None:
    """Return quietly if the ZIP at `path` is safe to open; raise ModelRejected otherwise."""
    with path.open("rb") as raw:
        count = _declared_entry_count(raw)
        if count is None:
            raise _invalid("it is not a ZIP package")
        # Checked before zipfile reads the central directory, which costs memory per entry.
        if count > max_entries:
            raise _too_many(count, max_entries)
        try:
            with zipfile.ZipFile(raw) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise _invalid("its ZIP directory is damaged") from exc
        if len(infos) > max_entries:
            raise _too_many(len(infos), max_entries)
        declared = sum(info.file_size for info in infos)
        if declared > max_total_bytes:
            raise ModelRejected(
                f"This 3MF file would unpack to {declared / MiB:,.0f} MB, more than the "
                f"{max_total_bytes / MiB:,.0f} MB allowed. Simplify the model or send an STL."
            )
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > max_ratio:
                raise ModelRejected(
                    f"This 3MF file is refused: its part {info.filename!r} is compressed "
                    f"{ratio:,.0f} times, far more than a real model can be. Export it again."
                )
        # The directories can lie, so measure what every entry really unpacks to.
        unpacked = 0
        for info in infos:
            budget = min(info.file_size, max_total_bytes - unpacked)
            unpacked += _measure(raw, info, budget, max_total_bytes)


def _too_many(count: int, limit: int) -> ModelRejected:
    return ModelRejected(f"This 3MF file has {count:,} parts inside; at most {limit:,} are allowed. "
                         "Export it again, or send an STL.")


def _declared_entry_count(raw: BinaryIO) -> int | None:
    """Entry count from the end-of-central-directory record (ZIP64 aware); None if there is none."""
    size = raw.seek(0, 2)
    tail_size = min(size, 22 + 0xFFFF)  # the record plus the longest possible ZIP comment
    raw.seek(size - tail_size)
    tail = raw.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    if count == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
        raw.seek(int.from_bytes(tail[at - 12 : at - 4], "little"))
        record = raw.read(56)
        if len(record) == 56 and record[:4] == _ZIP64_EOCD:
            count = int.from_bytes(record[32:40], "little")
    return count


def _measure(raw: BinaryIO, info: zipfile.ZipInfo, budget: int, cap: int) -> int:
    """Decompress one entry in bounded steps, discarding the output; return its real size.

    Refuses as soon as more than `budget` bytes come out (the declared size, or what is left of
    the total cap), so a lying entry costs at most one extra step of work.
    """
    if info.flag_bits & 0x1:
        raise _invalid(f"its part {info.filename!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _invalid(f"its part {info.filename!r} uses a compression 3MF does not allow")
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != _LOCAL_HEADER:
        raise _invalid("a part's header is missing")
    name_len = int.from_bytes(header[26:28], "little")
    extra_len = int.from_bytes(header[28:30], "little")
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    if info.compress_type == zipfile.ZIP_STORED:
        real = info.compress_size
    else:
        real = _inflate_size(raw, info, budget)
    if real > budget:
        if budget < info.file_size:  # the total cap was hit, not this entry's own size
            raise ModelRejected(f"This 3MF file unpacks to more than {cap / MiB:,.0f} MB; "
                                "simplify the model or send an STL.")
        raise _invalid(f"its part {info.filename!r} unpacks to more data than it declares")
    if real != info.file_size:
        raise _invalid(f"its part {info.filename!r} is truncated or damaged")
    return real


def _inflate_size(raw: BinaryIO, info: zipfile.ZipInfo, budget: int) -> int:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as stored in ZIP entries
    left = info.compress_size
    produced = 0
    try:
        while left > 0 and not inflater.eof:
            chunk = raw.read(min(_READ, left))
            if not chunk:
                break  # the file ends early; reported as a size mismatch by the caller
            left -= len(chunk)
            while True:
                # max_length caps each step's output, so a 1000:1 entry never sits in memory.
                out = inflater.decompress(chunk, _OUT)
                produced += len(out)
                if produced > budget:
                    return produced
                chunk = inflater.unconsumed_tail
                if not chunk and len(out) < _OUT:
                    break
    except zlib.error as exc:
        raise _invalid(f"its part {info.filename!r} is corrupt") from exc
    return produced
