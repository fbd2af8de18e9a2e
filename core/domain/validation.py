"""Submission validation of SPEC §5, with one readable message per field."""

from __future__ import annotations

import unicodedata
from pathlib import PurePath

from email_validator import EmailNotValidError, validate_email

from core.config import Config
from core.domain.errors import ValidationError
from core.domain.values import Submission, SubmissionForm

YES = {"yes", "y", "true", "on", "1"}
MAX_FILENAME = 120  # characters kept of a student's file name, extension included


def _clean(text: str) -> str:
    # Collapse runs of whitespace and drop control characters a paste may carry.
    return " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())


def clean_filename(filename: str) -> str:
    """The name a student's file is shown and stored under: the last path part only (Windows
    browsers may send the whole client path), without NUL, control or format characters (a
    right-to-left override could make "gpj.stl" show as "lts.jpg"), at most MAX_FILENAME
    characters with the extension kept."""
    base = PurePath(filename.replace("\\", "/")).name
    text = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text = " ".join(text.split())
    if len(text) > MAX_FILENAME:
        suffix = PurePath(text).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        text = text[: MAX_FILENAME - len(suffix)].rstrip() + suffix
    return text


def extension_of(filename: str) -> str:
    return PurePath(clean_filename(filename)).suffix.lower()


def check_email(value: str) -> tuple[str, str | None]:
    email = value.strip()
    if not email:
        return email, "Enter your email address."
    if len(email) > 100:
        return email, "The email address must be at most 100 characters."
    try:
        info = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return email, f"Enter a valid email address ({exc})."
    return info.normalized, None


def check_file(config: Config, filename: str, size: int | None) -> str | None:
    allowed = ", ".join(config.upload_extensions)
    if not clean_filename(filename):
        return "Choose a model file to upload."
    if extension_of(filename) not in config.upload_extensions:
        return f"The file must be one of {allowed}."
    limit = config.limits.max_upload_mb * 1024 * 1024
    if size is not None and size > limit:
        return f"The file is larger than {config.limits.max_upload_mb} MB."
    if size == 0:
        return "The file is empty."
    return None


def validate_submission(
    config: Config, form: SubmissionForm, filename: str, size: int | None
) -> Submission:
    """Return the clean submission, or raise ValidationError keyed by field name."""
    errors: dict[str, str] = {}
    name = _clean(form.student_name)
    if len(name) < 2 or len(name) > 100:
        errors["student_name"] = "Enter your name (2 to 100 characters)."
    email, email_error = check_email(form.student_email)
    if email_error:
        errors["student_email"] = email_error
    discipline = form.discipline.strip()
    if discipline not in config.disciplines:
        errors["discipline"] = "Choose your discipline from the list."
    class_number = _clean(form.class_number)
    if not class_number:
        errors["class_number"] = 'Enter your class number, e.g. "ARCH 4000", or "N/A".'
    elif len(class_number) > 50:
        errors["class_number"] = "The class number must be at most 50 characters."
    method = config.method(form.print_method.strip())
    color = form.color.strip()
    printer = config.printer(form.printer.strip())
    if method is None:
        errors["print_method"] = "Choose a print method."
        if color:
            errors["color"] = "Choose a print method first, then a color."
    else:
        if color not in method.colors:
            errors["color"] = f"Choose one of the {method.name.lower()} colors."
        if printer is not None and printer.method != method.name:
            errors["printer"] = f"{printer.name} does not print {method.name.lower()}."
    if printer is None:
        errors["printer"] = "Choose a printer."
    if form.consent.strip().lower() not in YES:
        errors["consent"] = "You must accept the minimum charge to submit."
    file_error = check_file(config, filename, size)
    if file_error:
        errors["file"] = file_error
    if errors:
        raise ValidationError(errors)
    assert method is not None and printer is not None
    return Submission(
        student_name=name,
        student_email=email,
        discipline=discipline,
        class_number=class_number,
        print_method=method.name,
        color=color,
        printer=printer.name,
        original_filename=clean_filename(filename),
        extension=extension_of(filename),
        size_bytes=size or 0,
    )
