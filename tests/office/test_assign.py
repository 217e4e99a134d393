"""Assigning and unassigning: one ticket from its page, many from the queue
(checkboxes, no JavaScript needed), only to a handler or supervisor of the
ticket's own office, every change audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.office import queue_fixtures as fx
from tests.office.queue_fixtures import (
    BANDUNG,
    BANDUNG_VILLAGE,
    BOGOR,
    BOGOR_A,
    log_in,
    make_staff,
    token,
)

# The fixtures this module uses (clean_limits is autouse).
clean_limits, clock, tickets = fx.clean_limits, fx.clock, fx.tickets
pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.fixture
def team(app, client, clock):
    """A logged-in Bogor handler, a Bogor colleague, a Bandung handler, a Bogor operator."""
    me = make_staff(app, "handler", office=BOGOR)
    log_in(client, me, clock)
    return {
        "me": me,
        "colleague": make_staff(app, "supervisor", office=BOGOR),
        "bandung": make_staff(app, "handler", office=BANDUNG),
        "operator": make_staff(app, "operator", village=BOGOR_A),
    }


def audit(app) -> list[tuple]:
    """The assignment rows (logins and account changes are audited too)."""
    with app.app_context():
        return db.session.execute(
            select(
                AuditEntry.kind,
                AuditEntry.staff_id,
                AuditEntry.ticket_id,
                AuditEntry.target_staff_id,
            )
            .where(AuditEntry.kind.in_(("assigned", "unassigned", "claimed")))
            .order_by(AuditEntry.id)
        ).all()


def ticket_id(app, reference: str) -> int:
    from portal.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))


def post_assign(client, reference, version, **data):
    return client.post(
        f"/office/tickets/{reference}/assign",
        data={"csrf_token": token(client, "/office/"), "version": str(version), **data},
    )


def test_assign_to_a_colleague_then_unassign(app, client, team, tickets):
    reference = tickets.add()
    colleague = team["colleague"].id
    answer = post_assign(client, reference, 1, assignee=str(colleague), assign="1")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/office/tickets/{reference}"
    row = tickets.get(reference)
    assert (row.assignee_id, row.version) == (colleague, 2)
    answer = post_assign(client, reference, 2, assignee=str(colleague), unassign="1")
    row = tickets.get(reference)
    assert (row.assignee_id, row.version) == (None, 3)
    me, tid = team["me"].id, ticket_id(app, reference)
    assert audit(app) == [
        ("assigned", me, tid, colleague),
        ("unassigned", me, tid, colleague),
    ]


@pytest.mark.parametrize("who", ["bandung", "operator"])
def test_no_assignment_outside_the_office_or_to_an_operator(app, client, team, tickets, who):
    reference = tickets.add()
    answer = post_assign(client, reference, 1, assignee=str(team[who].id), assign="1")
    assert answer.status_code == 303
    assert tickets.get(reference).assignee_id is None and audit(app) == []
    page = client.get("/office/").text  # flashed in the language of the POST: Indonesian
    assert "Serahkan tiket hanya kepada petugas penanganan atau penyelia di kantor" in page


def test_an_unknown_account_is_a_bad_request(app, client, team, tickets):
    reference = tickets.add()
    assert post_assign(client, reference, 1, assignee="999999", assign="1").status_code == 400
    assert post_assign(client, reference, 1, assignee="x", assign="1").status_code == 400
    assert tickets.get(reference).assignee_id is None


def test_another_offices_ticket_is_not_found(app, client, team, tickets):
    theirs = tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE)
    answer = post_assign(client, theirs, 1, assignee=str(team["me"].id), assign="1")
    assert answer.status_code == 404
    assert tickets.get(theirs).assignee_id is None


def test_operators_may_not_assign(app, clock, tickets):
    operator = make_staff(app, "operator", village=BOGOR_A)
    handler = make_staff(app, "handler", office=BOGOR)
    client = app.test_client()
    log_in(client, operator, clock)
    reference = tickets.add()
    assert post_assign(client, reference, 1, assignee=str(handler.id)).status_code == 403
    bulk = client.post(
        "/office/assign",
        data={"csrf_token": token(client, "/office/"), "ticket": reference, "assignee": "none"},
    )
    assert bulk.status_code == 403


def test_a_stale_form_changes_nothing(app, client, team, tickets):
    if "office.ticket" not in app.view_functions:
        pytest.skip("the ticket page (office.ticket) comes from another branch")
    reference = tickets.add()
    answer = post_assign(client, reference, 0, assignee=str(team["colleague"].id), assign="1")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/office/tickets/{reference}"
    assert tickets.get(reference).assignee_id is None and audit(app) == []


def bulk(client, references, back="/office/?status=submitted", versions=None, **data):
    """POST the queue's bulk form; each checkbox is ``REFERENCE:VERSION``, the
    version as the page showed it (the current one unless given)."""
    if versions is None:
        versions = [_version(r) for r in references]
    checked = [f"{r}:{v}" for r, v in zip(references, versions, strict=True)]
    return client.post(
        "/office/assign",
        data={"csrf_token": token(client, "/office/"), "ticket": checked, "back": back, **data},
    )


_TICKETS = []


@pytest.fixture(autouse=True)
def _remember_tickets(tickets):
    _TICKETS.append(tickets)
    yield
    _TICKETS.pop()


def _version(reference: str) -> int:
    return _TICKETS[-1].get(reference).version


def test_the_queue_has_a_bulk_form_that_needs_no_javascript(app, client, team, tickets):
    reference = tickets.add()
    page = client.get("/office/?lang=en").text
    form = re.search(
        r'<form method="post" action="/office/assign" novalidate>(.*?)</form>', page, re.S
    )
    assert form, "the table sits in a plain POST form"
    body = form.group(1)
    assert 'name="csrf_token"' in body
    assert f'name="ticket" value="{reference}:{_version(reference)}"' in body
    assert f'<option value="{team["colleague"].id}">' in body
    assert 'name="assign"' in body and 'name="unassign"' in body


def test_bulk_assign_and_unassign(app, client, team, tickets):
    first, second, untouched = tickets.add(), tickets.add(), tickets.add()
    colleague = team["colleague"].id
    answer = bulk(client, [first, second], assignee=str(colleague), assign="1")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/office/?status=submitted"
    assert [tickets.get(r).assignee_id for r in (first, second, untouched)] == [
        colleague,
        colleague,
        None,
    ]
    bulk(client, [first], assignee=str(colleague), unassign="1")
    assert tickets.get(first).assignee_id is None
    assert [row[0] for row in audit(app)] == ["assigned", "assigned", "unassigned"]


def test_bulk_skips_and_names_tickets_changed_since_the_queue_was_shown(app, client, team, tickets):
    first, claimed = tickets.add(), tickets.add()
    shown = [_version(first), _version(claimed)]
    # a colleague claims the second after the queue page was read
    with app.app_context():
        from portal.db import transaction
        from portal.tickets.models import Ticket

        with transaction():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == claimed))
            ticket.assignee_id = team["colleague"].id
    answer = bulk(client, [first, claimed], versions=shown, assignee=str(team["me"].id), assign="1")
    assert answer.status_code == 303
    assert tickets.get(first).assignee_id == team["me"].id
    assert tickets.get(claimed).assignee_id == team["colleague"].id  # not overwritten
    page = client.get("/office/").text
    assert "berubah setelah antrean ditampilkan" in page and claimed in page
    assert [row[0] for row in audit(app)] == ["assigned"]


def test_bulk_without_versions_is_a_bad_request(app, client, team, tickets):
    reference = tickets.add()
    answer = client.post(
        "/office/assign",
        data={
            "csrf_token": token(client, "/office/"),
            "ticket": [reference],
            "assign": "1",
            "assignee": str(team["me"].id),
        },
    )
    assert answer.status_code == 400
    assert tickets.get(reference).assignee_id is None


def test_bulk_refuses_another_offices_staff_and_changes_nothing(app, client, team, tickets):
    first, second = tickets.add(), tickets.add()
    answer = bulk(client, [first, second], assignee=str(team["bandung"].id), assign="1")
    assert answer.status_code == 303
    assert tickets.get(first).assignee_id is None and tickets.get(second).assignee_id is None
    assert audit(app) == []


def test_bulk_with_a_ticket_not_visible_is_not_found(app, client, team, tickets):
    ours = tickets.add()
    theirs = tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE)
    answer = bulk(client, [ours, theirs], assignee=str(team["me"].id), assign="1")
    assert answer.status_code == 404
    assert tickets.get(ours).assignee_id is None


def test_bulk_needs_a_ticket_and_goes_back_only_to_the_office(app, client, team, tickets):
    answer = bulk(client, [], assignee="none", unassign="1")
    assert answer.status_code == 303
    assert "Pilih paling sedikit satu tiket" in client.get("/office/").text
    reference = tickets.add()
    for back in ("//evil.example/office/", "https://evil.example/", "/office/\\evil", "/submit"):
        answer = bulk(client, [reference], back=back, assignee="none", unassign="1")
        assert answer.headers["Location"] == "/office/", back


def test_the_ticket_page_section(app, team, tickets):
    from flask import render_template

    from portal.staff.models import StaffUser
    from portal.tickets.models import Ticket
    from portal.web.office.assign import assignment_box
    from portal.web.office.tickets import SECTIONS

    assert any(s.template == "office/ticket/_assign.html" and s.slot == "aside" for s in SECTIONS)
    reference = tickets.add(assignee=team["colleague"].id)
    with app.test_request_context("/office/?lang=en"):
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        me = db.session.get(StaffUser, team["me"].id)
        ctx = assignment_box(ticket, me, None)
        assert ctx["version"] == 1 and ctx["assignee_id"] == team["colleague"].id
        assert {i for i, _ in ctx["colleagues"]} == {team["me"].id, team["colleague"].id}
        html = render_template("office/ticket/_assign.html", ctx=ctx)
        operator = db.session.get(StaffUser, team["operator"].id)
        assert assignment_box(ticket, operator, None) is None
    assert f'action="/office/tickets/{reference}/assign"' in html
    assert 'name="version" value="1"' in html and 'name="unassign"' in html
    assert f'<option value="{team["colleague"].id}" selected>' in html
