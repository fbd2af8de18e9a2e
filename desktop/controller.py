"""Turns a staff action into: its dialog (the confirmation), one workflow call on the serial write
worker, and a refresh. Refusals become messages; nothing is half done (the service sees to it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from core.desk import Desk
from core.errors import ConcurrencyError, PrintDeskError, ValidationError
from core.statuses import TRANSITIONS, Action
from core.values import Job
from desktop.dialogs import ApproveDialog, OverrideDialog, RejectDialog, TextDialog, confirm
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

    def request(self, action_name: str, job: Job) -> None:
        action = Action(action_name)
        call = self._ask(action, job)
        if call is not None:
            self.runner.run(call, success=self.changed.emit, failure=self._failed, write=True)

    def save_notes(self, job: Job, notes: str) -> None:
        w = self.desk.workflow
        self.runner.run(lambda: w.edit_notes(job.id, job.version, notes),
                        success=self.changed.emit, failure=self._failed, write=True)

    def mark_reviewed_quietly(self, job: Job) -> None:
        """Opening a new job's detail marks it reviewed (SPEC §3 allows it) without a dialog."""
        w = self.desk.workflow
        self.runner.run(lambda: w.mark_reviewed(job.id, job.version),
                        success=self.updated.emit, failure=lambda _e: None, write=True)

    def _ask(self, action: Action, job: Job) -> Callable[[], Any] | None:
        """Show the action's dialog; the call to make if staff confirmed, else None."""
        w, ref, parent = self.desk.workflow, job.short_id.upper(), self.parent_widget
        jid, ver = job.id, job.version
        if action in SIMPLE:
            if not confirm(parent, TRANSITIONS[action].label, SIMPLE[action].format(ref=ref),
                           TRANSITIONS[action].label):
                return None
            simple: dict[Action, Callable[[], Any]] = {
                Action.START_PRINTING: lambda: w.start_printing(jid, ver),
                Action.COMPLETE: lambda: w.complete(jid, ver),
                Action.RESEND_CONFIRMATION: lambda: w.resend_confirmation(jid, ver),
                Action.MARK_REVIEWED: lambda: w.mark_reviewed(jid, ver),
                Action.MARK_UNREVIEWED: lambda: w.mark_reviewed(jid, ver, reviewed=False),
            }
            return simple[action]
        if action is Action.APPROVE:
            approve = ApproveDialog(parent, self.desk.config, job)
            if not _exec(approve):
                return None
            values = approve.values()
            return lambda: w.approve(jid, ver, **values)
        if action is Action.REJECT:
            reject = RejectDialog(parent, job)
            if not _exec(reject):
                return None
            reasons = reject.reasons()
            return lambda: w.reject(jid, ver, reasons)
        if action is Action.OVERRIDE_STATUS:
            override = OverrideDialog(parent, job)
            if not _exec(override):
                return None
            status, reason, notify = override.values()
            return lambda: w.override_status(jid, ver, status, reason, notify)
        text = self._text_dialog(action, job)
        if text is None:
            return None
        if action is Action.PICKED_UP:
            return lambda: w.picked_up(jid, ver, text)
        if action is Action.PRINT_FAILED:
            return lambda: w.print_failed(jid, ver, text)
        return lambda: w.confirm_on_behalf(jid, ver, text)

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
