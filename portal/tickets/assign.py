"""Who works on a ticket: claiming the next one, assigning and unassigning.

A ticket has at most one assignee (``Ticket.assignee_id``). Only case
handlers and supervisors work tickets, and only of the ticket's own office:
a colleague of another office, an operator or an inactive account is refused.

``claim_next`` hands out the most urgent unassigned open ticket of the
handler's office exactly once, however many handlers click at the same time
(SECURITY.md RE5). On PostgreSQL the candidate row is locked with ``FOR
UPDATE SKIP LOCKED``: a second handler skips it instead of waiting for it and
takes the next one. SQLite has one writer at a time; there the update is
guarded (``… WHERE assignee_id IS NULL``) and a candidate someone else took
first (0 rows updated) is passed over for the next.

Every claim, assignment and unassignment is audited. Callers commit.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from portal.audit.log import record
from portal.db import is_sqlite
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.workflow import OPEN_STATUSES

#: The roles that work tickets and may be given one.
WORKERS = ("handler", "supervisor")
#: Candidates read per round on SQLite before reading again.
_SQLITE_BATCH = 10


class AssignRefused(ValueError):
    """The assignment is not allowed; ``message`` says why, translated."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def colleagues(office_id: int | None) -> list[tuple[int, str]]:
    """``(id, display name)`` of the active handlers and supervisors of an office."""
    if office_id is None:
        return []
    return [
        (row.id, row.display_name)
        for row in db.session.execute(
            select(StaffUser.id, StaffUser.display_name)
            .where(
                StaffUser.office_id == office_id,
                StaffUser.role.in_(WORKERS),
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.display_name, StaffUser.id)
        )
    ]


def _candidates(office_id: int, limit: int):
    return (
        select(Ticket.id)
        .where(
            Ticket.office_id == office_id,
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(sorted(OPEN_STATUSES)),
        )
        .order_by(Ticket.due_next.asc().nulls_last(), Ticket.id)
        .limit(limit)
    )


def _take(ticket_id: int, staff_id: int, now: dt.datetime) -> bool:
    result = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None))
        .values(assignee_id=staff_id, version=Ticket.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_next(staff: StaffUser, *, now: dt.datetime | None = None) -> int | None:
    """Assign the most urgent unassigned open ticket of ``staff``'s office to
    them and return its id, or None when there is none left."""
    if staff.role not in WORKERS or staff.office_id is None:
        raise AssignRefused(_l("Only case handlers and supervisors of an office claim tickets."))
    now = sla.as_utc(now)
    if is_sqlite():
        ticket_id = _claim_sqlite(staff, now)
    else:
        ticket_id = db.session.scalar(
            _candidates(staff.office_id, 1).with_for_update(skip_locked=True, of=Ticket)
        )
        if ticket_id is not None and not _take(ticket_id, staff.id, now):
            ticket_id = None  # cannot happen under the lock; never hand out twice
    if ticket_id is not None:
        record(
            "claimed",
            staff_id=staff.id,
            ticket_id=ticket_id,
            target_staff_id=staff.id,
            office_id=staff.office_id,
            now=now,
        )
    return ticket_id


def _claim_sqlite(staff: StaffUser, now: dt.datetime) -> int | None:
    while True:
        ids = db.session.scalars(_candidates(staff.office_id, _SQLITE_BATCH)).all()
        if not ids:
            return None
        for ticket_id in ids:
            if _take(ticket_id, staff.id, now):
                return ticket_id


def lock_in_order(statement: Select) -> list[Ticket]:
    """The tickets of ``statement``, locked ``FOR UPDATE`` in id order on
    PostgreSQL (SQLite has one writer and ignores the clause). Taken before the
    first audit row (whose advisory lock comes after every ticket lock), so a
    bulk assignment never waits for a ticket while holding the audit lock."""
    return list(
        db.session.scalars(
            statement.order_by(Ticket.id)
            .with_for_update(of=Ticket)
            .execution_options(populate_existing=True)
        )
    )


def assign_many(
    tickets: list[Ticket],
    versions: dict[str, int],
    target: StaffUser | None,
    actor: StaffUser,
    *,
    now: dt.datetime | None = None,
) -> list[str]:
    """Assign each ticket still at the version the form was read at
    (``versions``: reference → version); returns the references of the others,
    changed since (a colleague claimed one, say), left as they are."""
    changed = []
    for ticket in sorted(tickets, key=lambda t: t.id):
        if ticket.version != versions.get(ticket.reference):
            changed.append(ticket.reference)
            continue
        assign(ticket, target, actor, now=now)
    return changed


def assign(
    ticket: Ticket, target: StaffUser | None, actor: StaffUser, *, now: dt.datetime | None = None
) -> bool:
    """Give ``ticket`` to ``target`` (None: to nobody). False when nothing changed.
    Raises ``AssignRefused`` for someone who may not work this ticket."""
    if actor.role not in WORKERS:
        raise AssignRefused(_l("Only case handlers and supervisors assign tickets."))
    if target is not None and (
        target.role not in WORKERS or not target.active or target.office_id != ticket.office_id
    ):
        raise AssignRefused(
            _l("Assign tickets only to a case handler or supervisor of the ticket's office.")
        )
    new_id = target.id if target is not None else None
    if ticket.assignee_id == new_id:
        return False
    now = sla.as_utc(now)
    previous = ticket.assignee_id
    ticket.assignee_id = new_id
    ticket.updated_at = now  # an ORM update: ``version`` goes up
    db.session.flush()
    record(
        "assigned" if new_id is not None else "unassigned",
        staff_id=actor.id,
        ticket_id=ticket.id,
        target_staff_id=new_id if new_id is not None else previous,
        office_id=ticket.office_id,
        now=now,
    )
    return True
