"""How much the extruder pushes, measured from the G-code moves themselves.

Needed where the header's totals are missing or placeholders (CuraEngine run from the command
line writes its header before it has sliced anything: ";Filament used: 0m", ";MATERIAL:6666").
The file is streamed in chunks, so memory stays at a chunk or two whatever its size.

Only moves that go somewhere (X or Y) while extruding count: priming blobs and retract/unretract
pairs move E alone and do not end up in the print. The file is cut into stretches at its extrusion
resets (`G92 E…`) and mode changes (M82 absolute, M83 relative):

* absolute E (what CuraEngine writes) only grows while printing, dipping briefly at retractions,
  so a stretch adds its highest E minus the value it was reset to; the highest E is at the
  stretch's end, so only the last part of each stretch (and, as a guard, of each chunk) is
  parsed — a 100 MB file takes well under a second;
* relative E (M83) is summed over every move of the stretch, which means parsing all of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_MOVE = re.compile(rb"^[ \t]*G0?[0-3](?![0-9.])[^;\n]*?(?:[XY][^;\n]*?E[ \t]*(-?(?:\d+\.?\d*|\.\d+))"
                   rb"|E[ \t]*(-?(?:\d+\.?\d*|\.\d+))[^;\n]*?[XY])", re.MULTILINE)
_RESET_E = re.compile(rb"G92(?![0-9.])[^;\n]*?E[ \t]*(-?(?:\d+\.?\d*|\.\d+))")
_EVENTS = (b"G92", b"M82", b"M83")
WINDOW = 64 * 1024  # the end of a stretch that holds its highest E


def _values(data: bytes | bytearray, start: int = 0, end: int | None = None) -> list[float]:
    found = []
    for a, b in _MOVE.findall(data, start, len(data) if end is None else end):
        value = float(a or b)
        if math.isfinite(value):
            found.append(value)
    return found


def _events(data: bytes) -> list[tuple[int, int, bytes, float]]:
    """(start, end, word, E set) of each reset or mode change at a line start, in file order;
    found with bytes.find, which is far quicker than a regular expression over every line."""
    found: list[tuple[int, int, bytes, float]] = []
    for word in _EVENTS:
        at = data.find(word)
        while at >= 0:
            line_start = data.rfind(b"\n", 0, at) + 1
            line_end = data.find(b"\n", at)
            line_end = len(data) if line_end < 0 else line_end
            if not data[line_start:at].strip():
                if word != b"G92":
                    found.append((at, line_end, word, 0.0))
                elif (match := _RESET_E.match(data, at, line_end)) is not None:
                    found.append((at, line_end, word, float(match.group(1))))
            at = data.find(word, at + 3)
    found.sort()
    return found


class _Tally:
    def __init__(self) -> None:
        self.relative = False
        self.start = 0.0  # E at the last reset (absolute mode)
        self.top: float | None = None  # highest E of an extruding move seen in this stretch
        self.done = 0.0  # amount of the finished stretches
        self.tail = bytearray()  # the latest part of the current stretch (absolute mode)
        self.seen = False

    def feed(self, data: bytes) -> None:
        """More of the current stretch (whole lines)."""
        if self.relative:
            values = _values(data)
            self.seen = self.seen or bool(values)
            self.done += sum(values)
            return
        # A guard in case a stretch ends in a long run without extrusion: each chunk's own end.
        self._top(_values(data, max(0, len(data) - WINDOW)))
        self.tail += data[-WINDOW:]
        del self.tail[:max(0, len(self.tail) - WINDOW)]

    def _top(self, values: list[float]) -> None:
        if values:
            self.seen = True
            best = max(values)
            self.top = best if self.top is None else max(self.top, best)

    def close(self) -> None:
        if not self.relative:
            self._top(_values(self.tail))
            if self.top is not None and self.top > self.start:
                self.done += self.top - self.start
        self.top = None
        self.tail.clear()

    def event(self, word: bytes, value: float) -> None:
        self.close()
        if word != b"G92":
            self.relative = word == b"M83"
        self.start = value if math.isfinite(value) else 0.0


def extruded(chunks: Iterable[bytes]) -> float | None:
    """The extruder axis' total for the file (mm of filament, or mm³ in a volumetric flavour);
    None when no extruding move was found."""
    tally = _Tally()
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            # No line end in a whole chunk: not G-code; keep only a little, so memory stays flat.
            rest = data[-256:]
            continue
        rest = data[cut + 1:]
        _lines(tally, data[:cut + 1])
    if rest:
        _lines(tally, rest + b"\n")
    tally.close()
    return tally.done if tally.seen and tally.done > 0 else None


def _lines(tally: _Tally, data: bytes) -> None:
    position = 0
    for start, end, word, value in _events(data):
        tally.feed(data[position:start])
        tally.event(word, value)
        position = end
    tally.feed(data[position:])
