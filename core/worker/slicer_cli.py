"""Running a slicer from its command line for the automatic estimate: which program (configured,
else PrusaSlicer in its usual places, else CuraEngine with Cura's printer definitions), the
lab's profile for the printer (or a sensible built-in one made from the printer's build
volume), and a run in a scratch folder with a timeout and a memory cap."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from core.config import Config, Printer
from core.domain import defaults

WINDOWS_PLACES = (("Prusa3D", "PrusaSlicer", "prusa-slicer-console.exe"),
                  ("OrcaSlicer", "orca-slicer.exe"))
MAC_PLACES = ("/Applications/PrusaSlicer.app/Contents/MacOS/PrusaSlicer",
              "/Applications/OrcaSlicer.app/Contents/MacOS/OrcaSlicer")
COMMANDS = ("prusa-slicer", "PrusaSlicer", "prusa-slicer-console", "orca-slicer", "CuraEngine")
CURA_DEFINITIONS = (Path("/usr/share/cura/resources/definitions"),
                    Path("/opt/cura-resources/usr/share/cura/resources/definitions"))


class SlicingFailed(Exception):
    """The slicer could not slice the model; the message is for staff (the slicer's words)."""


@dataclass(frozen=True)
class CliSlicer:
    name: str  # "PrusaSlicer", "OrcaSlicer", "CuraEngine"
    program: str
    cura_definitions: Path | None = None


def _kind(program: str) -> str:
    name = Path(program).name.lower()
    if "cura" in name:
        return "CuraEngine"
    return "OrcaSlicer" if "orca" in name else "PrusaSlicer"


def _cura_definitions(config: Config) -> Path | None:
    given = [Path(config.slicing.cura_definitions).expanduser()] if config.slicing.cura_definitions \
        else []
    env = os.environ.get("PRINTDESK_CURA_RESOURCES")
    if env:
        given.append(Path(env) / "definitions")
    return next((p for p in (*given, *CURA_DEFINITIONS) if (p / "fdmprinter.def.json").is_file()),
                None)


def find_cli_slicer(config: Config) -> CliSlicer | None:
    """The command-line slicer for estimates on this PC, or None."""
    candidates: list[str] = []
    if config.slicing.program:
        candidates.append(config.slicing.program)
    else:
        if sys.platform == "win32":
            for base in {os.environ.get("ProgramW6432"), os.environ.get("ProgramFiles")} - {None}:
                candidates += [str(Path(str(base)).joinpath(*parts)) for parts in WINDOWS_PLACES]
        elif sys.platform == "darwin":
            candidates += list(MAC_PLACES)
        candidates += [found for c in COMMANDS if (found := shutil.which(c))]
    for program in candidates:
        path = shutil.which(program) or program
        if not Path(path).is_file():
            continue
        kind = _kind(path)
        if kind == "CuraEngine":
            definitions = _cura_definitions(config)
            if definitions is None:
                continue  # CuraEngine alone cannot slice: it needs Cura's printer definitions
            return CliSlicer(kind, path, definitions)
        return CliSlicer(kind, path)
    return None


# --- profiles ------------------------------------------------------------------------------------

def builtin_profile(printer: Printer, density: str) -> str:
    """A PrusaSlicer profile for a printer the lab gave no profile of: its build volume, a
    0.4 mm nozzle, 0.2 mm layers (0.05 mm for resin), 15 % infill, supports where needed.
    An estimate, not the lab's exact settings: staff's own slicing replaces it."""
    w, d, h = printer.build_volume_mm
    if printer.method == defaults.RESIN:
        return "\n".join([
            "printer_technology = SLA", f"display_width = {w:g}", f"display_height = {d:g}",
            "display_pixels_x = 2560", "display_pixels_y = 2560", f"max_print_height = {h:g}",
            "layer_height = 0.05", "supports_enable = 1", "pad_enable = 1",
            f"material_density = {density}", ""])
    return "\n".join([
        "printer_technology = FFF", f"bed_shape = 0x0,{w:g}x0,{w:g}x{d:g},0x{d:g}",
        f"max_print_height = {h:g}", "nozzle_diameter = 0.4", "layer_height = 0.2",
        "first_layer_height = 0.2", "fill_density = 15%", "perimeters = 2",
        "top_solid_layers = 5", "bottom_solid_layers = 4", "support_material = 1",
        "support_material_auto = 1", "filament_diameter = 1.75",
        f"filament_density = {density}", "gcode_flavor = marlin2", ""])


def profile_for(config: Config, printer: Printer, scratch: Path) -> Path:
    if printer.slicer_profile:
        path = config.setting_path(printer.slicer_profile)
        if not path.is_file():
            raise SlicingFailed(f"The slicer profile for {printer.name}, {path}, is missing.")
        return path
    density = str(config.densities.get(printer.method, "1.24"))
    made = scratch / "profile.ini"
    made.write_text(builtin_profile(printer, density), encoding="utf-8")
    return made


# --- running -------------------------------------------------------------------------------------

def command(slicer: CliSlicer, printer: Printer, model: Path, profile: Path, scratch: Path
            ) -> tuple[list[str], Path]:
    resin = printer.method == defaults.RESIN
    if slicer.name == "CuraEngine":
        if resin:
            raise SlicingFailed("CuraEngine slices filament only; set a PrusaSlicer for resin.")
        out = scratch / "estimate.gcode"
        assert slicer.cura_definitions is not None
        w, d, h = printer.build_volume_mm
        return ([slicer.program, "slice", "-j", str(slicer.cura_definitions / "fdmprinter.def.json"),
                 "-s", f"machine_width={w:g}", "-s", f"machine_depth={d:g}",
                 "-s", f"machine_height={h:g}", "-s", "infill_sparse_density=15",
                 "-s", "support_enable=true", "-l", str(model), "-o", str(out)], out)
    out = scratch / ("estimate.sl1" if resin else "estimate.gcode")
    export = "--export-sla" if resin else "--export-gcode"
    return ([slicer.program, export, "--load", str(profile), "--output", str(out), str(model)],
            out)


def _limit_memory(megabytes: int) -> object:
    def limit() -> None:
        import resource

        cap = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return limit


def run(argv: list[str], scratch: Path, timeout_s: int, memory_mb: int) -> str:
    """Run the slicer in `scratch`; its output. SlicingFailed with its last words when it fails,
    runs out of time (it is killed, with anything it started) or of memory."""
    options: dict[str, object] = {"cwd": scratch, "stdout": subprocess.PIPE,
                                  "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL,
                                  "env": {**os.environ, "HOME": str(scratch)}}
    if os.name == "posix":
        options.update(start_new_session=True, preexec_fn=_limit_memory(memory_mb))
    else:  # no address-space cap on Windows; the timeout still holds
        options["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    process = subprocess.Popen(argv, **options)  # type: ignore[call-overload]
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise SlicingFailed(f"The slicer did not finish within {timeout_s} s and was stopped. "
                            "The model may be too complex; slice it by hand.") from None
    text = output.decode("utf-8", "replace") if output else ""
    if process.returncode != 0:
        last = [line.strip() for line in text.splitlines() if line.strip()
                and "[trace]" not in line][-3:]
        reason = " ".join(last) or f"it exited with code {process.returncode}"
        raise SlicingFailed(f"The slicer could not slice this model: {reason}")
    return text


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    process.wait(30)
