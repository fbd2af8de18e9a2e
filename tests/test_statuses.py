"""The job lifecycle table of SPEC §3, written out independently of core.domain.statuses.TRANSITIONS."""

import pytest

from core.domain.statuses import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    STATUS_ORDER,
    SYSTEM_ACTIONS,
    TRANSITIONS,
    Action,
    Actor,
    Status,
    allowed_actions,
    is_allowed,
)

U, P, R, PR, C, PU, X = (
    Status.UPLOADED, Status.PENDING, Status.READY_TO_PRINT, Status.PRINTING,
    Status.COMPLETED, Status.PAID_PICKED_UP, Status.REJECTED,
)
EVERY = {U, P, R, PR, C, PU, X}
SAME = "same"  # the job stays in its status
CHOSEN = "chosen"  # the caller names the target (override)

# action: (who, from, to) — copied from the table in SPEC §3, in the table's order.
SPEC_TABLE = {
    Action.SUBMIT: ("student", set(), U),  # from "—": creates a job, never acts on one
    Action.APPROVE: ("staff", {U}, P),
    Action.REJECT: ("staff", {U, P}, X),
    Action.CONFIRM: ("student", {P}, R),
    Action.DECLINE: ("student", {P}, X),
    Action.CONFIRM_ON_BEHALF: ("staff", {P}, R),
    Action.RESEND_CONFIRMATION: ("staff", {P}, SAME),
    Action.START_PRINTING: ("staff", {R}, PR),
    Action.PRINT_FAILED: ("staff", {PR}, R),
    Action.COMPLETE: ("staff", {PR}, C),
    Action.PICKED_UP: ("staff", {C}, PU),
    Action.OVERRIDE_STATUS: ("staff", EVERY, CHOSEN),
    Action.MARK_REVIEWED: ("staff", EVERY, SAME),
    Action.MARK_UNREVIEWED: ("staff", EVERY, SAME),
    Action.EDIT_NOTES: ("staff", EVERY, SAME),
    Action.EDIT_FIELDS: ("staff", EVERY, SAME),
    Action.USE_FILE: ("staff", EVERY, SAME),  # which file "Open in slicer" opens (SPEC §6)
}
USER_ACTIONS = [a for a in Action if a not in SYSTEM_ACTIONS]


def test_status_names_and_lifecycle_order():
    assert [s.value for s in STATUS_ORDER] == [
        "Uploaded", "Pending", "ReadyToPrint", "Printing", "Completed", "PaidPickedUp", "Rejected",
    ]
    assert {PU, X} == FINAL_STATUSES
    assert {U, P, R, PR, C} == ACTIVE_STATUSES


def test_the_expected_table_covers_every_user_action():
    assert set(SPEC_TABLE) == set(USER_ACTIONS)


@pytest.mark.parametrize("status", list(Status), ids=str)
@pytest.mark.parametrize("action", USER_ACTIONS, ids=str)
def test_is_allowed_matches_spec_table(action, status):
    expected = status in SPEC_TABLE[action][1]
    assert is_allowed(action, status) is expected


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_submit_never_applies_to_an_existing_job(status):
    assert not is_allowed(Action.SUBMIT, status)
    assert Action.SUBMIT not in allowed_actions(status, Actor.STUDENT)
    assert Action.SUBMIT not in allowed_actions(status, Actor.STAFF)


@pytest.mark.parametrize("action", [a for a in USER_ACTIONS if a is not Action.SUBMIT], ids=str)
def test_rule_actor_and_target_match_spec(action):
    who, _, to = SPEC_TABLE[action]
    rule = TRANSITIONS[action]
    assert rule.actor == Actor(who)
    if to in (SAME, CHOSEN):
        assert rule.target is None
    else:
        assert rule.target == to


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_system_actions_are_not_offered_to_anyone(status):
    for actor in Actor:
        assert not set(allowed_actions(status, actor)) & SYSTEM_ACTIONS


STAFF_ALWAYS = (
    Action.OVERRIDE_STATUS, Action.MARK_REVIEWED, Action.MARK_UNREVIEWED,
    Action.EDIT_NOTES, Action.EDIT_FIELDS, Action.USE_FILE,
)
STAFF_MENUS = {
    U: (Action.APPROVE, Action.REJECT, *STAFF_ALWAYS),
    P: (Action.REJECT, Action.CONFIRM_ON_BEHALF, Action.RESEND_CONFIRMATION, *STAFF_ALWAYS),
    R: (Action.START_PRINTING, *STAFF_ALWAYS),
    PR: (Action.PRINT_FAILED, Action.COMPLETE, *STAFF_ALWAYS),
    C: (Action.PICKED_UP, *STAFF_ALWAYS),
    PU: STAFF_ALWAYS,
    X: STAFF_ALWAYS,
}


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_staff_menu_in_table_order(status):
    assert allowed_actions(status, Actor.STAFF) == STAFF_MENUS[status]


def test_staff_is_the_default_actor():
    for status in Status:
        assert allowed_actions(status) == allowed_actions(status, Actor.STAFF)


def test_staff_cannot_use_the_students_token_actions():
    for status in Status:
        staff = allowed_actions(status, Actor.STAFF)
        assert Action.CONFIRM not in staff
        assert Action.DECLINE not in staff


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_student_may_only_confirm_or_decline_a_pending_job(status):
    expected = (Action.CONFIRM, Action.DECLINE) if status is P else ()
    assert allowed_actions(status, Actor.STUDENT) == expected


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_system_actor_has_no_menu(status):
    assert allowed_actions(status, Actor.SYSTEM) == ()


def test_final_statuses_can_only_be_left_by_override():
    for status in FINAL_STATUSES:
        moving = [
            a for a in allowed_actions(status, Actor.STAFF) + allowed_actions(status, Actor.STUDENT)
            if TRANSITIONS[a].target is not None
        ]
        assert moving == []
        assert is_allowed(Action.OVERRIDE_STATUS, status)
