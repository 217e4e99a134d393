"""A village operator passes on a resident's reply (issue 11 §2): only their
own village's tickets, only while the office waits, recorded as assisted
(the event's actor is the operator) with an audit row; no other role."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.tickets import workflow
from portal.tickets.models import Ticket
from tests.staff.conftest import Clock, log_in, make_staff, token
from tests.staff.test_permissions import BOGOR_A, BOGOR_B
from tests.tickets import answers, submit
from tests.web.journeys import jpeg
from tests.web.track_reply_helpers import (  # noqa: F401 - fixture
    HANDLER,
    KEY,
    QUESTION,
    events_of,
    evidence_count,
    note_of,
    ticket_of,
    uploads_fixture,
)

REPLY = "Ibu Siti datang ke kantor desa: KK baru terlampir."


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch) -> Clock:
    """The office pages' time (``tests.staff.conftest.clock``, named here)."""
    from portal.web.office import auth, login

    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


@pytest.fixture(name="asked")
def asked_fixture(app, keyring, uploads, clock, db_clean) -> str:
    """A ticket of Bogor A waiting for the resident's reply: its reference."""
    with app.app_context():
        result = submit(keyring, answers(village_code=BOGOR_A), now=clock.now)
        ticket = db.session.get(Ticket, result.ticket_id)
        for status, note in ((workflow.IN_REVIEW, None), (workflow.NEEDS_INFO, QUESTION)):
            with transaction():
                workflow.transition(ticket, status, HANDLER, note, now=clock.now, keyring=keyring)
        return result.reference


def logged_in(app, clock, role: str, **place):
    client = app.test_client()
    account = make_staff(app, role, **place)
    assert log_in(client, account, clock).status_code == 303
    return client, account


def pass_on(client, reference: str, *, key: str | None = None, file: bool = False):
    path = f"/office/tickets/{reference}/reply"
    page = client.get(path)
    data = {"csrf_token": token(client, "/office/"), "action": "send", "text": REPLY}
    data["key"] = key or (KEY.search(page.text).group(1) if page.status_code == 200 else "k")
    if file:
        data.update(file=(io.BytesIO(jpeg()), "kk.jpg"), doc_type="kk")
    return client.post(path, data=data, content_type="multipart/form-data")


def audit_rows(app, staff_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.kind, AuditEntry.ticket_id, AuditEntry.detail).where(
                AuditEntry.staff_id == staff_id, AuditEntry.kind == "moved"
            )
        )
        return list(rows)


def test_the_village_operator_passes_on_the_reply_with_a_file(app, clock, keyring, asked):
    client, operator = logged_in(app, clock, "operator", village=BOGOR_A)
    ticket_page = client.get(f"/office/tickets/{asked}")
    assert f"/office/tickets/{asked}/reply" in ticket_page.text
    form = client.get(f"/office/tickets/{asked}/reply")
    assert form.status_code == 200 and QUESTION in form.text
    key = KEY.search(form.text).group(1)

    sent = pass_on(client, asked, key=key, file=True)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/office/tickets/{asked}")
    with app.app_context():
        ticket = ticket_of(asked)
        assert ticket.status == "in_review" and ticket.paused_at is None
        ticket_id = ticket.id
    [received] = events_of(app, asked, "info_received")
    assert received.actor == f"staff:{operator.id}" and received.public
    assert note_of(keyring, received) == REPLY
    assert evidence_count(app, asked) == 1
    assert audit_rows(app, operator.id) == [("moved", ticket_id, "needs_info>in_review:assisted")]
    # The same form again: nothing more happens.
    again = pass_on(client, asked, key=key)
    assert again.status_code == 303
    assert len(events_of(app, asked, "info_received")) == 1
    assert len(audit_rows(app, operator.id)) == 1


def test_another_villages_operator_gets_the_not_found_page(app, clock, asked):
    client, operator = logged_in(app, clock, "operator", village=BOGOR_B)
    assert client.get(f"/office/tickets/{asked}/reply").status_code == 404
    assert pass_on(client, asked, key="probe-key").status_code == 404
    assert events_of(app, asked, "info_received") == []
    assert audit_rows(app, operator.id) == []


@pytest.mark.parametrize(
    ("role", "place"),
    [
        ("handler", {"office": "dinsos-32.01"}),
        ("supervisor", {"office": "dinsos-32.01"}),
        ("admin", {}),
    ],
)
def test_other_roles_may_not_reply_for_a_resident(app, clock, asked, role, place):
    client, account = logged_in(app, clock, role, **place)
    assert client.get(f"/office/tickets/{asked}/reply").status_code == 403
    assert pass_on(client, asked, key="probe-key").status_code == 403
    if role != "admin":
        page = client.get(f"/office/tickets/{asked}")
        assert f"/office/tickets/{asked}/reply" not in page.text
    assert events_of(app, asked, "info_received") == []
    assert audit_rows(app, account.id) == []


def test_only_while_the_office_waits_for_the_reply(app, clock, keyring, asked):
    client, operator = logged_in(app, clock, "operator", village=BOGOR_A)
    with app.app_context(), transaction():
        workflow.transition(ticket_of(asked), workflow.IN_REVIEW, HANDLER, now=clock.now)
    assert f"/office/tickets/{asked}/reply" not in client.get(f"/office/tickets/{asked}").text
    page = client.get(f"/office/tickets/{asked}/reply")
    assert page.status_code == 409
    assert "Kantor tidak lagi menunggu balasan" in page.text
    refused = pass_on(client, asked, key="late-key")
    assert refused.status_code == 409 and REPLY in refused.text
    assert [e.actor for e in events_of(app, asked, "info_received")] == ["staff:1"]
    assert audit_rows(app, operator.id) == []
