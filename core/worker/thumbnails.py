"""The thumbnail of a new job, drawn by the background worker (SPEC §6, §7).

The job's lock is held only to find and read the model (a transition renames the folder, which
Windows refuses while a file inside is open) and again to write thumbnail.png into wherever the
folder is by then; drawing, the slow part, runs with no lock held, so staff actions on the job
never wait for it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.domain.errors import JobNotFound
from core.domain.validation import extension_of
from core.mesh.analysis import ModelRejected, read_mesh, zip_limits
from core.mesh.thumbnails import THUMBNAIL, ThumbnailError, render_mesh
from storage.filestore import atomic_write_bytes
from storage.tables import JobRow

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)


def _job_folder(ctx: Context, job_id: str) -> tuple[Path, str]:
    """(the job's folder now, its upload's file name). Caller holds the job's lock."""
    with ctx.db.read() as session:
        found = session.execute(select(JobRow.status, JobRow.folder_name, JobRow.upload_file)
                                .where(JobRow.id == job_id)).first()
    if found is None:
        raise JobNotFound(job_id)
    status, folder, upload = found
    return ctx.store.job_dir(status, folder), upload


def make_thumbnail(ctx: Context, job_id: str) -> Path | None:
    """Draw the job's thumbnail.png unless it exists; its path, or None when the model has
    nothing to draw (an unreadable or empty model is not an error of the worker's)."""
    with ctx.store.lock(job_id):
        folder, upload = _job_folder(ctx, job_id)
        target = ctx.store.file_in(folder, THUMBNAIL)
        if target.is_file():
            return target
        source = ctx.store.file_in(folder, upload)
        if not source.is_file():  # not "unreadable": the file (or its share) is missing
            raise FileNotFoundError(f"the model file {source} is missing")
        try:
            (vertices, faces), _unit = read_mesh(source, extension_of(upload).lstrip("."),
                                                 **zip_limits(ctx.config))
        except ModelRejected as exc:
            log.info("no thumbnail for job %s: %s", job_id, exc)
            return None
    try:
        data = render_mesh(vertices, faces)
    except ThumbnailError as exc:
        log.info("no thumbnail for job %s: %s", job_id, exc)
        return None
    del vertices, faces
    with ctx.store.lock(job_id):
        folder, _upload = _job_folder(ctx, job_id)  # it may have moved while drawing
        target = ctx.store.file_in(folder, THUMBNAIL)
        atomic_write_bytes(target, data, ".thumbnail-")
    log.info("thumbnail drawn for job %s", job_id)
    return target
