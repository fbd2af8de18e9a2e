"""Formlabs PreForm jobs (.form). SPEC §6 names them among the files staff save, so they are
picked up and become the job's file; but PreForm's format is its own and undocumented, so no
value is read from it: the error says so, and staff enter the time and resin by hand.
"""

from __future__ import annotations

from pathlib import Path

from core.sliced.info import SlicedFileError, SlicedInfo

NAME = "Formlabs PreForm job"
EXTENSIONS = (".form",)


def recognise(head: bytes) -> bool:
    return False  # the only reader of .form: the registry never needs to ask


def read(path: Path) -> SlicedInfo:
    raise SlicedFileError("PreForm keeps a .form job in its own undocumented format, so "
                          "PrintDesk cannot read its print time or resin volume. Take them from "
                          "PreForm's job summary.")
