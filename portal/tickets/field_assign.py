"""Sending a field officer to a ticket's household (issue 12 §3).

While a ticket is in ``field_check``, a case handler or supervisor who sees
it (its office; a supervisor's region) gives the visit to a field officer
who ``covers`` it (an active field officer of the ticket's office whose
kecamatan list holds the ticket's village), gives it to another one, or takes
it back. The officer then sees
the household through ``permissions.can_visit`` until the visit is recorded
(``visits.record_visit`` clears ``Ticket.field_officer_id``), the visit is
given to someone else, or the ticket leaves the field check
(``workflow.transition`` clears it). A manager who changes a field officer's
role, office or kecamatan list, or deactivates the account
(``staff.admin_actions``), takes back the visits the officer no longer
covers (``release_uncovered``); ``can_visit`` asks ``covers`` too, so a
change made any other way (``accounts.set_districts``) hides them as well.

Each change is an internal event on the ticket (bumping its version) and an
audit row (``field_assigned`` / ``field_unassigned``, the officer as
``target_staff_id``). Adds and flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.audit.log import record
from portal.extensions import db
from portal.staff.models import StaffArea, StaffUser
from portal.staff.permissions import covers, district_of
from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.workflow import FIELD_CHECK, OFFICE, Actor, record_event


class FieldAssignRefused(ValueError):
    """The assignment is not allowed; ``code`` is worded by the web layer."""

    CODES = frozenset({"not_office", "not_field_check", "not_covering"})

    def __init__(self, code: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown refusal {code!r}")
        super().__init__(code)
        self.code = code


def eligible_officers(ticket: Ticket) -> list[StaffUser]:
    """The field officers who cover ``ticket``, by name."""
    if ticket.office_id is None:
        return []
    rows = db.session.scalars(
        select(StaffUser)
        .join(StaffArea, StaffArea.staff_id == StaffUser.id)
        .where(
            StaffUser.role == "field_officer",
            StaffUser.active.is_(True),
            StaffUser.office_id == ticket.office_id,
            StaffArea.district_code == district_of(ticket.village_code),
        )
        .order_by(StaffUser.display_name, StaffUser.id)
    )
    return list(rows)


def may_assign(actor: StaffUser) -> bool:
    """A case handler or supervisor; which tickets they see (their office, a
    supervisor's region) the caller has checked (``can_see_ticket``), as for
    assigning a case handler (``assign.assign``). The officer is always one
    of the ticket's own office (``covers``)."""
    return actor.role in OFFICE


def assign_field(
    ticket: Ticket,
    officer: StaffUser | None,
    actor: StaffUser,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Give the visit of ``ticket`` to ``officer`` (None: to nobody). False
    when nothing changed; raises ``FieldAssignRefused``."""
    if not may_assign(actor):
        raise FieldAssignRefused("not_office")
    if ticket.status != FIELD_CHECK:
        raise FieldAssignRefused("not_field_check")
    if officer is not None and not covers(officer, ticket):
        raise FieldAssignRefused("not_covering")
    new_id = officer.id if officer is not None else None
    if ticket.field_officer_id == new_id:
        return False
    _set_officer(ticket, new_id, actor, sla.as_utc(now))
    return True


def release_uncovered(officer: StaffUser, actor: StaffUser, now: dt.datetime) -> list[int]:
    """After ``actor`` changed ``officer``'s account (role, office, kecamatan
    list) or deactivated it: each open visit (``field_check``) still assigned
    to them that they no longer ``cover`` goes back to nobody, as ``assign_field``
    with None does (an internal ``field_unassigned`` event and audit row,
    ``detail="account_changed"``), so the handler sees it is to be given
    again. The caller calls this before its own audit rows (the tickets' row
    locks before the audit log's lock). Returns the released tickets' ids."""
    now = sla.as_utc(now)
    db.session.flush()  # the account's change, before ``covers`` reads it
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.field_officer_id == officer.id, Ticket.status == FIELD_CHECK)
        .order_by(Ticket.id)
        .with_for_update()
    ).all()
    released = [t for t in tickets if not covers(officer, t)]
    for ticket in released:
        _set_officer(ticket, None, actor, now, detail="account_changed")
    return [t.id for t in released]


def _set_officer(
    ticket: Ticket,
    new_id: int | None,
    actor: StaffUser,
    now: dt.datetime,
    detail: str | None = None,
) -> None:
    """The one place the visit changes hands: the ticket, its internal event
    and the audit row (the officer, new or previous, as ``target_staff_id``)."""
    previous = ticket.field_officer_id
    ticket.field_officer_id = new_id
    ticket.field_assigned_at = now if new_id is not None else None
    kind = "field_assigned" if new_id is not None else "field_unassigned"
    record_event(ticket, Actor.staff(actor.id, actor.role), kind, public=False, now=now)
    # The ticket's row lock before the audit log's advisory lock (as every writer).
    db.session.flush()
    record(
        kind,
        staff_id=actor.id,
        ticket_id=ticket.id,
        target_staff_id=new_id if new_id is not None else previous,
        office_id=ticket.office_id,
        detail=detail,
        now=now,
    )
