"""``/office/escalated`` (issue 12 §4): the escalated open tickets of a
supervisor's region, the most overdue first; what each supervisor may do
from a ticket (comment, reassign within the ticket's office, transfer) while
the ticket stays with its office. The scope per account is written out by
hand below, not derived from ``ticket_filter``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.models import Ticket, TicketEvent
from tests.staff.conftest import Clock, log_in, make_staff, token
from tests.staff.test_permissions import BANDUNG, BOGOR_A, BOGOR_B, JAKARTA
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")

D = dt.date
#: name -> (village, status, due_next, escalation level)
TICKETS = {
    "bogor level 1": (BOGOR_A, "in_review", D(2026, 7, 10), 1),
    "bogor level 2": (BOGOR_B, "submitted", D(2026, 6, 1), 2),
    "bandung level 1": (BANDUNG, "field_check", D(2026, 7, 1), 1),
    "jakarta level 2": (JAKARTA, "in_review", D(2026, 6, 15), 2),
    "bogor overdue, not escalated": (BOGOR_A, "in_review", D(2026, 7, 8), 0),
    "bogor decided, level left": (BOGOR_A, "accepted", None, 1),
}
#: What each supervisor's list shows, in order (most overdue first).
LISTS = {
    ("prov-32", ""): ["bogor level 2", "bandung level 1", "bogor level 1"],
    ("prov-32", "2"): ["bogor level 2"],
    ("national", ""): ["bogor level 2", "jakarta level 2"],
    ("national", "1"): ["bandung level 1", "bogor level 1"],
    ("national", "all"): ["bogor level 2", "jakarta level 2", "bandung level 1", "bogor level 1"],
    ("dinsos-32.01", ""): ["bogor level 2", "bogor level 1"],
    ("dinsos-32.73", ""): ["bandung level 1"],
    ("prov-31", ""): ["jakarta level 2"],
}


@pytest.fixture
def clock(monkeypatch) -> Clock:
    from portal.web.office import auth, login

    clock = Clock()
    clock.now = dt.datetime(2026, 7, 13, 3, 0, tzinfo=dt.UTC)  # Monday 13 July, 10:00 WIB
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


@pytest.fixture
def refs(app, keyring) -> dict[str, str]:
    made = {}
    with app.app_context():
        for name, (village, status, due, level) in TICKETS.items():
            result = submit(keyring, answers(village_code=village))
            with transaction():
                ticket = db.session.get(Ticket, result.ticket_id)
                ticket.status, ticket.due_next, ticket.escalation_level = status, due, level
            made[name] = result.reference
    return made


def logged_in(app, clock, role: str, **place):
    client = app.test_client()
    account = make_staff(app, role, **place)
    assert log_in(client, account, clock).status_code == 303
    return client, account


def listed(page: str, refs: dict[str, str]) -> list[str]:
    by_ref = {ref: name for name, ref in refs.items()}
    return [by_ref[r] for r in re.findall(r'href="/office/tickets/([A-Z0-9-]+)"', page)]


@pytest.mark.parametrize(("office", "level"), list(LISTS))
def test_each_supervisor_sees_the_escalated_tickets_of_their_region(
    app, clock, refs, office, level
):
    client, _ = logged_in(app, clock, "supervisor", office=office)
    response = client.get("/office/escalated" + (f"?level={level}" if level else ""))
    assert response.status_code == 200
    assert listed(response.text, refs) == LISTS[(office, level)]


def test_the_row_says_office_level_days_overdue_and_assignee(app, clock, refs):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    with app.app_context(), transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == refs["bogor level 1"]))
        ticket.assignee_id = handler.id
    client, _ = logged_in(app, clock, "supervisor", office="prov-32")
    page = client.get("/office/escalated?lang=en").text
    row = page.split(refs["bogor level 1"], 2)[2].split("</tr>", 1)[0]
    assert "Dinas Sosial Kabupaten Bogor" in row
    assert "1: province" in row
    # Due Friday 10 July; on Monday 13 July one working day has passed.
    assert "Overdue by 1 working day" in row
    assert f"handler {handler.email}" in row
    # Bandung, due Wednesday 1 July: 2, 3, 6, 7, 8, 9, 10, 13 July = 8 working days.
    row = page.split(refs["bandung level 1"], 2)[2].split("</tr>", 1)[0]
    assert "Overdue by 8 working days" in row and "Nobody" in row


@pytest.mark.parametrize(
    ("role", "place"),
    [
        ("handler", {"office": "dinsos-32.01"}),
        ("operator", {"village": BOGOR_A}),
        ("admin", {"office": "national"}),
        ("field_officer", {"office": "dinsos-32.01", "districts": (BOGOR_A.rsplit(".", 1)[0],)}),
    ],
)
def test_only_supervisors_open_the_list(app, clock, refs, role, place):
    client, _ = logged_in(app, clock, role, **place)
    assert client.get("/office/escalated").status_code == 403


def test_a_bad_level_is_answered_with_the_form_not_a_crash(app, clock, refs):
    client, _ = logged_in(app, clock, "supervisor", office="prov-32")
    response = client.get("/office/escalated?level=9&page=0")
    assert response.status_code == 400
    assert 'class="error-summary' in response.text


def test_the_menu_shows_the_list_to_supervisors_only(app, clock, refs):
    client, _ = logged_in(app, clock, "supervisor", office="prov-32")
    assert 'href="/office/escalated"' in client.get("/office/").text
    client, _ = logged_in(app, clock, "handler", office="dinsos-32.01")
    assert 'href="/office/escalated"' not in client.get("/office/").text


# --- from a ticket: comment, reassign within its office, transfer -----------------


def _ticket(app, ref: str) -> Ticket:
    with app.app_context():
        return db.session.scalar(select(Ticket).where(Ticket.reference == ref))


def _office_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Office.id).where(Office.code == code))


@pytest.mark.parametrize("office", ["prov-32", "national"])
def test_a_province_or_national_supervisor_reassigns_within_the_ticket_office(
    app, clock, refs, office
):
    bogor_handler = make_staff(app, "handler", office="dinsos-32.01")
    client, me = logged_in(app, clock, "supervisor", office=office)
    colleague = make_staff(app, "supervisor", office=office)  # of the supervisor's own office
    ref = refs["bogor level 1"]
    page = client.get(f"/office/tickets/{ref}").text
    # The ticket office's people are offered, not the supervisor's own office.
    offered = set(re.findall(r'<option value="(\d+)"', page))
    assert str(bogor_handler.id) in offered
    assert not {str(colleague.id), str(me.id)} & offered
    before = _ticket(app, ref)
    data = {"csrf_token": token(client, f"/office/tickets/{ref}"), "version": before.version}
    response = client.post(
        f"/office/tickets/{ref}/assign", data={**data, "assignee": str(bogor_handler.id)}
    )
    assert response.status_code == 303
    after = _ticket(app, ref)
    assert (after.assignee_id, after.office_id) == (bogor_handler.id, before.office_id)
    with app.app_context():
        audit = db.session.execute(
            select(AuditEntry.kind, AuditEntry.target_staff_id).where(AuditEntry.staff_id == me.id)
        ).all()
    assert ("assigned", bogor_handler.id) in audit
    # Someone of another office is refused: the ticket stays as it was.
    data["version"] = after.version
    client.post(f"/office/tickets/{ref}/assign", data={**data, "assignee": str(colleague.id)})
    again = _ticket(app, ref)
    assert (again.assignee_id, again.office_id) == (bogor_handler.id, before.office_id)


def test_a_province_supervisor_comments_and_transfers(app, clock, refs, keyring):
    client, me = logged_in(app, clock, "supervisor", office="prov-32")
    ref = refs["bogor level 1"]
    csrf = token(client, f"/office/tickets/{ref}")
    ticket = _ticket(app, ref)
    response = client.post(
        f"/office/tickets/{ref}/note",
        data={
            "csrf_token": csrf,
            "note": "Mohon segera ditindaklanjuti.",
            "version": ticket.version,
        },
    )
    assert response.status_code == 303
    with app.app_context():
        notes = db.session.scalars(
            select(TicketEvent.actor).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "note"
            )
        ).all()
    assert notes == [f"staff:{me.id}"]
    assert _ticket(app, ref).office_id == ticket.office_id  # a comment moves nothing
    bekasi = _office_id(app, "dinsos-32.16")
    version = _ticket(app, ref).version
    response = client.post(
        f"/office/tickets/{ref}/move/transfer",
        data={
            "csrf_token": csrf,
            "version": version,
            "q": "bekasi",
            "office": bekasi,
            "reason": "Alamat di Bekasi",
        },
    )
    assert response.status_code == 303, response.text
    moved = _ticket(app, ref)
    assert (moved.status, moved.office_id) == ("transferred", bekasi)


def test_the_ticket_page_says_it_is_escalated_to_the_office_not_to_the_operator(
    app, clock, refs, keyring
):
    from portal.tickets import escalation

    with app.app_context():
        now = dt.datetime(2026, 7, 13, 2, 0, tzinfo=dt.UTC)
        with transaction():
            db.session.get(
                Ticket, _ticket(app, refs["bogor overdue, not escalated"]).id
            ).escalation_level = 0
            escalation.escalate_batch(D(2026, 7, 13), now, keyring)
    ref = refs["bogor overdue, not escalated"]  # due Wednesday 8 July: level 1 on Thursday 9
    assert _ticket(app, ref).escalation_level == 1
    client, _ = logged_in(app, clock, "handler", office="dinsos-32.01")
    page = client.get(f"/office/tickets/{ref}?lang=en").text
    assert "the province supervisor is watching this ticket since July 13, 2026" in page
    assert "Escalated: overdue" in page  # the history's event
    operator, _ = logged_in(app, clock, "operator", village=BOGOR_A)
    page = operator.get(f"/office/tickets/{ref}?lang=en").text
    assert "province supervisor is watching" not in page
