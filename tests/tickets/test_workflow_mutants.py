"""What portal.tickets.workflow's surviving mutants showed untested
(docs/testing.md, mutation testing): an objection's verification date through
a pause and a transfer, who acted, the default of ``record_event``, and every
refusal's exact fields and words. Expected dates are counted by hand on the
2026 calendar (WIB; 3 April 2026 is Good Friday)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from portal.tickets.workflow import Actor, InvalidTransition, add_note, record_event, transition
from tests.tickets import submit
from tests.tickets.test_workflow import LATER, moves_of, other_office, ticket_in

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")


def test_a_staff_actor_names_its_account():
    """Made inside the test: a module-level actor is built before a mutant is planted."""
    actor = Actor.staff(7, "handler")
    assert (actor.role, actor.staff_id, actor.label) == ("handler", 7, "staff:7")


def test_an_event_says_which_staff_account_moved_the_ticket(keyring):
    ticket = ticket_in(keyring, "in_review")
    with transaction():
        transition(ticket, "field_check", Actor.staff(31, "supervisor"), now=LATER)
    [event] = moves_of(ticket)
    assert event.actor == "staff:31"


def test_an_objections_verification_date_moves_with_a_pause(keyring):
    asked = dt.datetime(2026, 3, 16, 3, tzinfo=dt.UTC)  # Monday 16 March
    replied = dt.datetime(2026, 3, 30, 3, tzinfo=dt.UTC)  # Monday 30 March: 14 days
    ticket = ticket_in(
        keyring, "needs_info", kind="objection", paused_at=asked,
        due_verification=dt.date(2026, 3, 27),
    )  # fmt: skip
    with transaction():
        transition(ticket, "in_review", Actor.resident(), now=replied)
    assert ticket.due_verification == dt.date(2026, 4, 10)  # 27 March + 14 days


def test_an_objections_verification_date_restarts_with_a_transfer(keyring):
    ticket = ticket_in(
        keyring, "in_review", kind="objection", due_verification=dt.date(2026, 3, 27)
    )
    with transaction():
        transition(ticket, "transferred", Actor.staff(7, "handler"),
                   office_id=other_office(ticket), now=LATER)  # fmt: skip
    # Transferred Thursday 26 March: fourteen calendar days from then.
    assert ticket.due_verification == dt.date(2026, 4, 9)


def test_an_event_is_public_unless_said_otherwise(keyring):
    ticket = ticket_in(keyring, "in_review")
    with transaction():
        event = record_event(ticket, Actor.resident(), "evidence_added", now=LATER)
    assert event.public is True


def _refusal(call) -> InvalidTransition:
    with pytest.raises(InvalidTransition) as raised:
        call()
    return raised.value


def _fields(error: InvalidTransition) -> tuple[str, str, str, str]:
    return (error.from_status, error.to_status, error.reason, str(error))


def test_a_move_not_in_the_rule_book_is_refused_with_its_statuses(keyring):
    ticket = ticket_in(keyring, "in_review")
    error = _refusal(lambda: transition(ticket, "accepted", Actor.staff(7, "handler"), now=LATER))
    assert _fields(error) == (
        "in_review", "accepted", "not a move the workflow allows",
        "in_review → accepted: not a move the workflow allows",
    )  # fmt: skip


def test_a_move_by_the_wrong_actor_is_refused_with_its_role(keyring):
    ticket = ticket_in(keyring, "verified")
    error = _refusal(lambda: transition(ticket, "accepted", Actor.resident(), now=LATER))
    assert _fields(error) == (
        "verified", "accepted", "not allowed for resident",
        "verified → accepted: not allowed for resident",
    )  # fmt: skip


@pytest.mark.parametrize("office", [None, "same"])
def test_a_transfer_to_no_other_office_is_refused_with_its_statuses(keyring, office):
    ticket = ticket_in(keyring, "submitted")
    office_id = ticket.office_id if office == "same" else None
    error = _refusal(
        lambda: transition(
            ticket, "transferred", Actor.staff(7, "handler"), office_id=office_id, now=LATER
        )
    )
    assert _fields(error)[:3] == ("submitted", "transferred", "a transfer needs another office")


def test_duplicate_refusals_name_their_statuses(keyring):
    survivor = db.session.get(Ticket, submit(keyring).ticket_id)
    ticket = db.session.get(Ticket, submit(keyring).ticket_id)
    handler = Actor.staff(7, "handler")
    error = _refusal(lambda: transition(ticket, "duplicate", handler, now=LATER))
    assert _fields(error)[:3] == (
        "submitted",
        "duplicate",
        "a duplicate needs the surviving ticket",
    )
    error = _refusal(
        lambda: transition(survivor, "duplicate", handler, duplicate_of=survivor, now=LATER)
    )
    assert _fields(error)[:3] == (
        "submitted",
        "duplicate",
        "a duplicate needs the surviving ticket",
    )
    with transaction():
        transition(ticket, "duplicate", handler, duplicate_of=survivor, now=LATER)
    third = db.session.get(Ticket, submit(keyring).ticket_id)
    error = _refusal(
        lambda: transition(third, "duplicate", handler, duplicate_of=ticket, now=LATER)
    )
    assert _fields(error)[:3] == (
        "submitted", "duplicate", "link to the surviving ticket, not to another duplicate",
    )  # fmt: skip


def test_closing_in_the_appeal_window_is_refused_with_its_end(keyring):
    ticket = ticket_in(keyring, "rejected", appeal_until=dt.date(2026, 4, 7))
    error = _refusal(
        lambda: transition(
            ticket, "closed", Actor.system(), now=dt.datetime(2026, 4, 7, tzinfo=dt.UTC)
        )
    )
    assert _fields(error)[:3] == (
        "rejected", "closed", "the appeal window is open until 2026-04-07",
    )  # fmt: skip


@pytest.mark.parametrize("role", ["resident", "operator"])
def test_a_note_by_anyone_but_the_office_is_refused_with_its_role(keyring, role):
    ticket = ticket_in(keyring, "field_check")
    actor = Actor.resident() if role == "resident" else Actor.staff(3, "operator")
    error = _refusal(lambda: add_note(ticket, actor, "Catatan.", now=LATER, keyring=keyring))
    assert _fields(error) == (
        "field_check", "field_check", f"not allowed for {role}",
        f"field_check → field_check: not allowed for {role}",
    )  # fmt: skip


@pytest.mark.parametrize("note", ["", None])
def test_an_empty_note_is_refused(keyring, note):
    ticket = ticket_in(keyring, "field_check")
    error = _refusal(
        lambda: add_note(ticket, Actor.staff(7, "handler"), note, now=LATER, keyring=keyring)
    )
    assert _fields(error) == (
        "field_check", "field_check", "a note needs text",
        "field_check → field_check: a note needs text",
    )  # fmt: skip
    assert moves_of(ticket) == []


def test_a_refusal_is_a_value_error_with_its_message():
    error = InvalidTransition("a", "b", "why")
    assert isinstance(error, ValueError)
    assert (error.args, error.from_status, error.to_status, error.reason) == (
        ("a → b: why",), "a", "b", "why",
    )  # fmt: skip
