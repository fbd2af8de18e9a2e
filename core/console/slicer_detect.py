"""Where slicers are usually installed, and which of them this computer has (SPEC §7).

Only the usual install places are looked at. The filesystem root and the environment are
parameters, so tests build fake install trees for every OS in a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.domain.filetypes import CAD_TYPES, MODEL_TYPES

# Closes the argv of a flatpak `--file-forwarding` prefix; `launch` puts the file before it.
FORWARD = "@@"
MODELS = (*MODEL_TYPES, *CAD_TYPES)


@dataclass(frozen=True)
class Slicer:
    name: str
    executable: tuple[str, ...]  # argv prefix; the file path is appended
    extensions: tuple[str, ...]


@dataclass(frozen=True)
class _Known:
    name: str
    extensions: tuple[str, ...]
    windows: tuple[tuple[str, ...], ...]  # under a Program Files folder
    mac_apps: tuple[str, ...]  # under /Applications or ~/Applications
    commands: tuple[str, ...]  # Linux PATH names
    opt: tuple[str, ...]  # under /opt
    appimage: str  # lower-case alphanumeric prefix of the AppImage's file name
    flatpak: str | None
    # Given before the file: PrusaSlicer's --single-instance hands a second file to the window
    # already open (a fresh one would sit behind its first-run wizard) instead of a new copy.
    open_args: tuple[str, ...] = ()


# Order matters: for a type several slicers open, the first one found is the default.
KNOWN: tuple[_Known, ...] = (
    _Known("PrusaSlicer", (*MODELS, ".gcode", ".bgcode"), (("Prusa3D", "PrusaSlicer", "prusa-slicer.exe"),),
           ("PrusaSlicer.app", "Original Prusa Drivers/PrusaSlicer.app"), ("prusa-slicer", "PrusaSlicer"),
           ("PrusaSlicer/prusa-slicer", "prusa-slicer/bin/prusa-slicer"), "prusaslicer",
           "com.prusa3d.PrusaSlicer", ("--single-instance",)),
    _Known("OrcaSlicer", MODELS, (("OrcaSlicer", "orca-slicer.exe"),), ("OrcaSlicer.app",),
           ("orca-slicer", "OrcaSlicer"), ("orca-slicer/bin/orca-slicer", "OrcaSlicer/bin/orca-slicer"),
           "orcaslicer", "io.github.softfever.OrcaSlicer"),
    _Known("Bambu Studio", MODELS, (("Bambu Studio", "bambu-studio.exe"),),
           ("BambuStudio.app", "Bambu Studio.app"), ("bambu-studio", "BambuStudio"),
           ("bambu-studio/bin/bambu-studio", "BambuStudio/bin/bambu-studio"), "bambustudio",
           "com.bambulab.BambuStudio"),
    # Cura's Windows folder carries its version ("UltiMaker Cura 5.8.1"): see _newest_cura.
    _Known("UltiMaker Cura", (*MODEL_TYPES, ".gcode", ".ufp"), (),
           ("UltiMaker Cura.app", "Ultimaker Cura.app"), ("UltiMaker-Cura", "ultimaker-cura", "cura"),
           ("UltiMaker-Cura/UltiMaker-Cura", "cura/UltiMaker-Cura"), "ultimakercura",
           "com.ultimaker.cura"),
    _Known("PreForm", (*MODEL_TYPES, ".form"), (("Formlabs", "PreForm", "PreForm.exe"),),
           ("PreForm.app",), (), (), "preform", None),
)

_VERSION_RE = re.compile(r"\d+(?:\.\d+)*")
_CURA_DIR_RE = re.compile(r"^ultimaker cura (\d+(?:\.\d+)*)", re.IGNORECASE)
_CURA_EXES = ("UltiMaker-Cura.exe", "Ultimaker-Cura.exe", "Cura.exe")


def _version(text: str) -> tuple[int, ...]:
    # Numeric, so 5.10.0 sorts after 5.7.1 (a string sort gets that wrong).
    match = _VERSION_RE.search(text)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


def is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- detection -----------------------------------------------------------------------------------

def detect_slicers(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                   root: Path | None = None) -> list[Slicer]:
    """Slicers installed in their usual places, in KNOWN order, at most one entry each.

    `root` replaces "/" (macOS, Linux) and `env` the environment (Program Files, HOME, PATH).
    """
    env = os.environ if env is None else env
    root = Path(os.sep if root is None else root)
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    if platform == "win32":
        finder = _windows(env)
    elif platform == "darwin":
        finder = _mac(root, home)
    else:
        finder = _linux(root, home, env)
    found = []
    for known in KNOWN:
        argv = next((a for a in finder(known) if a), None)
        if argv:
            found.append(Slicer(known.name, _with_args(argv, known.open_args), known.extensions))
    return found


def _with_args(argv: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    if not extra or argv[0] == "/usr/bin/open":  # macOS opens documents by Apple events
        return argv
    if argv[-1] == FORWARD:  # flatpak: the app's own arguments go before the file
        return (*argv[:-1], *extra, FORWARD)
    return (*argv, *extra)


# Yields one candidate argv (or None) per place looked at, best place first.
Finder = Callable[[_Known], Iterator[tuple[str, ...] | None]]


def _windows(env: Mapping[str, str]) -> Finder:
    names = ("ProgramW6432", "ProgramFiles", "ProgramFiles(x86)")
    bases = list(dict.fromkeys(Path(env[n]) for n in names if env.get(n))) or [Path("C:\\Program Files")]

    def find(known: _Known) -> Iterator[tuple[str, ...] | None]:
        for base in bases:
            for parts in known.windows:
                yield (str(base.joinpath(*parts)),) if is_program(base.joinpath(*parts)) else None
            if known.name == "UltiMaker Cura":
                yield _newest_cura(base)

    return find


def _newest_cura(base: Path) -> tuple[str, ...] | None:
    try:
        entries = list(base.iterdir())
    except OSError:
        return None
    best: tuple[tuple[int, ...], Path] | None = None
    for entry in entries:
        match = _CURA_DIR_RE.match(entry.name)
        exe = next((entry / n for n in _CURA_EXES if is_program(entry / n)), None) if match else None
        if match and exe and (best is None or _version(match.group(1)) > best[0]):
            best = (_version(match.group(1)), exe)
    return (str(best[1]),) if best else None


def _mac(root: Path, home: Path) -> Finder:
    def find(known: _Known) -> Iterator[tuple[str, ...] | None]:
        for folder in (root / "Applications", home / "Applications"):
            for app in known.mac_apps:
                # `open -a` hands the file to a running copy instead of starting a second one.
                yield ("/usr/bin/open", "-a", str(folder / app)) if (folder / app).is_dir() else None

    return find


def _linux(root: Path, home: Path, env: Mapping[str, str]) -> Finder:
    search = env.get("PATH", "")
    flatpak = shutil.which("flatpak", path=search)

    def find(known: _Known) -> Iterator[tuple[str, ...] | None]:
        for command in known.commands:
            hit = shutil.which(command, path=search)
            yield (hit,) if hit else None
        for rel in known.opt:
            yield (str(root / "opt" / rel),) if is_program(root / "opt" / rel) else None
        yield _newest_appimage(home / "Applications", known.appimage)
        if known.flatpak:
            for exports in (home / ".local/share/flatpak", root / "var/lib/flatpak"):
                export = exports / "exports" / "bin" / known.flatpak
                if not export.is_file():
                    yield None
                elif flatpak:
                    # File forwarding lends a sandboxed app the one file, even off the home folder.
                    yield (flatpak, "run", "--file-forwarding", known.flatpak, FORWARD)
                else:
                    yield (str(export),)

    return find


def _newest_appimage(folder: Path, prefix: str) -> tuple[str, ...] | None:
    try:
        images = [p for p in folder.iterdir() if p.name.lower().endswith(".appimage")
                  and re.sub(r"[^a-z0-9]", "", p.name.lower()).startswith(prefix) and is_program(p)]
    except OSError:
        return None
    return (str(max(images, key=lambda p: (_version(p.name), p.name))),) if images else None
