"""The submission form, its handling, and the success page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core.config import Config
from core.domain import links
from core.domain.defaults import METHOD_DESCRIPTIONS
from core.domain.errors import JobNotFound, TokenError, ValidationError
from core.domain.values import FORM_FIELDS, SubmissionForm
from core.jobs.kept import KeptUpload
from intake.context import desk
from intake.uploads import forget_spool, spooled_upload

bp = Blueprint("submit", __name__)

INTRO = (
    "Before submitting your model for 3D printing, please ensure you have thoroughly reviewed "
    "our Additive Manufacturing Moodle page, read all the guides, and checked the checklist. If "
    "necessary, revisit and fix your model before submission. Your model must be scaled and "
    "simplified appropriately, often requiring a second version specifically optimized for 3D "
    "printing. We will not print models that are broken, messy, or too large. Your model must "
    "follow the rules and constraints of the machine. We will not fix or scale your model as we "
    "do not know your specific needs or project requirements. We print exactly what you send "
    "us; if the scale is wrong or you are unsatisfied with the product, it is your "
    "responsibility. We will gladly print another model for you at an additional cost. We are "
    "only responsible for print failures due to issues under our control."
)


def render_form(values: dict[str, str], errors: dict[str, str], status: int = 200,
                kept: KeptUpload | None = None) -> tuple[str, int]:
    config: Config = desk().config
    return render_template(
        "form.html", intro=INTRO, values=values, errors=errors, config=config, kept=kept,
        descriptions={m.name: m.description or METHOD_DESCRIPTIONS.get(m.name, "")
                      for m in config.methods},
        max_bytes=config.limits.max_upload_mb * 1024 * 1024,
        accept=",".join(config.upload_extensions),
    ), status


@bp.get("/")
def form() -> tuple[str, int]:
    return render_form({}, {})


@bp.post("/")
def post() -> Response | tuple[str, int]:
    values = {k: request.form.get(k, "")[:500] for k in FORM_FIELDS}
    storage = request.files.get("file")
    upload = spooled_upload(storage) if storage and storage.filename else None
    kept_token = request.form.get("kept_upload", "")[:2000]
    errors: dict[str, str] = {}
    if upload is not None and kept_token:
        desk().workflow.drop_kept_upload(kept_token)  # a new file replaces the kept one
    elif upload is None and kept_token:
        try:
            upload = desk().workflow.kept_upload(kept_token)
        except TokenError as exc:
            errors = {"file": str(exc)}
    if upload is None:
        errors = errors or {"file": "Choose a model file to upload."}
        try:  # the other fields are still checked so every error shows at once
            desk().workflow.check_form(SubmissionForm(**values))
        except ValidationError as exc:
            errors = {**exc.errors, **errors}
        return render_form(values, errors, 400)
    try:
        result = desk().workflow.submit(SubmissionForm(**values), upload, keep_on_refusal=True)
    except ValidationError as exc:
        kept = exc.kept if isinstance(exc.kept, KeptUpload) else None
        if kept is not None:
            forget_spool(upload)  # core keeps it now; the request's clean-up must not remove it
        return render_form(values, exc.errors, 400, kept)
    return redirect(url_for("submit.success", token=result.status_token), code=303)


@bp.get(links.SUBMITTED + "<token>")
def success(token: str) -> str:
    try:
        view = desk().student.status(token)
    except (TokenError, JobNotFound):
        abort(404)
    return render_template("success.html", job=view.job, token=token)


@bp.get("/theme.css")
def theme() -> Response:
    config = desk().config
    css = f":root {{ --primary: {config.lab.primary_color}; --accent: {config.lab.accent_color}; }}\n"
    return Response(css, mimetype="text/css", headers={"Cache-Control": "max-age=300"})


@bp.get("/healthz")
def health() -> tuple[dict[str, str], int]:
    checks = desk().health()
    ok = all(v == "ok" for v in checks.values())
    return {"status": "ok" if ok else "failing", **checks}, 200 if ok else 503
