"""Who hears of an escalation, and what the e-mail says (issue 12 §4): one
``ticket.escalated`` outbox row per recipient, addressed by ``recipient_enc``;
level 1 to the office's supervisors, the assignee and the province's
supervisors; level 2 to the office's, the assignee and the national office's.
Never a colleague who is not a supervisor, an inactive account, another
province or another office; never the resident's data in the text."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.notify.messages import Composed, compose
from portal.notify.recipients import recipient
from portal.staff.models import StaffUser
from portal.tickets import escalation
from portal.tickets.models import P_OUTBOX_RECIPIENT, OutboxMessage, Ticket
from tests.staff.conftest import make_staff
from tests.tickets import submit

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")

D = dt.date


@pytest.fixture
def people(app):
    """The staff around a ticket of Dinas Sosial Kabupaten Bogor (32.01)."""
    made = {
        "office supervisor": make_staff(app, "supervisor", office="dinsos-32.01"),
        "assignee": make_staff(app, "handler", office="dinsos-32.01"),
        "other handler": make_staff(app, "handler", office="dinsos-32.01"),
        "province supervisor": make_staff(app, "supervisor", office="prov-32"),
        "inactive province supervisor": make_staff(app, "supervisor", office="prov-32"),
        "national supervisor": make_staff(app, "supervisor", office="national"),
        "Jakarta supervisor": make_staff(app, "supervisor", office="prov-31"),
        "Bandung supervisor": make_staff(app, "supervisor", office="dinsos-32.73"),
        "national admin": make_staff(app, "admin", office="national"),
        "operator": make_staff(app, "operator", village=submit_village()),
    }
    with transaction():
        db.session.get(StaffUser, made["inactive province supervisor"].id).active = False
    return {name: account.email for name, account in made.items()}


def submit_village() -> str:
    from tests.factories import VILLAGE

    return VILLAGE


def overdue_ticket(keyring, people_emails, due: dt.date) -> Ticket:
    ticket_id = submit(keyring).ticket_id
    with transaction():
        row = db.session.get(Ticket, ticket_id)
        row.status, row.due_next = "in_review", due
        row.assignee_id = db.session.scalar(
            select(StaffUser.id).where(StaffUser.email == people_emails["assignee"])
        )
    return db.session.get(Ticket, ticket_id)


def run_on(day: dt.date, keyring) -> None:
    now = dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)
    with transaction():
        escalation.escalate_batch(day, now, keyring)


def addressed(keyring, since_id: int = 0) -> list[tuple[int, str]]:
    """(level, decrypted recipient) of every escalation message after ``since_id``."""
    import json

    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.topic == escalation.TOPIC, OutboxMessage.id > since_id)
        .order_by(OutboxMessage.id)
    ).all()
    return sorted(
        (
            json.loads(m.payload)["level"],
            keyring.decrypt(m.recipient_enc, P_OUTBOX_RECIPIENT + b":" + m.event_id.encode()),
        )
        for m in rows
    )


def test_level_one_and_level_two_recipients(keyring, people):
    ticket = overdue_ticket(keyring, people, D(2026, 7, 10))
    run_on(D(2026, 7, 13), keyring)  # level 1 on Monday
    level_one = sorted(
        (1, people[n]) for n in ("office supervisor", "assignee", "province supervisor")
    )
    assert addressed(keyring) == level_one
    last = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    run_on(D(2026, 7, 27), keyring)  # ten working days after Monday 13 July
    assert addressed(keyring, last) == sorted(
        (2, people[n]) for n in ("office supervisor", "assignee", "national supervisor")
    )
    assert db.session.get(Ticket, ticket.id).escalation_level == 2


def test_a_jump_to_level_two_tells_the_province_too_once_each(keyring, people):
    overdue_ticket(keyring, people, D(2026, 6, 1))
    run_on(D(2026, 7, 13), keyring)
    assert addressed(keyring) == sorted(
        (2, people[n])
        for n in ("office supervisor", "assignee", "province supervisor", "national supervisor")
    )


def test_the_email_names_the_ticket_office_deadline_and_level_and_nothing_personal(
    app, keyring, people
):
    ticket = overdue_ticket(keyring, people, D(2026, 7, 10))
    run_on(D(2026, 7, 13), keyring)
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.topic == escalation.TOPIC)
    ).first()
    content = compose(
        message, ticket, keyring=keyring, base_url="https://cek.example.go.id", today=D(2026, 7, 13)
    )
    assert isinstance(content, Composed)
    for text in (content.text, content.html):
        assert ticket.reference in text
        assert "Dinas Sosial" in text and "Bogor" in text
        assert "10 Juli 2026" in text
        assert f"https://cek.example.go.id/office/tickets/{ticket.reference}" in text
        assert "Siti Aminah" not in text and "Melati" not in text and "Januari" not in text
    assert "provinsi" in content.text.lower()
    assert ticket.reference in content.subject
    to = recipient(message, ticket, keyring)
    assert to.channel == "email" and to.address in people.values()


def test_the_ticket_page_does_not_list_staff_notices_as_messages_to_the_resident(keyring, people):
    from portal.tickets.resident_side import deliveries

    ticket = overdue_ticket(keyring, people, D(2026, 7, 10))
    run_on(D(2026, 7, 13), keyring)
    assert all(d.topic != escalation.TOPIC for d in deliveries(ticket.id))
