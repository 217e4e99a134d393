"""The demo field officer's visits (``flask tickets demo``): the demo handler
sends the demo field officer (``DEMO_ACCOUNTS``) to two demo tickets of their
office waiting in the field check without a visit, in the officer's
kecamatan, the way the ticket page does (``field_assign.assign_field``).
Running it again tops the officer up to two visits and changes nothing more.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select

from portal.extensions import db
from portal.staff.accounts import DEMO_ACCOUNTS
from portal.staff.models import StaffUser
from portal.staff.permissions import covers
from portal.tickets import field_assign
from portal.tickets.models import FieldVisit, Ticket
from portal.tickets.workflow import FIELD_CHECK

#: How many visits the demo field officer has waiting.
DEMO_VISITS = 2


def _demo_staff(role: str) -> StaffUser | None:
    email = next((a.email for a in DEMO_ACCOUNTS if a.role == role), None)
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email)) if email else None


def send_demo_officer(key_prefix: str, now: dt.datetime) -> int:
    """Assign up to ``DEMO_VISITS`` visits to the demo field officer; how many
    were assigned now (0 without the demo officer: `flask staff demo` first)."""
    officer, handler = _demo_staff("field_officer"), _demo_staff("handler")
    if officer is None or handler is None:
        return 0
    waiting = db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.field_officer_id == officer.id, Ticket.status == FIELD_CHECK)
    )
    candidates = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.office_id == handler.office_id,
            Ticket.status == FIELD_CHECK,
            Ticket.field_officer_id.is_(None),
            Ticket.idempotency_key.startswith(key_prefix),
            ~exists().where(FieldVisit.ticket_id == Ticket.id),
        )
        .order_by(Ticket.id)
    ).all()
    sent = 0
    for ticket in candidates:
        if waiting + sent >= DEMO_VISITS:
            break
        if covers(officer, ticket):
            field_assign.assign_field(ticket, officer, handler, now=now)
            sent += 1
    return sent
