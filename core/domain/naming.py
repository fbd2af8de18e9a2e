"""The standard name `FirstAndLastName_PrintMethod_Color_ShortID` (SPEC §6)."""

from __future__ import annotations

import re
import secrets
import unicodedata

from anyascii import anyascii

FALLBACK_NAME = "Student"
MAX_NAME_PART = 40
FOLDER_NAME_RE = re.compile(r"^[A-Za-z0-9]+(?:_[A-Za-z0-9]+){3}$")
# Characters some people type inside a name that should just vanish, not split it.
_JOINERS = re.compile(r"['’‘`´\-‐‑–—.]")


def fold(text: str) -> str:
    """'José Ñúñez' → 'Jose Nunez', 'Søren' → 'Soren', '王伟' → 'WangWei'; emoji and symbols go.

    Transliteration (anyascii) rather than dropping non-ASCII bytes, so staff can still
    recognise the name on the folder.
    """
    kept = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("S", "C")))
    return re.sub(r"[^A-Za-z0-9 ]+", " ", anyascii(kept))


def camel(text: str) -> str:
    """'Mary-Jane O'Brien' → 'MaryJaneOBrien': joiners vanish, words keep their inner case."""
    words = fold(_JOINERS.sub("", text)).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def name_part(student_name: str) -> str:
    part = camel(student_name)[:MAX_NAME_PART]
    return part or FALLBACK_NAME


def new_short_id(length: int = 6) -> str:
    return secrets.token_hex(length // 2 + 1)[:length]


def standard_name(student_name: str, method: str, color: str, short_id: str) -> str:
    """Always a valid folder/file name of four `_`-separated ASCII parts."""
    parts = [name_part(student_name), camel(method) or "Method", camel(color) or "Color", short_id]
    name = "_".join(parts)
    if not FOLDER_NAME_RE.match(name):
        raise ValueError(f"cannot build a standard name from short id {short_id!r}")
    return name
