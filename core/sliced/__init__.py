"""What a slicer wrote into a sliced file: weight, filament, time, printer, material (SPEC §6).

The readers live one per format in this package, behind one registry; a format declares its
file extensions and recognises its own header, so adding a slicer is adding a file. Sliced
files are untrusted bytes: reads are bounded, ZIPs are checked, garbage gives a clear error.

Public API (used by the worker, the console and `printdesk read-sliced`):
  read_sliced(path) -> SlicedInfo             raises SlicedFileError when nothing can be read
  is_sliced_name(name) -> bool                 by extension, before reading anything
  SLICED_EXTENSIONS                            every extension a registered reader takes
  grams(info, method, densities) -> (Decimal | None, str)
                                               weight in grams, from the file or from length /
                                               volume and the material's density; the text says
                                               where the number came from
"""

from __future__ import annotations

# SlicedInfo, FIELDS and SlicedFileError are defined in core.sliced.info, so the format modules
# can build one without importing this package (which imports them through the registry); they
# are the same objects here, under the same names.
from core.sliced.density import grams
from core.sliced.info import FIELDS, SlicedFileError, SlicedInfo
from core.sliced.registry import SLICED_EXTENSIONS, is_sliced_name, read_sliced

__all__ = ["FIELDS", "SLICED_EXTENSIONS", "SlicedFileError", "SlicedInfo", "grams",
           "is_sliced_name", "read_sliced"]
