"""Bounded reading of G-code text and the small parsers every text reader shares.

A sliced G-code file can be hundreds of megabytes, and the numbers a slicer writes sit in its
first lines (Cura, Bambu Studio) or its last ones (PrusaSlicer, OrcaSlicer, KISSlicer). Readers
therefore get a bounded head and a bounded tail, from a file or from a stream (a G-code inside a
ZIP), and never the whole text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEAD_BYTES = 256 * 1024
# PrusaSlicer writes its totals just before a config block that is tens of kilobytes long and
# can be far longer with a printer's long custom G-code; a megabyte reaches them in practice.
TAIL_BYTES = 1024 * 1024
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Text:
    head: str
    tail: str  # starts at a line boundary; the same text as head when the file is small
    size: int

    @property
    def both(self) -> str:
        """Head then tail, for values that may sit at either end (the tail's win when a key is
        found twice, as a later line does in the file)."""
        return self.head if self.tail is self.head else self.head + "\n" + self.tail


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _from_line_start(tail: bytes) -> bytes:
    cut = tail.find(b"\n")
    return tail[cut + 1:] if cut >= 0 else b""


def read_text(path: Path, head_bytes: int = HEAD_BYTES, tail_bytes: int = TAIL_BYTES) -> Text:
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        raw.seek(0)
        head = raw.read(head_bytes)
        if size <= head_bytes:
            text = _decode(head)
            return Text(text, text, size)
        start = max(size - tail_bytes, head_bytes)
        raw.seek(start)
        tail = raw.read(tail_bytes)
    if start > head_bytes:
        tail = _from_line_start(tail)
    return Text(_decode(head), _decode(tail), size)


def stream_text(stream: BinaryIO, head_bytes: int = HEAD_BYTES,
                tail_bytes: int = TAIL_BYTES) -> Text:
    """Head and tail of a stream read once front to back (a ZIP entry cannot seek cheaply);
    memory stays at head + tail + one chunk whatever its length."""
    head = bytearray()
    tail = bytearray()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if len(head) < head_bytes:
            take = head_bytes - len(head)
            head += chunk[:take]
            chunk = chunk[take:]
        tail += chunk
        if len(tail) > tail_bytes:
            del tail[:len(tail) - tail_bytes]
    if size <= head_bytes:
        text = _decode(bytes(head))
        return Text(text, text, size)
    rest = bytes(tail)
    if size > head_bytes + tail_bytes:
        rest = _from_line_start(rest)
    return Text(_decode(bytes(head)), _decode(rest), size)


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        while chunk := raw.read(CHUNK):
            yield chunk


# --- numbers -------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def number(value: str | None) -> float | None:
    """The first number in `value`, if it is a finite one."""
    if value is None:
        return None
    match = _NUMBER.search(value)
    if match is None:
        return None
    try:
        found = float(match.group())
    except ValueError:
        return None
    return found if math.isfinite(found) else None


def numbers(value: str | None) -> list[float]:
    """Every number in a list such as "1212.56, 300.00" (one per extruder)."""
    if not value:
        return []
    found = [float(m) for m in _NUMBER.findall(value)]
    return [f for f in found if math.isfinite(f)]


def total(value: str | None) -> float | None:
    """The sum of a per-extruder list; None when there is no number at all."""
    found = numbers(value)
    return round(sum(found), 6) if found else None  # 2.92 + 0.72 is 3.64, not 3.6399999999999997


def positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 and math.isfinite(value) else None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)(?![a-z])", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def duration(value: str | None) -> int | None:
    """Seconds in "1d 2h 3m 4s", "31m 17s", "34s" (what PrusaSlicer, OrcaSlicer and Bambu Studio
    write); None when the text is not such a duration."""
    if not value:
        return None
    text = value.strip()
    parts = list(_DURATION_PART.finditer(text))
    if not parts or _DURATION_PART.sub("", text).strip():
        return None
    seconds = sum(float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()] for m in parts)
    return round(seconds) if math.isfinite(seconds) else None


def seconds(value: float | None) -> int | None:
    if value is None or not math.isfinite(value) or value < 0 or value > 10 * 365 * 86400:
        return None
    return round(value)


# --- comment blocks ------------------------------------------------------------------------------

# "; filament used [g] = 3.62" (PrusaSlicer's totals and config, OrcaSlicer, KISSlicer settings)
_EQUALS = re.compile(r"^;[ \t]*([^=\r\n;]+?)[ \t]*=[ \t]*([^\r\n]*?)[ \t]*\r?$", re.MULTILINE)


def equals_comments(*texts: str) -> dict[str, str]:
    """Every "; key = value" comment line; a later line wins (the tail's totals over the head)."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _EQUALS.finditer(text):
            found[match.group(1)] = match.group(2)
    return found


def first(values: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        value = values.get(key)
        if value is not None and value.strip():
            return value
    return None


def unquote_list(value: str | None) -> list[str]:
    """PrusaSlicer's per-extruder strings: `"Prusament PETG";"Generic PLA"` or `PLA;PETG`."""
    if not value:
        return []
    if '"' in value:
        items = re.findall(r'"((?:[^"\\]|\\.)*)"', value)
    else:
        items = value.split(";")
    return [item.strip() for item in items if item.strip()]


def material_name(settings_ids: Iterable[str], types: Iterable[str]) -> str | None:
    """The first filament's preset name, with its type when the name does not say it:
    "Prusament PETG", or "Lab spool 3 (PETG)" so a density can still be found by keyword."""
    name = next(iter(settings_ids), None)
    kind = next(iter(types), None)
    if name and kind and kind.upper() not in name.upper():
        return f"{name} ({kind})"
    return name or kind


def first_line(head: str, limit: int = 80) -> str:
    line = next((line.strip() for line in head.splitlines() if line.strip()), "")
    printable = "".join(c if c.isprintable() else "?" for c in line)
    return printable[:limit] + ("…" if len(printable) > limit else "")


def looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\0" in sample:
        return True
    text = sample.decode("utf-8", "replace")
    odd = sum(1 for c in text if c == "\ufffd" or (not c.isprintable() and c not in "\r\n\t"))
    return odd > len(text) // 20
