"""Issue 9, §6: behaviours of the ticket domain that planted faults slipped
past. Each expected value is written out here by hand, never read from the
code under test."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets.drafts import load_draft, save_draft
from portal.tickets.models import OutboxMessage, Ticket
from portal.tickets.service import InvalidAnswers, submit_ticket
from portal.tickets.workflow import MOVES, Actor, InvalidTransition, transition
from tests.factories import VILLAGE
from tests.tickets import NOW, answers, make_household, submit
from tests.tickets.test_workflow import LATER, ticket_in

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")

#: Another desa in another kecamatan of the same regency as ``VILLAGE``.
OTHER_VILLAGE = "32.01.02.2001"


# A household found by lookup belongs to the village the request names ----------------


def _own(household_id: int, **over):
    return answers(
        subkind="own_household",
        household_id=household_id,
        subject_name=None,
        subject_address=None,
        **over,
    )


def test_a_registry_household_must_be_in_the_village_the_request_names(keyring):
    household = make_household(keyring, VILLAGE)
    with pytest.raises(InvalidAnswers, match="another village"), transaction():
        submit_ticket(
            _own(household, village_code=OTHER_VILLAGE),
            idempotency_key="k",
            keyring=keyring,
            now=NOW,
        )
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_registry_household_takes_its_own_village(keyring):
    household = make_household(keyring, VILLAGE)
    result = submit(keyring, _own(household, village_code=None))
    assert db.session.get(Ticket, result.ticket_id).village_code == VILLAGE
    same = submit(keyring, _own(household, village_code=VILLAGE))
    assert db.session.get(Ticket, same.ticket_id).village_code == VILLAGE


# A repeated send removes its draft ------------------------------------------------------


def test_a_repeated_send_removes_its_draft(keyring):
    submit(keyring, key="form-1")
    with transaction():
        draft_id = save_draft("proposal", {"subkind": "other_household"}, keyring=keyring, now=NOW)
    assert load_draft(draft_id, keyring=keyring, now=NOW) is not None

    again = submit(keyring, key="form-1", draft_id=draft_id)

    assert again.already_submitted
    assert load_draft(draft_id, keyring=keyring, now=NOW) is None


def test_a_first_send_removes_its_draft_too(keyring):
    with transaction():
        draft_id = save_draft("proposal", {"subkind": "other_household"}, keyring=keyring, now=NOW)
    submit(keyring, key="form-2", draft_id=draft_id)
    assert load_draft(draft_id, keyring=keyring, now=NOW) is None


# The moves: an independent table of DESIGN.md §4's drawing ---------------------------

OFFICE = {"handler", "supervisor"}
#: (from, to): (who, event). Written from DESIGN.md §4 and the practical
#: additions listed in workflow.py's docstring, not from ``MOVES``.
EXPECTED_MOVES = {
    ("submitted", "in_review"): (OFFICE, "triaged"),
    ("transferred", "in_review"): (OFFICE, "triaged"),
    ("submitted", "transferred"): (OFFICE, "transferred"),
    ("in_review", "transferred"): (OFFICE, "transferred"),
    ("transferred", "transferred"): (OFFICE, "transferred"),
    ("submitted", "duplicate"): (OFFICE, "marked_duplicate"),
    ("in_review", "duplicate"): (OFFICE, "marked_duplicate"),
    ("transferred", "duplicate"): (OFFICE, "marked_duplicate"),
    ("in_review", "needs_info"): (OFFICE, "info_requested"),
    ("field_check", "needs_info"): (OFFICE, "info_requested"),
    ("needs_info", "in_review"): (OFFICE | {"resident", "operator"}, "info_received"),
    ("in_review", "field_check"): (OFFICE, "status_changed"),
    ("in_review", "verified"): (OFFICE, "status_changed"),
    ("field_check", "verified"): (OFFICE, "status_changed"),
    ("verified", "accepted"): (OFFICE, "decided"),
    ("verified", "rejected"): (OFFICE, "decided"),
    ("accepted", "forwarded"): (OFFICE, "forwarded"),
    ("forwarded", "closed"): (OFFICE | {"system"}, "closed"),
    ("rejected", "closed"): (OFFICE | {"system"}, "closed"),
    # Issue 11: the resident's one appeal, within the window.
    ("accepted", "in_review"): ({"resident"}, "appealed"),
    ("rejected", "in_review"): ({"resident"}, "appealed"),
    # Withdrawn by the resident, before a decision only.
    ("submitted", "withdrawn"): ({"resident"}, "withdrawn"),
    ("transferred", "withdrawn"): ({"resident"}, "withdrawn"),
    ("in_review", "withdrawn"): ({"resident"}, "withdrawn"),
    ("needs_info", "withdrawn"): ({"resident"}, "withdrawn"),
    ("field_check", "withdrawn"): ({"resident"}, "withdrawn"),
    ("verified", "withdrawn"): ({"resident"}, "withdrawn"),
}


def test_the_rule_book_is_exactly_the_drawing():
    actual = {(m.from_status, m.to_status): (set(m.by), m.event) for m in MOVES}
    assert len(actual) == len(MOVES), "a move is listed twice"
    assert actual == EXPECTED_MOVES


@pytest.mark.parametrize("decided", ["accepted", "rejected", "forwarded", "closed"])
def test_a_resident_cannot_withdraw_after_a_decision(keyring, decided):
    ticket = ticket_in(keyring, decided)
    version = ticket.version
    with pytest.raises(InvalidTransition, match="not a move the workflow allows"):
        transition(ticket, "withdrawn", Actor.resident(), now=LATER, keyring=keyring)
    assert (ticket.status, ticket.version) == (decided, version)


# A move's outbox message is public only when the move is ------------------------------


@pytest.mark.parametrize("public", [True, False])
def test_the_outbox_message_is_as_public_as_its_move(keyring, public):
    ticket = ticket_in(keyring, "submitted")
    with transaction():
        transition(
            ticket,
            "in_review",
            Actor.staff(7, "handler"),
            "Dicek minggu ini.",
            public,
            now=LATER,
            keyring=keyring,
        )
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.topic == "ticket.status_changed")
    )
    assert json.loads(message.payload)["public"] is public
