"""Stream uploaded files into core's spool files on the storage volume, never into memory, and
remove whatever a request did not hand over to core (refused form, 413, CSRF failure…)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from flask import Flask, g
from flask import Request as FlaskRequest

from core.uploads import discard, new_spool_file
from intake.context import desk


class SpoolRequest(FlaskRequest):
    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None
                         ) -> IO[bytes]:
        handle = new_spool_file(desk())
        g.setdefault("spools", []).append((handle, Path(handle.name)))
        return handle


def _cleanup(_exc: BaseException | None) -> None:
    for handle, path in g.pop("spools", []):
        handle.close()
        discard(desk(), path)


def register(app: Flask) -> None:
    app.teardown_request(_cleanup)


def spool_path(storage: Any) -> Path | None:
    """The spool file behind an uploaded FileStorage, flushed to disk."""
    for handle, path in g.get("spools", []):
        if storage.stream is handle:
            handle.flush()
            return path
    return None
