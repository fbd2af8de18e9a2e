"""An upload kept across a refused form: the student fixes a field without sending 50 MB again.

When the server refuses a submission for its fields only, the spool file stays where it is and
the re-shown form carries a signed token naming it (with its original name, size and SHA-256).
The token expires well before the worker removes spool files nobody wrote to for an hour
(core.worker.tasks.SPOOL_STALE_S), so a kept file is cleaned up like any other spool file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadData, URLSafeTimedSerializer

from core.domain.errors import TokenError
from core.domain.values import Upload
from core.jobs.uploads import PREFIX, SUFFIX, discard, spool_dir

if TYPE_CHECKING:
    from core.context import Context

KEPT_FOR_S = 30 * 60

EXPIRED = ("Your earlier upload is no longer kept (after 30 minutes it is removed). Choose the "
           "model file again.")


@dataclass(frozen=True)
class KeptUpload:
    """What the re-shown form needs: the token to send back and what to tell the student."""

    token: str
    original_filename: str
    size: int


def _serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.secret, salt="printdesk.kept-upload")


def is_spool(ctx: Context, upload: Upload) -> bool:
    folder = spool_dir(ctx)
    return (upload.owned and upload.path.parent == folder and upload.path.name.startswith(PREFIX)
            and upload.path.name.endswith(SUFFIX))


def keep(ctx: Context, upload: Upload) -> KeptUpload:
    """A token for a spool file that stays on disk instead of being removed."""
    size = upload.size if upload.size is not None else upload.path.stat().st_size
    payload = {"spool": upload.path.name, "name": upload.original_filename, "size": size,
               "sha256": upload.sha256}
    token = _serializer(ctx).dumps(payload)
    return KeptUpload(token, upload.original_filename, size)


def take(ctx: Context, token: str) -> Upload:
    """The kept spool file as an owned Upload again; TokenError when the token is forged,
    expired, or its file is gone or changed."""
    try:
        payload = _serializer(ctx).loads(token, max_age=KEPT_FOR_S)
    except BadData:
        raise TokenError("expired", EXPIRED) from None
    if not isinstance(payload, dict):
        raise TokenError("tampered", EXPIRED)
    name = str(payload.get("spool", ""))
    path = spool_dir(ctx) / name
    if "/" in name or "\\" in name or not name.startswith(PREFIX) or not name.endswith(SUFFIX):
        raise TokenError("tampered", EXPIRED)
    try:
        size = path.stat().st_size
    except OSError:
        raise TokenError("expired", EXPIRED) from None
    if size != payload.get("size"):
        raise TokenError("expired", EXPIRED)
    return Upload(path, str(payload.get("name", "")), owned=True, size=size,
                  sha256=payload.get("sha256"))


def drop(ctx: Context, token: str) -> None:
    """The student chose another file: the kept one goes now rather than in an hour."""
    try:
        upload = take(ctx, token)
    except TokenError:
        return
    discard(ctx, upload.path)

