"""The supervisors' list of escalated tickets (``/office/escalated``, issue 12 §4):
the open tickets ``flask tickets escalate`` moved to a supervisor's attention,
in the supervisor's region (``permissions.ticket_filter``: a province's
offices, every office for the national office, a kab/kota office's own),
the most overdue first.

Which levels: the national office sees level 2 unless it asks for level 1
too; everyone else every level from 1. The office keeps working the ticket;
the list only says where to look, and links to the ticket page, where a
supervisor comments, reassigns within the office or transfers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, select

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.staff.permissions import ticket_filter
from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.workflow import OPEN_STATUSES

PER_PAGE = 50
#: The ``level`` filter: every escalated level, only 1, only 2.
LEVEL_CHOICES = ("all", "1", "2")


@dataclass(frozen=True)
class EscalatedRow:
    reference: str
    kind: str
    status: str
    office_name: str
    level: int
    due_next: dt.date | None
    #: Working days since ``due_next`` (``sla.working_days_between``); None without a date.
    days_overdue: int | None
    assignee_name: str | None


@dataclass(frozen=True)
class EscalatedPage:
    rows: list[EscalatedRow]
    page: int
    has_next: bool
    level: str


def default_level(office: Office | None) -> str:
    """The national office starts at level 2; every other supervisor at all levels."""
    return "2" if office is not None and office.level == "national" else "all"


def fetch(
    staff: StaffUser,
    office: Office | None,
    today: dt.date,
    *,
    level: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> EscalatedPage:
    level = level if level in LEVEL_CHOICES else default_level(office)
    where = [
        ticket_filter(staff, office),
        Ticket.status.in_(sorted(OPEN_STATUSES)),
        Ticket.escalation_level >= 1 if level == "all" else Ticket.escalation_level == int(level),
    ]
    undated_last = case((Ticket.due_next.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(
            Ticket.reference,
            Ticket.kind,
            Ticket.status,
            Office.name,
            Ticket.escalation_level,
            Ticket.due_next,
            StaffUser.display_name,
        )
        .join(Office, Office.id == Ticket.office_id)
        .outerjoin(StaffUser, StaffUser.id == Ticket.assignee_id)
        .where(*where)
        .order_by(undated_last, Ticket.due_next, Ticket.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    return EscalatedPage(
        rows=[
            EscalatedRow(
                reference=r.reference,
                kind=r.kind,
                status=r.status,
                office_name=r.name,
                level=r.escalation_level,
                due_next=r.due_next,
                days_overdue=(
                    max(sla.working_days_between(r.due_next, today), 0) if r.due_next else None
                ),
                assignee_name=r.display_name,
            )
            for r in rows[:per_page]
        ],
        page=page,
        has_next=len(rows) > per_page,
        level=level,
    )
