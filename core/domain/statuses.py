"""The job lifecycle of SPEC §3 as data: statuses, actions and the transition table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    UPLOADED = "Uploaded"
    PENDING = "Pending"
    READY_TO_PRINT = "ReadyToPrint"
    PRINTING = "Printing"
    COMPLETED = "Completed"
    PAID_PICKED_UP = "PaidPickedUp"
    REJECTED = "Rejected"


# What people read (tabs, pages); the values above are the folder names and stay as they are.
STATUS_LABELS: dict[Status, str] = {
    Status.UPLOADED: "Uploaded",
    Status.PENDING: "Pending",
    Status.READY_TO_PRINT: "Ready to print",
    Status.PRINTING: "Printing",
    Status.COMPLETED: "Completed",
    Status.PAID_PICKED_UP: "Paid & picked up",
    Status.REJECTED: "Rejected",
}

# Lifecycle order; also the order of the status folders and the console's tabs.
STATUS_ORDER: tuple[Status, ...] = tuple(Status)
FINAL_STATUSES = frozenset({Status.PAID_PICKED_UP, Status.REJECTED})
ACTIVE_STATUSES = frozenset(set(Status) - FINAL_STATUSES)


class Actor(StrEnum):
    STUDENT = "student"
    STAFF = "staff"
    SYSTEM = "system"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CONFIRM_ON_BEHALF = "confirm_on_behalf"
    RESEND_CONFIRMATION = "resend_confirmation"
    START_PRINTING = "start_printing"
    PRINT_FAILED = "print_failed"
    COMPLETE = "complete"
    PICKED_UP = "picked_up"
    OVERRIDE_STATUS = "override_status"
    MARK_REVIEWED = "mark_reviewed"
    MARK_UNREVIEWED = "mark_unreviewed"
    EDIT_NOTES = "edit_notes"
    EDIT_FIELDS = "edit_fields"
    USE_FILE = "use_file"  # staff choose which file "Open in slicer" opens and quotes from
    # Not user actions: written by start-up repair and `printdesk doctor --repair`, and by the
    # worker when it reminds a student, picks up a sliced file or estimates a quote.
    REPAIR = "repair"
    REMINDER = "reminder"
    SLICED_FILE = "sliced_file"
    ESTIMATE = "estimate"


SYSTEM_ACTIONS = frozenset({Action.REPAIR, Action.REMINDER, Action.SLICED_FILE, Action.ESTIMATE})


ANY: frozenset[Status] = frozenset(Status)


@dataclass(frozen=True)
class Rule:
    action: Action
    actor: Actor
    sources: frozenset[Status]
    # None: the job stays where it is; for override the caller names the target.
    target: Status | None
    label: str


def _rule(
    action: Action, actor: Actor, sources: set[Status] | frozenset[Status], target: Status | None,
    label: str,
) -> Rule:
    return Rule(action, actor, frozenset(sources), target, label)


S = Status
TRANSITIONS: dict[Action, Rule] = {
    r.action: r
    for r in (
        _rule(Action.APPROVE, Actor.STAFF, {S.UPLOADED}, S.PENDING, "Approve"),
        _rule(Action.REJECT, Actor.STAFF, {S.UPLOADED, S.PENDING}, S.REJECTED, "Reject"),
        _rule(Action.CONFIRM, Actor.STUDENT, {S.PENDING}, S.READY_TO_PRINT, "Confirm"),
        _rule(Action.DECLINE, Actor.STUDENT, {S.PENDING}, S.REJECTED, "Decline"),
        _rule(Action.CONFIRM_ON_BEHALF, Actor.STAFF, {S.PENDING}, S.READY_TO_PRINT,
              "Confirm on behalf"),
        _rule(Action.RESEND_CONFIRMATION, Actor.STAFF, {S.PENDING}, None, "Resend confirmation"),
        _rule(Action.START_PRINTING, Actor.STAFF, {S.READY_TO_PRINT}, S.PRINTING,
              "Start printing"),
        _rule(Action.PRINT_FAILED, Actor.STAFF, {S.PRINTING}, S.READY_TO_PRINT, "Print failed"),
        _rule(Action.COMPLETE, Actor.STAFF, {S.PRINTING}, S.COMPLETED, "Complete"),
        _rule(Action.PICKED_UP, Actor.STAFF, {S.COMPLETED}, S.PAID_PICKED_UP, "Picked up"),
        _rule(Action.OVERRIDE_STATUS, Actor.STAFF, ANY, None, "Override status"),
        _rule(Action.MARK_REVIEWED, Actor.STAFF, ANY, None, "Mark reviewed"),
        _rule(Action.MARK_UNREVIEWED, Actor.STAFF, ANY, None, "Mark unreviewed"),
        _rule(Action.EDIT_NOTES, Actor.STAFF, ANY, None, "Edit notes"),
        _rule(Action.EDIT_FIELDS, Actor.STAFF, ANY, None, "Edit fields"),
        _rule(Action.USE_FILE, Actor.STAFF, ANY, None, "Use this file"),
    )
}


def allowed_actions(status: Status, actor: Actor = Actor.STAFF) -> tuple[Action, ...]:
    """Actions `actor` may take on a job in `status`, in table order (for menus and buttons)."""
    return tuple(
        a for a, r in TRANSITIONS.items() if status in r.sources and r.actor == actor
    )


def is_allowed(action: Action, status: Status) -> bool:
    rule = TRANSITIONS.get(action)
    return rule is not None and status in rule.sources
