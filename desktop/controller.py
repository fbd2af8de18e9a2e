"""Turns a staff action into: its dialog (the confirmation), one workflow call on the serial write
worker, and a refresh. Refusals become messages; nothing is half done (the service sees to it)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from core.desk import Desk
from core.domain.errors import ConcurrencyError, PrintDeskError, ValidationError
from core.domain.statuses import TRANSITIONS, Action
from core.domain.values import Job
from desktop.dialogs import ApproveDialog, OverrideDialog, RejectDialog, TextDialog, confirm
from desktop.edit_dialog import EditDialog
from desktop.tasks import TaskRunner

SIMPLE = {
    Action.START_PRINTING: "Start printing {ref}? It moves to Printing.",
    Action.COMPLETE: "Mark {ref} as printed? It moves to Completed, ready for pickup.",
    Action.RESEND_CONFIRMATION: "Send {ref}'s student a new confirmation link? The old link "
                                "stops working.",
    Action.MARK_REVIEWED: "Mark {ref} as reviewed?",
    Action.MARK_UNREVIEWED: "Mark {ref} as new (not reviewed) again?",
}


def _exec(dialog: QDialog) -> bool:
    """Run a dialog; it is deleted once control returns to Qt (its values stay readable until
    then), so dialogs neither pile up under the window nor die later in Python's cleanup."""
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return accepted


class ActionController(QObject):
    changed = Signal(object)  # the Job after a successful action
    updated = Signal(object)  # the Job after a change made without asking (no message)
    refused = Signal(str)  # a message shown to staff; the view refreshes

    def __init__(self, desk: Desk, runner: TaskRunner, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.desk, self.runner, self.parent_widget = desk, runner, parent_widget
        # job id -> {version staff saw: version this console's own writes left it at}; touched
        # only by the serial write worker, so no lock is needed.
        self._moved: dict[str, dict[int, int]] = {}

    def request(self, action_name: str, job: Job) -> None:
        action = Action(action_name)
        call = self._ask(action, job)
        if call is not None and not getattr(self.parent_widget, "locked", False):
            # (the console may have locked itself while the dialog was open)
            self._write(job, call, self.changed.emit, self._failed)

    def save_notes(self, job: Job, notes: str) -> None:
        w = self.desk.workflow
        self._write(job, lambda v: w.edit_notes(job.id, v, notes), self.changed.emit, self._failed)

    def use_file(self, job: Job, name: str) -> None:
        w = self.desk.workflow
        self._write(job, lambda v: w.use_file(job.id, v, name), self.changed.emit, self._failed)

    def mark_reviewed_quietly(self, job: Job) -> None:
        """Opening a new job's file marks it reviewed (SPEC §3 allows it) without a dialog."""
        w = self.desk.workflow
        self._write(job, lambda v: w.mark_reviewed(job.id, v), self.updated.emit, lambda _e: None)

    def _write(self, job: Job, call: Callable[[int], Job], success: Callable[[Job], None],
               failure: Callable[[BaseException], None]) -> None:
        """Run on the serial write worker with the version to expect. If this console's own
        earlier action moved the job on since staff clicked, expect the version it produced:
        only someone else's change is a conflict."""
        def work() -> Job:
            moved = self._moved.setdefault(job.id, {})
            version = moved.get(job.version, job.version)
            result = call(version)
            for seen, latest in list(moved.items()):
                if latest == version:
                    moved[seen] = result.version
            moved[version] = result.version
            return result

        self.runner.run(work, success=success, failure=failure, write=True)

    def _ask(self, action: Action, job: Job) -> Callable[[int], Job] | None:
        """Show the action's dialog; the call to make if staff confirmed, else None."""
        w, ref, parent = self.desk.workflow, job.short_id.upper(), self.parent_widget
        jid = job.id
        if action in SIMPLE:
            if not confirm(parent, TRANSITIONS[action].label, SIMPLE[action].format(ref=ref),
                           TRANSITIONS[action].label):
                return None
            simple: dict[Action, Callable[[int], Job]] = {
                Action.START_PRINTING: lambda v: w.start_printing(jid, v),
                Action.COMPLETE: lambda v: w.complete(jid, v),
                Action.RESEND_CONFIRMATION: lambda v: w.resend_confirmation(jid, v),
                Action.MARK_REVIEWED: lambda v: w.mark_reviewed(jid, v),
                Action.MARK_UNREVIEWED: lambda v: w.mark_reviewed(jid, v, reviewed=False),
            }
            return simple[action]
        if action is Action.APPROVE:
            approve = ApproveDialog(parent, self.desk.config, job)
            if not _exec(approve):
                return None
            values = approve.values()
            return lambda v: w.approve(jid, v, **values)
        if action is Action.REJECT:
            reject = RejectDialog(parent, job)
            if not _exec(reject):
                return None
            reasons = reject.reasons()
            return lambda v: w.reject(jid, v, reasons)
        if action is Action.OVERRIDE_STATUS:
            override = OverrideDialog(parent, job, self.desk.config)
            if not _exec(override):
                return None
            status, reason, notify, quote = override.values()
            return lambda v: w.override_status(jid, v, status, reason, notify, quote)
        if action is Action.EDIT_FIELDS:
            edit = EditDialog(parent, self.desk.config, job)
            if not _exec(edit):
                return None
            changes = edit.changes()
            if not changes:
                return None
            return lambda v: w.edit_fields(jid, v, changes)
        text = self._text_dialog(action, job)
        if text is None:
            return None
        if action is Action.PICKED_UP:
            return lambda v: w.picked_up(jid, v, text)
        if action is Action.PRINT_FAILED:
            return lambda v: w.print_failed(jid, v, text)
        return lambda v: w.confirm_on_behalf(jid, v, text)

    def _text_dialog(self, action: Action, job: Job) -> str | None:
        ref = job.short_id.upper()
        if action is Action.PICKED_UP:
            dialog = TextDialog(self.parent_widget, f"Picked up {ref}", "Record &pickup",
                                "Amount &paid ($)", f"The quoted cost was ${job.cost}.",
                                initial=str(job.cost or ""))
        elif action is Action.PRINT_FAILED:
            dialog = TextDialog(self.parent_widget, f"Print failed: {ref}", "Back to &queue",
                                "&What went wrong", "The job goes back to Ready to print.",
                                placeholder="e.g. spaghetti at layer 40")
        else:
            dialog = TextDialog(self.parent_widget, f"Confirm {ref} on behalf of the student",
                                "&Confirm", "&Note", "Record how the student confirmed the cost.",
                                initial="Confirmed in person")
        if not _exec(dialog):
            return None
        return dialog.text()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ConcurrencyError):
            text = str(error)
        elif isinstance(error, ValidationError):
            text = "\n".join(error.errors.values())
        elif isinstance(error, PrintDeskError):
            text = str(error)
        else:
            text = f"The action could not be completed: {error}"
        self.refused.emit(text)  # shown in the window's banner: calm, and nothing to dismiss
