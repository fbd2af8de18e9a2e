"""Styled error pages; a student never sees a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.ops import faults

log = logging.getLogger(__name__)

PAGES = {
    400: ("The form could not be accepted",
          "The page was open too long or the form was sent twice. Go back, reload the page and "
          "send it again."),
    404: ("Page not found", "There is nothing at this address. Check the link you followed."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("File too large", "The upload is larger than the lab accepts. Simplify or split the "
          "model, then submit it again."),
    429: ("Too many submissions", "You have sent several submissions in a short time. Wait a "
          "while, then try again; contact the lab if this is urgent."),
    500: ("Something went wrong", "The lab's server could not finish your request. Nothing was "
          "saved. Please try again in a few minutes; if it keeps happening, contact the lab."),
    503: ("Please try again in a few minutes",
          "The lab's server cannot take submissions right now. Nothing was saved from this "
          "request, and the lab's files are safe. Please try again in a few minutes; if it "
          "keeps happening, contact the lab."),
}
# What went wrong, in the student's words; the lab's own log has the details.
UNAVAILABLE = {
    faults.FULL: "The lab's storage is full.",
    faults.READ_ONLY: "The lab's storage cannot be written to at the moment.",
    faults.BUSY: "The lab's server is busy.",
    faults.UNREACHABLE: "The lab's server cannot reach its storage or database at the moment.",
}


def page(code: int, title: str | None = None, text: str | None = None,
         link: tuple[str, str] | None = None) -> tuple[str, int]:
    """A message page; `link` (address, words) is offered above the way back to the form."""
    default_title, default_text = PAGES.get(code, PAGES[500])
    return render_template("message.html", title=title or default_title,
                           text=text or default_text, code=code, link=link), code


def too_large_text(limit_mb: int) -> str:
    return (f"The upload is larger than {limit_mb} MB, the most the lab accepts. Simplify or "
            "split the model, then submit it again.")


def _http(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if code == 413:
        from intake.context import desk

        length = request.content_length
        if length is not None and length <= (current_app.config["MAX_CONTENT_LENGTH"] or length):
            # The body is within the limit, so the parser refused a text field (or part count).
            limit_kb = current_app.config["MAX_FORM_MEMORY_SIZE"] // 1024
            return page(413, "A form field is too long",
                        f"One of the form's text fields holds more than {limit_kb} KB, far more "
                        "than it needs. Nothing was saved. Go back, shorten it and send the form "
                        "again.")
        return page(413, text=too_large_text(desk().config.limits.max_upload_mb))
    return page(code)


def _csrf(error: CSRFError) -> tuple[str, int]:
    return page(400)


def _crash(error: Exception) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    reason = faults.unavailable(error)
    if reason is not None:
        log.error("intake unavailable (%s): %s", reason, error, exc_info=error)
        title, text = PAGES[503]
        body, code = page(503, title, f"{UNAVAILABLE[reason]} {text}")
        return body, code, {"Retry-After": "120"}
    log.exception("unhandled error in the intake")
    return page(500)


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _crash)
