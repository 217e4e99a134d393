"""The re-routing moves: a transfer restarts the first-response
clock and clears the assignee; a province supervisor who triages does not
become the assignee of another office's ticket; duplicates join only open
tickets and never chain; the audit rows name the target office and survivor.

Dates are in July 2026 (no national holiday), counted by hand on a calendar.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.tickets import workflow
from portal.tickets.models import Ticket
from tests.office.moves_fixtures import (
    assert_back_to_ticket,
    at_wib,
    audit_rows,
    desk_fixture,  # noqa: F401 - the desk fixture
    handler_fixture,  # noqa: F401
    in_app,
    load,
    office_id,
    post_move,
    ticket_in,
    ticket_page_fixture,  # noqa: F401
)
from tests.staff.conftest import clean_limits  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean", "ticket_page")

BEKASI = "dinsos-32.16"


def test_transfer_during_review_restarts_the_first_response_clock(app, keyring, desk):
    desk.clock.now = at_wib(2026, 7, 6)  # Monday
    client, me = desk.log_in()
    ref = ticket_in(keyring, "in_review", assignee_id=me.id)
    bekasi = office_id(BEKASI)
    post_move(client, ref, "transfer", q="bekasi", office=bekasi, reason="Alamat di Bekasi")
    assert load(ref).responded_at is None
    desk.clock.now = at_wib(2026, 7, 7)  # Tuesday
    there, _ = desk.log_in(office=BEKASI)
    assert_back_to_ticket(post_move(there, ref, "triage"), ref)
    ticket = load(ref)
    # triaged Tue 7 July: first response 5 working days later, Tue 14 July;
    # the decision stays 60 days after the transfer, Fri 4 September
    assert ticket.due_response.isoformat() == "2026-07-14"
    assert ticket.due_decision.isoformat() == "2026-09-04"
    assert ticket.responded_at is None
    assert ticket.due_next.isoformat() == "2026-07-14"


def test_a_transfer_by_any_caller_clears_the_assignee_and_the_response(app, keyring, desk):
    _, me = desk.log_in()
    ref = ticket_in(keyring, "in_review", assignee_id=me.id, responded_at=at_wib(2026, 7, 6))
    with app.app_context(), transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref))
        workflow.transition(
            ticket,
            workflow.TRANSFERRED,
            workflow.Actor.staff(me.id, "handler"),
            now=at_wib(2026, 7, 7),
            office_id=office_id(BEKASI),
        )
    ticket = load(ref)
    assert (ticket.assignee_id, ticket.responded_at) == (None, None)


def test_a_province_supervisor_who_triages_is_not_the_assignee(app, keyring, desk):
    client, _ = desk.log_in("supervisor", office="prov-32")
    ref = ticket_in(keyring, "submitted")
    assert_back_to_ticket(post_move(client, ref, "triage"), ref)
    assert load(ref).status == "in_review"
    assert load(ref).assignee_id is None
    assert audit_rows("assigned") == []
    # a supervisor of the ticket's own office is, as a handler is
    own, boss = desk.log_in("supervisor")
    other = ticket_in(keyring, "submitted")
    post_move(own, other, "triage")
    assert load(other).assignee_id == boss.id


@pytest.mark.parametrize("status", ["withdrawn", "closed", "rejected", "accepted"])
def test_a_duplicate_joins_only_an_open_ticket(app, keyring, desk, handler, status):
    client, _ = handler
    survivor = ticket_in(keyring, status)
    ref = ticket_in(keyring, "submitted")
    response = post_move(client, ref, "duplicate", reference=survivor)
    assert response.status_code == 409
    assert "tidak lagi terbuka" in response.text
    assert load(ref).status == "submitted" and load(ref).duplicate_of_id is None


def test_duplicates_of_a_duplicate_follow_it_to_the_survivor(app, keyring, desk, handler):
    client, me = handler
    survivor = ticket_in(keyring, "in_review")
    middle = ticket_in(keyring, "submitted")
    first = ticket_in(keyring, "duplicate", duplicate_of_id=load(middle).id)
    second = ticket_in(keyring, "duplicate", duplicate_of_id=load(middle).id)
    assert_back_to_ticket(post_move(client, middle, "duplicate", reference=survivor), middle)
    target = load(survivor).id
    assert [load(r).duplicate_of_id for r in (middle, first, second)] == [target] * 3
    assert audit_rows() == [(me.id, load(middle).id, None, f"submitted>duplicate:dup_of:{target}")]


@in_app
def _moved_office_ids() -> list:
    return list(db.session.scalars(select(AuditEntry.office_id).where(AuditEntry.kind == "moved")))


def test_the_transfer_audit_row_names_the_target_office(app, keyring, desk, handler):
    client, _ = handler
    ref = ticket_in(keyring, "submitted")
    bekasi = office_id(BEKASI)
    post_move(client, ref, "transfer", q="bekasi", office=bekasi, reason="Alamat di Bekasi")
    assert _moved_office_ids() == [bekasi]


@in_app
def _who_sees(reference: str, accounts) -> list[bool]:
    from portal.regions.models import Office
    from portal.staff.models import StaffUser
    from portal.staff.permissions import can_see_ticket, ticket_filter

    seen = []
    for account in accounts:
        staff = db.session.get(StaffUser, account.id)
        office = db.session.get(Office, staff.office_id)
        ticket = load(reference)
        listed = db.session.scalar(
            select(Ticket.id).where(Ticket.id == ticket.id, ticket_filter(staff, office))
        )
        assert (listed is not None) == can_see_ticket(staff, office, ticket)
        seen.append(listed is not None)
    return seen


def test_a_transfer_across_provinces_moves_the_ticket_to_the_other_supervisors(
    app, keyring, desk, handler
):
    client, _ = handler
    _, west_java = desk.log_in("supervisor", office="prov-32")
    _, jakarta = desk.log_in("supervisor", office="prov-31")
    _, national = desk.log_in("supervisor", office="national")
    ref = ticket_in(keyring, "submitted")
    assert _who_sees(ref, [west_java, jakarta, national]) == [True, False, True]
    post_move(client, ref, "transfer", q="jakarta", office=office_id("dinsos-31.71"), reason="x")
    assert load(ref).status == "transferred"
    assert _who_sees(ref, [west_java, jakarta, national]) == [False, True, True]
