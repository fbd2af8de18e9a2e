"""Student links: a status token per job and a single-use confirmation token.

Both are signed with the lab's secret (kept in the database), so a guessed or edited token is
refused before any lookup. The confirmation token also carries a nonce stored on the job: a new
token (resend) replaces the nonce, and confirming clears it, so old links die.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, Signer

from core.domain.errors import TokenError


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _signer(secret: str, purpose: str) -> Signer:
    return Signer(secret, salt=f"printdesk.{purpose}")


def status_token(secret: str, job_id: str) -> str:
    return _signer(secret, "status").sign(job_id).decode("ascii")


def read_status_token(secret: str, token: str) -> str:
    """The job id inside a status token; TokenError if it was not signed by us."""
    try:
        return _signer(secret, "status").unsign(token).decode("ascii")
    except (BadSignature, UnicodeError):
        raise TokenError("tampered", "This status link is not valid.") from None


def confirm_token(secret: str, job_id: str, nonce: str) -> str:
    return _signer(secret, "confirm").sign(f"{job_id}.{nonce}").decode("ascii")


def read_confirm_token(secret: str, token: str) -> tuple[str, str]:
    """(job id, nonce) inside a confirmation token; TokenError if it was not signed by us."""
    try:
        payload = _signer(secret, "confirm").unsign(token).decode("ascii")
        job_id, nonce = payload.split(".", 1)
    except (BadSignature, UnicodeError, ValueError):
        raise TokenError(
            "tampered", "This confirmation link is not valid. Use the link from your most "
            "recent email, or contact the lab."
        ) from None
    return job_id, nonce
