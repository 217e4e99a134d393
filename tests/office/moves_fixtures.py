"""Shared set-up of the move and reply-template tests: tickets of the
Kabupaten Bogor Dinas Sosial in a chosen status, logged-in staff, posting
a move, and a stand-in for the ticket page while it is not merged.

The ticket page (``office.ticket``) is another engineer's: these tests only
look at the redirect to it, never at its HTML.

The helpers open their own application context: a test that held one open
would share it (and Flask-WTF's cached CSRF token in ``g``) with every
request of its clients, one staff member's token leaking into another's.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import pytest
from sqlalchemy import select
from werkzeug.routing import Rule

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.models import P_EVENT_NOTE, Ticket, TicketEvent
from tests.staff.conftest import Clock, log_in, make_staff, token
from tests.tickets import answers, submit

BOGOR = "dinsos-32.01"
CSRF_IN_PAGE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def at_wib(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    """A moment given in WIB, as an aware UTC datetime."""
    return dt.datetime(year, month, day, hour - 7, tzinfo=dt.UTC)


@pytest.fixture(name="desk")
def desk_fixture(app, monkeypatch):
    """Log staff in at a time the test sets (``desk.clock.now``)."""
    from portal.web.office import auth, login

    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    _APP.append(app)
    yield Desk(app, clock)
    _APP.pop()


class Desk:
    def __init__(self, app, clock: Clock) -> None:
        self.app, self.clock = app, clock

    def log_in(self, role: str = "handler", office: str | None = BOGOR, **kw):
        """A new test client logged in as a new account: (client, account)."""
        account = make_staff(self.app, role, office=office, **kw)
        client = self.app.test_client()
        log_in(client, account, self.clock)
        return client, account


@pytest.fixture(name="handler")
def handler_fixture(desk):
    """A Kabupaten Bogor case handler, logged in: (client, account)."""
    return desk.log_in()


@pytest.fixture(name="ticket_page")
def ticket_page_fixture(app):
    """A stand-in for ``office.ticket`` until the ticket page is merged (the
    redirects and section links name it); nothing once it exists."""
    if "office.ticket" in app.view_functions:
        return

    def stand_in(reference):
        return f"ticket page {reference}"

    stand_in.office_permission = ("staff",)  # the AU6 walker checks every /office route
    app.url_map.add(Rule("/office/tickets/<reference>", endpoint="office.ticket"))
    app.view_functions["office.ticket"] = stand_in


_APP = []


def in_app(fn):
    """Run ``fn`` in an application context of the test's app."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with _APP[-1].app_context():
            return fn(*args, **kwargs)

    return wrapped


@in_app
def office_id(code: str) -> int:
    return db.session.scalar(select(Office.id).where(Office.code == code))


@in_app
def ticket_in(keyring, status: str = "submitted", given=None, **fields) -> str:
    """A ticket of Kabupaten Bogor put straight into ``status`` (set-up, not a
    move); returns its reference."""
    result = submit(keyring, given or answers())
    with transaction():
        ticket = db.session.get(Ticket, result.ticket_id)
        ticket.status = status
        for name, value in fields.items():
            setattr(ticket, name, value)
    return result.reference


@in_app
def load(reference: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


@in_app
def events(reference: str) -> list[TicketEvent]:
    ticket = load(reference)
    return list(
        db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind != "submitted")
            .order_by(TicketEvent.id)
        )
    )


@in_app
def audit_rows(kind: str = "moved") -> list[tuple]:
    return list(
        db.session.execute(
            select(
                AuditEntry.staff_id,
                AuditEntry.ticket_id,
                AuditEntry.target_staff_id,
                AuditEntry.detail,
            )
            .where(AuditEntry.kind == kind)
            .order_by(AuditEntry.id)
        ).all()
    )


def move_url(reference: str, name: str) -> str:
    return f"/office/tickets/{reference}/move/{name}"


def post_move(client, ref: str, name: str, version=None, **data):
    """POST a move with the ticket's current version (unless given)."""
    if version is None:
        version = load(ref).version
    data = {"csrf_token": token(client, "/office/"), "version": version, **data}
    return client.post(move_url(ref, name), data=data)


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def note_of(event, keyring) -> str:
    return keyring.decrypt(event.note_enc, P_EVENT_NOTE)


def assert_back_to_ticket(response, reference: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == f"/office/tickets/{reference}"
