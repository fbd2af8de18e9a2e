"""Typed errors of the service API. Every message is written for a person to read."""

from __future__ import annotations

from collections.abc import Mapping


class PrintDeskError(Exception):
    """Base of every error the service API raises on purpose."""


class ConfigError(PrintDeskError):
    """The configuration file or an environment override is wrong; the message names the key."""


class NotInitialisedError(PrintDeskError):
    """The data folder has not been set up with `printdesk init`."""


class JobNotFound(PrintDeskError):
    def __init__(self, job_ref: str) -> None:
        super().__init__(f"No job {job_ref!r} exists.")
        self.job_ref = job_ref


class TransitionRefused(PrintDeskError):
    """An action is not allowed from the job's current status."""

    def __init__(self, job_ref: str, status: str, action: str, why: str = "") -> None:
        text = f"Job {job_ref} is {status}: '{action}' is not allowed from that status."
        super().__init__(f"{text} {why}".strip())
        self.job_ref, self.status, self.action = job_ref, status, action


class ConcurrencyError(PrintDeskError):
    """Someone else changed the job between reading it and acting on it."""

    def __init__(self, job_ref: str) -> None:
        super().__init__(
            f"Job {job_ref} was changed by someone else. Its fresh state is shown; "
            "check it and try again."
        )
        self.job_ref = job_ref


class ValidationError(PrintDeskError):
    """Input refused; `errors` maps a field name to a message for that field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        # A submission refused for its fields only keeps its upload (core.jobs.kept.KeptUpload).
        self.kept: object | None = None
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class TokenError(PrintDeskError):
    """A student link is tampered, expired, used or replaced; `reason` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StorageError(PrintDeskError):
    """The storage folder refused an operation (missing folder, path escape, name clash)."""


class PathEscapeError(StorageError):
    """A path built from outside input would leave the storage root."""
