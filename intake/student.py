"""Pages a student opens from their links: job status, and confirming or declining a quote."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from core.domain import links
from core.domain.errors import JobNotFound, TokenError
from intake.context import desk
from intake.errors import page

bp = Blueprint("student", __name__)

TOKEN_TITLES = {
    "tampered": "This link is not valid",
    "used": "This link was already used",
    "replaced": "This link was replaced",
    "expired": "This link has expired",
}


def token_page(error: TokenError, token: str) -> tuple[str, int]:
    code = 404 if error.reason == "tampered" else 410
    status = desk().student.status_token_for(token) if error.reason != "tampered" else None
    link = url_for("student.status", token=status) if status else None
    return page(code, TOKEN_TITLES.get(error.reason, "This link is not valid"), str(error),
                link=(link, "See your job's status") if link else None)


@bp.get(links.STATUS + "<token>")
def status(token: str) -> str | tuple[str, int]:
    try:
        view = desk().student.status(token)
    except (TokenError, JobNotFound):
        return page(404, "Job not found", "This status link is not valid. Use the link from "
                    "your confirmation page or email.")
    return render_template("status.html", view=view, job=view.job, token=token)


@bp.get(links.STATUS + "<token>/thumbnail.png")
def thumbnail(token: str) -> Response | tuple[str, int]:
    try:
        data = desk().student.thumbnail(token)
    except (TokenError, JobNotFound):
        data = None
    if data is None:
        return page(404, "No picture yet", "The picture of your model is not ready yet.")
    return Response(data, mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})


@bp.get(links.CONFIRM + "<token>")
def confirm_form(token: str) -> str | tuple[str, int]:
    try:
        job = desk().student.quote(token)
    except TokenError as exc:
        return token_page(exc, token)
    return render_template("confirm.html", job=job, token=token)


@bp.post(links.CONFIRM + "<token>")
def confirm(token: str) -> str | tuple[str, int]:
    choice = request.form.get("choice", "")
    workflow = desk().workflow
    try:
        if choice == "confirm":
            job = workflow.confirm(token)
        elif choice == "decline":
            job = workflow.decline(token)
        else:
            return page(400, "Choose confirm or decline", "Go back and press one of the buttons.")
    except TokenError as exc:
        return token_page(exc, token)
    status_url = url_for("student.status", token=desk().queries.status_token(job.id))
    return render_template("confirmed.html", job=job, confirmed=choice == "confirm",
                           status_url=status_url)
