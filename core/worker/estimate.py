"""The automatic estimate (SPEC §6 "Beyond the seeds"): right after a submission the worker
slices the model with the lab's profile for the chosen printer and offers the weight and time
the slicer reports as the job's quote suggestion (source "auto"), until staff save a sliced file
of their own. A model the slicer cannot slice is flagged for staff with the slicer's words.

The model is read under the job's lock (as the model check reads it: triangles, millimetres, a
3MF's units applied) and written as a binary STL into a scratch folder, where the slicer runs:
the job's folder is never held while it slices (Windows refuses to rename a folder with an open
file inside, and a slice can take a minute), and every slicer gets a file it can read."""

from __future__ import annotations

import logging
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.domain.errors import JobNotFound
from core.domain.statuses import Action, Actor
from core.domain.validation import extension_of
from core.jobs.suggestions import duration, suggestion
from core.jobs.unit import Draft, Unchanged, run_unit
from core.mesh.analysis import ModelRejected, read_mesh, zip_limits
from core.mesh.stl import write_binary_stl
from core.sliced import SlicedFileError, grams, read_sliced
from core.worker.slicer_cli import SlicingFailed, command, find_cli_slicer, profile_for, run
from storage.tables import JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)

def estimate(ctx: Context, job_id: str) -> None:
    """The worker's task: slice the job's model and record the suggestion (or the failure)."""
    if not ctx.config.slicing.estimate:
        return
    slicer = find_cli_slicer(ctx.config)
    if slicer is None:
        log.info("no command-line slicer on this PC: job %s gets no automatic estimate", job_id)
        return
    with tempfile.TemporaryDirectory(prefix="printdesk-estimate-") as scratch_name:
        scratch = Path(scratch_name)
        with ctx.store.lock(job_id):
            with ctx.db.read() as session:
                found = session.execute(select(JobRow.status, JobRow.folder_name,
                                               JobRow.upload_file, JobRow.printer,
                                               JobRow.print_method)
                                        .where(JobRow.id == job_id)).first()
            if found is None:
                raise JobNotFound(job_id)
            status, folder, upload, printer_name, method = found
            source = ctx.store.file_in(ctx.store.job_dir(status, folder), upload)
            try:  # read as the model check read it: triangles, in millimetres
                (vertices, faces), _unit = read_mesh(source, extension_of(upload).lstrip("."),
                                                     **zip_limits(ctx.config))
            except ModelRejected as exc:
                vertices = faces = None
                unreadable = str(exc)
        printer = ctx.config.printer(printer_name)
        try:
            if vertices is None or faces is None:
                raise SlicingFailed(f"The model could not be read: {unreadable}")
            model = scratch / "model.stl"
            write_binary_stl(model, vertices, faces)
            del vertices, faces
            if printer is None:
                raise SlicingFailed(f"The printer {printer_name!r} is no longer configured.")
            argv, out = command(slicer, printer, model, profile_for(ctx.config, printer, scratch),
                                scratch)
            run(argv, scratch, ctx.config.slicing.timeout_s, ctx.config.slicing.memory_mb)
            try:
                info = read_sliced(out)
            except SlicedFileError as exc:
                raise SlicingFailed(f"The slicer's output could not be read: {exc}") from exc
            weight, source = grams(info, method, ctx.config.densities)
            if weight is None or info.print_time_s is None:
                what = "the weight" if weight is None else "the print time"
                raise SlicingFailed(f"The slicer did not report {what}.")
        except SlicingFailed as exc:
            _record(ctx, job_id, {"source": "auto", "error": str(exc)}, failed=True)
            return
    name = f"{info.slicer or slicer.name} {info.version or ''}".strip()
    text = (f"Automatic estimate ({name}, the lab's profile for {printer.name}): "
            f"{weight.quantize(Decimal('0.1'))} g, {duration(info.print_time_s)}")
    _record(ctx, job_id, suggestion(ctx, weight, info.print_time_s, "auto", name, None, text,
                                    method, printer.name),
            failed=False, details={"weight_g": str(weight), "print_time_s": info.print_time_s,
                                   "slicer": name, "how": source})


def _record(ctx: Context, job_id: str, value: dict[str, Any], failed: bool,
            details: dict[str, Any] | None = None) -> None:
    def declare(draft: Draft) -> None:
        row = draft.load()
        current = row.quote_suggestion or {}
        if current.get("source") == "file":
            raise Unchanged  # staff's own sliced file already says it better
        row.quote_suggestion = value
        event = {"error": value["error"]} if failed else details or {}
        draft.event(Action.ESTIMATE.value, Actor.SYSTEM, {"failed": failed, **event})

    try:
        ref = run_unit(ctx, job_id, declare).short_id.upper()
    except Unchanged:
        log.info("automatic estimate for job %s not kept: staff's sliced file came first", job_id)
        return
    if failed:
        log.warning("automatic estimate for job %s (%s) failed: %s", ref, job_id, value["error"])
    else:
        log.info("automatic estimate for job %s (%s): %s", ref, job_id, value["text"])

