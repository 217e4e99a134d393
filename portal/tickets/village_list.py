"""A village operator's list of their village's tickets (``/office/village``,
issue 12 §2), so they can tell residents who come in how their request
stands: first the requests waiting for the resident's reply (``needs_info``,
which the operator may pass on), then the others, the nearest deadline first.

What a row holds: the ticket number, the kind, the resident's status
(``workflow.public_label``, the words the resident sees), the office's next
deadline and the end of the appeal window. No name, address or contact of
anyone. Whether the ticket has files, and whether this operator submitted
it, are asked of ``permissions.can_see_evidence`` / ``can_see_reporter``
per row: for a confidential objection (who reported is the office's secret)
neither is shown, except to the operator who sent it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.staff.permissions import can_see_evidence, can_see_reporter, ticket_filter
from portal.tickets.models import Evidence, Ticket
from portal.tickets.workflow import NEEDS_INFO, OPEN_STATUSES

PER_PAGE = 50


@dataclass(frozen=True)
class VillageRow:
    reference: str
    kind: str
    status: str
    #: The office's next deadline (``Ticket.due_next``); None while paused or decided.
    due_next: dt.date | None
    #: The last day to appeal a decision, while it is still to come.
    appeal_until: dt.date | None
    #: When the status last changed (for needs_info: when the office asked).
    changed_at: dt.datetime
    #: Files of the resident (not of a field visit); None: not for this operator to know.
    files: int | None
    #: This operator submitted it for the resident; None: not for this operator to know.
    assisted_by_me: bool | None


@dataclass(frozen=True)
class VillageList:
    waiting: list[VillageRow]
    others: list[VillageRow]
    page: int
    has_next: bool


def fetch(
    staff: StaffUser, office: Office | None, today: dt.date, *, page: int = 1, per_page=PER_PAGE
) -> VillageList:
    visible = ticket_filter(staff, office)
    waiting = db.session.scalars(
        select(Ticket)
        .where(visible, Ticket.status == NEEDS_INFO)
        .order_by(Ticket.status_changed_at, Ticket.id)
    ).all()
    open_first = case((Ticket.status.in_(sorted(OPEN_STATUSES)), 0), else_=1)
    undated_last = case((Ticket.due_next.is_(None), 1), else_=0)
    others = db.session.scalars(
        select(Ticket)
        .where(visible, Ticket.status != NEEDS_INFO)
        .order_by(open_first, undated_last, Ticket.due_next, Ticket.created_at.desc(), Ticket.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    shown = [*waiting, *others[:per_page]]
    files = _resident_files([t.id for t in shown])
    rows = {t.id: _row(t, staff, office, today, files) for t in shown}
    return VillageList(
        waiting=[rows[t.id] for t in waiting],
        others=[rows[t.id] for t in others[:per_page]],
        page=page,
        has_next=len(others) > per_page,
    )


def _row(ticket: Ticket, staff, office, today: dt.date, files: dict[int, int]) -> VillageRow:
    appeal = ticket.appeal_until if ticket.appeal_until and ticket.appeal_until >= today else None
    reporter = can_see_reporter(staff, office, ticket)
    return VillageRow(
        reference=ticket.reference,
        kind=ticket.kind,
        status=ticket.status,
        due_next=ticket.due_next,
        appeal_until=appeal,
        changed_at=ticket.status_changed_at,
        files=files.get(ticket.id, 0) if can_see_evidence(staff, office, ticket) else None,
        assisted_by_me=(ticket.submitted_by_staff_id == staff.id) if reporter else None,
    )


def _resident_files(ticket_ids: list[int]) -> dict[int, int]:
    """Files per ticket, without a field visit's photos (the office's only)."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(Evidence.ticket_id, func.count())
        .where(Evidence.ticket_id.in_(ticket_ids), Evidence.field_visit_id.is_(None))
        .group_by(Evidence.ticket_id)
    )
    return dict(rows.all())
