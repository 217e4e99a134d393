"""Helpers for the tracking-page tests: a ticket made through the service,
put in a state by hand (setup, not a move), opened by its tracking link, and
the page's clock set to a chosen moment."""

from __future__ import annotations

import datetime as dt

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from portal.web.public import journey
from tests.tickets import NOW, submit
from tests.web.journeys import IDEMPOTENCY

HANDLER_ID = 7


def wib(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment given as WIB wall time, as an aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC) - dt.timedelta(hours=7)


def new_ticket(app, keyring, now: dt.datetime = NOW, **fields):
    """A submitted ticket, then ``fields`` set on it; returns (id, reference, token)."""
    with app.app_context():
        sent = submit(keyring, now=now)
        if fields:
            set_fields(sent.ticket_id, **fields)
    return sent.ticket_id, sent.reference, sent.tracking_token


def set_fields(ticket_id: int, **fields) -> None:
    with transaction():
        ticket = db.session.get(Ticket, ticket_id)
        for name, value in fields.items():
            setattr(ticket, name, value)


def page_clock(monkeypatch, moment: dt.datetime) -> None:
    """The pages' "now" (``journey.now``): what today is for deadlines and windows."""
    monkeypatch.setattr(journey, "now", lambda: moment)


def open_link(client, token: str):
    """Open the request by its tracking link: shows it and grants this client."""
    page = client.get(f"/t/{token}")
    assert page.status_code == 200
    return page


def form_key(page) -> str:
    return IDEMPOTENCY.search(page.text).group(1)
