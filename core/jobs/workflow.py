"""The workflow service: every state change of SPEC §3 goes through here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.domain import pricing, tokens
from core.domain.errors import JobNotFound, TokenError, TransitionRefused, ValidationError
from core.domain.statuses import Action, Status
from core.domain.validation import validate_submission
from core.domain.values import STUDENT_FIELDS, SubmissionForm, SubmitResult, Upload
from core.jobs import kept
from core.jobs.student import USED, check_confirmation
from core.jobs.submit import submit
from core.jobs.suggestions import read_values
from core.jobs.unit import Changed, Draft, transition
from core.mail import messages
from core.mesh.thumbnails import THUMBNAIL
from storage.filestore import METADATA, StoreError
from storage.tables import JobRow

if TYPE_CHECKING:
    from core.context import Context

MAX_NOTE = 2000
MAX_NOTES = 20_000
DECLINED = "Declined by student"
QUOTE_FIELDS = ("material", "weight_g", "print_time_h")
EDITABLE = STUDENT_FIELDS + QUOTE_FIELDS


def _required_text(value: str, field: str, what: str, limit: int = MAX_NOTE) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise ValidationError({field: f"Enter {what}."})
    if len(text) > limit:
        raise ValidationError({field: f"{what.capitalize()} must be at most {limit} characters."})
    return text


class Workflow:
    def __init__(self, desk: Context) -> None:
        self.desk = desk
        self.config = desk.config

    # --- student ---------------------------------------------------------------------------

    def submit(self, form: SubmissionForm, upload: Upload, *,
               keep_on_refusal: bool = False) -> SubmitResult:
        return submit(self.desk, form, upload, keep_on_refusal=keep_on_refusal)

    def kept_upload(self, token: str) -> Upload:
        """The upload a refused form kept (core.jobs.kept); TokenError once it is gone."""
        return kept.take(self.desk, token)

    def drop_kept_upload(self, token: str) -> None:
        kept.drop(self.desk, token)

    def check_form(self, form: SubmissionForm) -> None:
        """The field rules alone, for a form that came without a file."""
        try:
            validate_submission(self.config, form, "", None)
        except ValidationError as exc:
            errors = {k: v for k, v in exc.errors.items() if k != "file"}
            if errors:
                raise ValidationError(errors) from None

    def confirm(self, token: str) -> Changed:
        return self._by_token(token, Action.CONFIRM)

    def decline(self, token: str) -> Changed:
        return self._by_token(token, Action.DECLINE)

    def _by_token(self, token: str, action: Action) -> Changed:
        job_id, nonce = tokens.read_confirm_token(self.desk.secret, token)

        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            check_confirmation(row, nonce, self.desk.now())
            row.confirm_nonce = None
            if action is Action.DECLINE:
                row.reject_reasons = [DECLINED]
                return {"reasons": [DECLINED]}
            return {"cost": str(row.cost)}

        try:
            return transition(self.desk, job_id, action, expected_version=None, apply=apply)
        except TransitionRefused:
            raise TokenError("used", USED) from None
        except JobNotFound:
            raise TokenError("tampered", "This confirmation link is not valid.") from None

    # --- staff -----------------------------------------------------------------------------

    def approve(
        self, job_id: str, version: int | None, *, weight_g: object, print_time_h: object,
        material: str, printer: str,
    ) -> Changed:
        quote = self._quote(material, printer, weight_g, print_time_h)

        def apply(draft: Draft, row: JobRow) -> dict[str, Any]:
            row.material, row.printer = material, printer
            row.weight_g, row.print_time_h, row.cost = quote.weight_g, quote.hours_billed, quote.total
            self._new_confirmation(row)
            draft.message(messages.approval(self.desk, row))
            return {
                "weight_g": str(quote.weight_g), "print_time_h": str(quote.hours_entered),
                "billed_hours": str(quote.hours_billed), "material": material,
                "printer": printer, "cost": str(quote.total),
                "minimum_applied": quote.minimum_applied,
            }

        return transition(self.desk, job_id, Action.APPROVE, expected_version=version, apply=apply)

    def reject(self, job_id: str, version: int | None, reasons: Iterable[str]) -> Changed:
        clean = list(dict.fromkeys(" ".join(r.split()) for r in reasons if r and r.strip()))
        if not clean:
            raise ValidationError({"reasons": "Give at least one reason for the rejection."})
        if any(len(r) > MAX_NOTE for r in clean):
            raise ValidationError({"reasons": f"Each reason must be at most {MAX_NOTE} characters."})

        def apply(draft: Draft, row: JobRow) -> dict[str, Any]:
            row.reject_reasons, row.confirm_nonce = clean, None
            draft.message(messages.rejection(self.desk, row))
            return {"reasons": clean}

        return transition(self.desk, job_id, Action.REJECT, expected_version=version, apply=apply)

    def confirm_on_behalf(self, job_id: str, version: int | None, note: str) -> Changed:
        text = _required_text(note, "note", "a note (e.g. \"confirmed in person\")")

        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            row.confirm_nonce = None
            return {"note": text}

        return transition(self.desk, job_id, Action.CONFIRM_ON_BEHALF, expected_version=version,
                   apply=apply)

    def resend_confirmation(self, job_id: str, version: int | None) -> Changed:
        def apply(draft: Draft, row: JobRow) -> dict[str, Any]:
            if row.cost is None:
                raise ValidationError({"quote": "This job has no quote to confirm: override "
                                       "it to Uploaded and approve it with a quote."})
            self._new_confirmation(row)
            draft.message(messages.confirmation_resent(self.desk, row))
            return {"expires_at": row.confirm_expires_at.isoformat() if row.confirm_expires_at
                    else None}

        return transition(self.desk, job_id, Action.RESEND_CONFIRMATION, expected_version=version,
                   apply=apply)

    def start_printing(self, job_id: str, version: int | None) -> Changed:
        return transition(self.desk, job_id, Action.START_PRINTING, expected_version=version,
                   apply=lambda _d, _r: {})

    def print_failed(self, job_id: str, version: int | None, note: str) -> Changed:
        text = _required_text(note, "note", "what went wrong")
        return transition(self.desk, job_id, Action.PRINT_FAILED, expected_version=version,
                   apply=lambda _d, _r: {"note": text})

    def complete(self, job_id: str, version: int | None) -> Changed:
        def apply(draft: Draft, row: JobRow) -> dict[str, Any]:
            draft.message(messages.completion(self.desk, row))
            return {}

        return transition(self.desk, job_id, Action.COMPLETE, expected_version=version,
                          apply=apply)

    def picked_up(self, job_id: str, version: int | None, amount_paid: object) -> Changed:
        try:
            amount = pricing.money(pricing.to_decimal(amount_paid, "The amount paid"))
        except ValueError as exc:
            raise ValidationError({"amount_paid": str(exc)}) from None
        if amount < 0:
            raise ValidationError({"amount_paid": "The amount paid cannot be negative."})

        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            row.amount_paid = amount
            return {"amount_paid": str(amount), "cost": str(row.cost) if row.cost else None}

        return transition(self.desk, job_id, Action.PICKED_UP, expected_version=version, apply=apply)

    def override_status(
        self, job_id: str, version: int | None, target: Status | str, reason: str,
        notify: bool = False, quote: Mapping[str, object] | None = None,
    ) -> Changed:
        """Move a job out of the usual rules. Into Pending only with a quote (the student is
        asked to confirm a cost): the job's own, or `quote` (weight_g, print_time_h, material,
        printer) given here."""
        try:
            status = Status(target)
        except ValueError:
            raise ValidationError({"status": f"Unknown status {target!r}."}) from None
        text = _required_text(reason, "reason", "a reason for the override")
        priced = None
        if quote is not None:
            priced = self._quote(str(quote.get("material", "")), str(quote.get("printer", "")),
                                 quote.get("weight_g"), quote.get("print_time_h"))

        def apply(draft: Draft, row: JobRow) -> dict[str, Any]:
            if row.status == status.value:
                raise ValidationError({"status": f"The job is already {status.value}."})
            details: dict[str, Any] = {"from": row.status, "to": status.value, "reason": text,
                                       "notify": notify}
            if status is Status.PENDING:
                if priced is not None:
                    row.material, row.printer = str(quote["material"]), str(quote["printer"])
                    row.weight_g, row.print_time_h = priced.weight_g, priced.hours_billed
                    row.cost = priced.total
                    details["cost"] = str(priced.total)
                if row.cost is None:
                    raise ValidationError({"quote": "A job goes to Pending only with a quote "
                                           "for the student to confirm: give its weight and "
                                           "print time."})
                self._new_confirmation(row)
            else:
                row.confirm_nonce = None
            if notify:
                # Back to Pending with a quote: the student needs the new link, not just news.
                draft.message(messages.confirmation_resent(self.desk, row) if row.confirm_nonce
                              else messages.status_changed(self.desk, row, text, status))
            return details

        return transition(self.desk, job_id, Action.OVERRIDE_STATUS, expected_version=version,
                          apply=apply, target=status)

    def mark_reviewed(self, job_id: str, version: int | None, reviewed: bool = True) -> Changed:
        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            row.reviewed = reviewed
            return {}

        action = Action.MARK_REVIEWED if reviewed else Action.MARK_UNREVIEWED
        return transition(self.desk, job_id, action, expected_version=version, apply=apply)

    def edit_notes(self, job_id: str, version: int | None, notes: str) -> Changed:
        text = (notes or "").strip()
        if len(text) > MAX_NOTES:
            raise ValidationError({"notes": f"Notes must be at most {MAX_NOTES} characters."})

        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            row.staff_notes = text
            return {"notes": text}

        return transition(self.desk, job_id, Action.EDIT_NOTES, expected_version=version, apply=apply)

    def use_file(self, job_id: str, version: int | None, name: str) -> Changed:
        """Staff choose which file of the job's folder "Open in slicer" opens (the student's
        model, or one of several sliced files); a sliced one's values become the suggestion."""
        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            store = self.desk.store
            try:
                path = store.file_in(store.job_dir(row.status, row.folder_name), name)
            except StoreError:
                path = None
            if path is None or not path.is_file() or name in (METADATA, THUMBNAIL):
                raise ValidationError({"file": f"{name} is not a file of this job that a slicer "
                                       "can open."})
            if name == row.authoritative_file:
                raise ValidationError({"file": f"{name} is already the file that opens."})
            details: dict[str, Any] = {"file": name, "before": row.authoritative_file}
            if name != row.upload_file:
                read, offered = read_values(self.desk, path, row.print_method, row.printer)
                if offered is not None:
                    row.quote_suggestion = offered
                details["summary"] = read.get("summary") or read.get("error", "")
            row.authoritative_file = name
            return details

        return transition(self.desk, job_id, Action.USE_FILE, expected_version=version,
                          apply=apply)

    def edit_fields(self, job_id: str, version: int | None, changes: Mapping[str, object]) -> Changed:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValidationError({k: "This field cannot be edited." for k in sorted(unknown)})

        def apply(_d: Draft, row: JobRow) -> dict[str, Any]:
            merged = {k: changes.get(k, getattr(row, k)) for k in EDITABLE}
            form = SubmissionForm(
                **{k: str(merged[k] or "") for k in STUDENT_FIELDS}, consent="yes"
            )
            clean = validate_submission(self.config, form, row.original_filename, None)
            values: dict[str, Any] = {k: getattr(clean, k) for k in STUDENT_FIELDS}
            quoted = any(merged[k] not in (None, "") for k in QUOTE_FIELDS)
            if quoted:
                quote = self._quote(str(merged["material"] or clean.print_method), clean.printer,
                                    merged["weight_g"], merged["print_time_h"])
                values.update(material=str(merged["material"] or clean.print_method),
                              weight_g=quote.weight_g, print_time_h=quote.hours_billed,
                              cost=quote.total)
            diff = {
                k: [_text(getattr(row, k)), _text(v)] for k, v in values.items()
                if getattr(row, k) != v
            }
            if not diff:
                raise ValidationError({"fields": "Nothing was changed."})
            for key, value in values.items():
                setattr(row, key, value)
            return {"changes": diff}

        return transition(self.desk, job_id, Action.EDIT_FIELDS, expected_version=version, apply=apply)

    # --- helpers ----------------------------------------------------------------------------

    def _quote(self, material: str, printer: str, weight: object, hours: object) -> pricing.Quote:
        errors: dict[str, str] = {}
        machine = self.config.printer(printer)
        if material not in self.config.pricing.per_gram:
            errors["material"] = "Choose a material."
        if machine is None:
            errors["printer"] = "Choose a printer."
        elif machine.method != material and "material" not in errors:
            errors["printer"] = f"{printer} does not print {material.lower()}."
        for field, value, label in (("weight_g", weight, "Weight"),
                                    ("print_time_h", hours, "Print time")):
            try:
                number = pricing.to_decimal(value, label)
            except ValueError as exc:
                errors[field] = f"{exc}."
                continue
            if number <= 0:
                errors[field] = f"{label} must be more than 0."
            elif number > Decimal("100000"):
                errors[field] = f"{label} is implausibly large."
        if errors:
            raise ValidationError(errors)
        return pricing.quote(self.config, material, printer, weight, hours)

    def _new_confirmation(self, row: JobRow) -> None:
        row.confirm_nonce = tokens.new_nonce()
        row.confirm_expires_at = self.desk.now() + timedelta(days=self.config.limits.confirmation_days)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
