"""The shape of every link a student gets: one place for the paths the intake serves and the
addresses the console shows and emails carry."""

from __future__ import annotations

STATUS = "/status/"  # + status token: the job's progress, any time
CONFIRM = "/confirm/"  # + confirmation token: accept or decline the quote, once
SUBMITTED = "/submitted/"  # + status token: the success page right after submitting
# Pages whose address carries a token: never cached, never sent on in a Referer.
PRIVATE = (STATUS, CONFIRM, SUBMITTED)


def status_link(base_url: str, token: str) -> str:
    return f"{base_url}{STATUS}{token}"


def confirm_link(base_url: str, token: str) -> str:
    return f"{base_url}{CONFIRM}{token}"
