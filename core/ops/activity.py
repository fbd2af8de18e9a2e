"""The INFO lines that record what happened at the desk: submissions, staff actions, emails,
programs launched for staff. One place decides what of a student's data reaches a log file:
the job's reference, never a name, and an email address only as its first letter and domain
("j***@example.edu"), so a log file can be shared with whoever helps without sharing the class
list. Everything else about a job is in its history (the events) in the database.
"""

from __future__ import annotations

import logging
import re

from core.domain.values import Job

log = logging.getLogger("core.activity")

_EMAIL = re.compile(r"([^\s@<>\"',;:()]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def masked(address: str) -> str:
    """An email address as logs show it: first letter and domain."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_emails(text: str) -> str:
    """`text` (a server's error, say) with every email address in it masked."""
    return _EMAIL.sub(lambda m: masked(m.group(0)), text)


def reference(job: Job) -> str:
    return job.short_id.upper()


def submitted(job: Job) -> None:
    log.info("submission %s (job %s): %s on %s, %d bytes, from %s", reference(job), job.id,
             job.print_method, job.printer, job.file_size, masked(job.student_email))


def acted(job: Job, action: str, actor: str, old: str, new: str) -> None:
    """A staff (or student, or system) action on a job, with its status before and after."""
    log.info("%s %s on job %s: %s -> %s", actor, action, reference(job), old, new)


def email_sent(message_id: int, kind: str, job_ref: str | None, to: str) -> None:
    log.info("email %s (%s, job %s) sent to %s", message_id, kind, job_ref or "-", masked(to))


def email_failed(message_id: int, kind: str, job_ref: str | None, to: str, attempt: int,
                 for_good: bool, error: str) -> None:
    # A warning: a message that does not go is something staff must see (the outbox shows it).
    log.warning("email %s (%s, job %s) to %s %s after attempt %d: %s", message_id, kind,
                job_ref or "-", masked(to), "failed for good" if for_good else "not sent",
                attempt, mask_emails(error))


def launched(what: str, program: str, pid: int, job: Job) -> None:
    """A program started for staff: a slicer on a job's file, or the file manager."""
    log.info("%s launched for job %s: %s (process %d)", what, reference(job), program, pid)


def test_email(to: str, error: str | None) -> None:
    """The test email staff send from Settings → Email."""
    if error is None:
        log.info("test email sent to %s", masked(to))
    else:
        log.warning("test email to %s not sent: %s", masked(to), mask_emails(error))
