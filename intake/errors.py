"""Styled error pages; a student never sees a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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
}


def page(code: int, title: str | None = None, text: str | None = None) -> tuple[str, int]:
    default_title, default_text = PAGES.get(code, PAGES[500])
    return render_template("message.html", title=title or default_title,
                           text=text or default_text, code=code), code


def _http(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if code == 413:
        from intake.context import desk

        limit = desk().config.max_upload_mb
        return page(413, text=f"The upload is larger than {limit} MB, the most the lab accepts. "
                    "Simplify or split the model, then submit it again.")
    return page(code)


def _csrf(error: CSRFError) -> tuple[str, int]:
    return page(400)


def _crash(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error in the intake")
    return page(500)


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _crash)
