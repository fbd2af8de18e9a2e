"""Stream uploaded files into core's spool files on the storage volume, never into memory, and
remove whatever a request did not hand over to core (refused form, 413, CSRF failure…)."""

from __future__ import annotations

from typing import IO, Any

from flask import Flask, g
from flask import Request as FlaskRequest

from core.domain.values import Upload
from core.jobs.uploads import SpoolFile, discard, new_spool_file
from intake.context import desk


class SpoolRequest(FlaskRequest):
    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None
                         ) -> IO[bytes]:
        spool = SpoolFile(new_spool_file(desk()))
        g.setdefault("spools", []).append(spool)
        return spool  # type: ignore[return-value]  # a file as far as the form parser goes


def _cleanup(_exc: BaseException | None) -> None:
    for spool in g.pop("spools", []):
        spool.close()
        discard(desk(), spool.path)


def register(app: Flask) -> None:
    app.teardown_request(_cleanup)


def spooled_upload(storage: Any) -> Upload | None:
    """The spool file behind an uploaded FileStorage as an Upload that core owns from now on,
    flushed to disk and already hashed."""
    for spool in g.get("spools", []):
        if storage.stream is spool:
            size, sha256 = spool.finish()
            return Upload(spool.path, storage.filename or "", owned=True, size=size,
                          sha256=sha256)
    return None


def forget_spool(upload: Upload) -> None:
    """Core kept this spool file for the re-shown form: the request's clean-up leaves it."""
    spools = g.get("spools", [])
    for spool in [s for s in spools if s.path == upload.path]:
        spool.close()
        spools.remove(spool)
