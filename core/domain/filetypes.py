"""The kinds of files a job's folder holds, named once: what students may upload, what slicers
save, and so what the console may open in a slicer."""

from __future__ import annotations

# What a student may upload (the model check reads these).
MODEL_TYPES: tuple[str, ...] = (".stl", ".obj", ".3mf")
# CAD exchange formats some slicers also open (never uploaded by students, but staff may drop
# one into a job's folder).
CAD_TYPES: tuple[str, ...] = (".step", ".stp")
# What staff save from a slicer into a job's folder: print files and slicer projects.
SLICED_TYPES: tuple[str, ...] = (".gcode", ".bgcode", ".ufp", ".form", ".sl1", ".sl1s", ".ctb")
# Every file type the console opens in a slicer (Settings → Slicers lists these).
OPENABLE_TYPES: tuple[str, ...] = (*MODEL_TYPES, *SLICED_TYPES)
