"""The office queue (``/office/``): the tickets an account may see, the most
urgent first, filtered, counted and paged.

Order: ``Ticket.due_next`` ascending (overdue first), then id; tickets
without a date (paused for the resident, decided, closed) come last, by id.
The page is read in two index walks rather than one sorted statement,
because the two databases put NULLs at opposite ends of an ascending index:
the dated tickets first (``ix_tickets_office_due`` is ``office_id, due_next,
id``: the walk is the order, and a page stops after ``per_page + 1`` rows),
then, only when the page is not full, the undated ones (``due_next IS NULL``,
the same index, ordered by id). ``first_page_sql`` is the first walk, for
EXPLAIN (bench/).

Only the columns the list shows are read; evidence is counted for the page's
ids in one grouped query. The counts at the top are one GROUP BY over every
ticket the account may see, unfiltered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, case, func, select

from portal.extensions import db
from portal.regions.models import Region
from portal.staff.models import StaffUser
from portal.staff.permissions import ticket_filter
from portal.tickets import sla
from portal.tickets.models import Evidence, Ticket

PER_PAGE = 25


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to; empty means everything visible."""

    statuses: tuple[str, ...] = ()
    kind: str | None = None
    overdue: bool = False
    #: ``"me"``, ``"none"``, a staff id, or None for anyone.
    assignee: str | int | None = None
    village: str | None = None


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    kind: str
    village_code: str
    village_name: str | None
    status: str
    due_next: dt.date | None
    assignee_name: str | None
    #: Sent back by the bulk form: a row changed since the page was read is skipped.
    version: int = 0
    evidence_count: int = 0


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool


@dataclass
class QueueCounts:
    by_status: dict[str, int] = field(default_factory=dict)
    due_today: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Badge:
    """``due`` in ``days`` working days, due ``today``, or ``overdue`` by ``days``."""

    state: str
    days: int


def badge(due: dt.date | None, today: dt.date) -> Badge | None:
    """How far ``due`` is from ``today`` in working days. A deadline on a
    weekend or holiday after today, with no working day between, is due today;
    one passed with no working day since is overdue by 0 (shown as overdue)."""
    if due is None:
        return None
    if due == today:
        return Badge("today", 0)
    if due > today:
        days = sla.working_days_between(today, due)
        return Badge("due", days) if days else Badge("today", 0)
    return Badge("overdue", sla.working_days_between(due, today))


def _conditions(
    staff: StaffUser, office, filters: QueueFilters, today: dt.date
) -> list[ColumnElement[bool]]:
    where = [ticket_filter(staff, office)]
    if filters.statuses:
        where.append(
            Ticket.status == filters.statuses[0]
            if len(filters.statuses) == 1
            else Ticket.status.in_(filters.statuses)
        )
    if filters.kind:
        where.append(Ticket.kind == filters.kind)
    if filters.overdue:
        where.append(Ticket.due_next < today)
    if filters.assignee == "me":
        where.append(Ticket.assignee_id == staff.id)
    elif filters.assignee == "none":
        where.append(Ticket.assignee_id.is_(None))
    elif filters.assignee is not None:
        where.append(Ticket.assignee_id == int(filters.assignee))
    if filters.village:
        where.append(Ticket.village_code == filters.village)
    return where


def _columns(where: list[ColumnElement[bool]]) -> Select:
    return (
        select(
            Ticket.id,
            Ticket.reference,
            Ticket.kind,
            Ticket.village_code,
            Region.name,
            Ticket.status,
            Ticket.due_next,
            StaffUser.display_name,
            Ticket.version,
        )
        .join(Region, Region.code == Ticket.village_code)
        .outerjoin(StaffUser, StaffUser.id == Ticket.assignee_id)
        .where(*where)
    )


def first_page_sql(
    staff: StaffUser,
    office,
    filters: QueueFilters = QueueFilters(),
    today: dt.date | None = None,
    per_page: int = PER_PAGE,
) -> Select:
    """The statement behind the first page (its dated part), to EXPLAIN."""
    today = today or sla.local_date(sla.as_utc())
    return _dated(_conditions(staff, office, filters, today)).limit(per_page + 1)


def _dated(where: list[ColumnElement[bool]]) -> Select:
    return _columns([*where, Ticket.due_next.is_not(None)]).order_by(Ticket.due_next, Ticket.id)


def _undated(where: list[ColumnElement[bool]]) -> Select:
    return _columns([*where, Ticket.due_next.is_(None)]).order_by(Ticket.id)


def fetch_page(
    staff: StaffUser,
    office,
    filters: QueueFilters,
    today: dt.date,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """Page ``page`` (from 1) of the queue, with one row more read to know
    whether a next page exists."""
    where = _conditions(staff, office, filters, today)
    offset, wanted = (page - 1) * per_page, per_page + 1
    rows = db.session.execute(_dated(where).limit(wanted).offset(offset)).all()
    if len(rows) < wanted and not filters.overdue:  # an undated ticket is never overdue
        if rows:
            dated_total = offset + len(rows)
        else:
            dated_total = db.session.scalar(
                select(func.count()).select_from(Ticket).where(*where, Ticket.due_next.is_not(None))
            )
        undated_offset = max(0, offset - dated_total)
        rows += db.session.execute(
            _undated(where).limit(wanted - len(rows)).offset(undated_offset)
        ).all()
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    counts = _evidence_counts([r[0] for r in rows])
    return QueuePage(
        rows=[QueueRow(*r, evidence_count=counts.get(r[0], 0)) for r in rows],
        page=page,
        has_next=has_next,
    )


def _evidence_counts(ticket_ids: list[int]) -> dict[int, int]:
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(Evidence.ticket_id, func.count())
        .where(Evidence.ticket_id.in_(ticket_ids))
        .group_by(Evidence.ticket_id)
    )
    return dict(rows.all())


def counts(staff: StaffUser, office, today: dt.date) -> QueueCounts:
    """Tickets per status, and how many are due today or overdue: one GROUP BY."""
    rows = db.session.execute(
        select(
            Ticket.status,
            func.count(),
            func.sum(case((Ticket.due_next == today, 1), else_=0)),
            func.sum(case((Ticket.due_next < today, 1), else_=0)),
        )
        .where(ticket_filter(staff, office))
        .group_by(Ticket.status)
    ).all()
    result = QueueCounts()
    for status, total, due_today, overdue in rows:
        result.by_status[status] = total
        result.due_today += int(due_today or 0)
        result.overdue += int(overdue or 0)
    return result


def find_visible(staff: StaffUser, office, reference: str) -> str | None:
    """The reference, when a ticket with it exists and this account may see it."""
    return db.session.scalar(
        select(Ticket.reference).where(
            and_(Ticket.reference == reference, ticket_filter(staff, office))
        )
    )


def explain(statement: Select) -> list[str]:
    """The database's plan for ``statement`` (``EXPLAIN QUERY PLAN`` on SQLite,
    ``EXPLAIN`` on PostgreSQL), one line per row: for tests and bench/."""
    connection = db.session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    if connection.dialect.name == "sqlite":
        sql, params = "EXPLAIN QUERY PLAN " + str(compiled), compiled.positiontup or ()
        params = tuple(compiled.params[name] for name in params)
    else:
        sql, params = "EXPLAIN " + str(compiled), compiled.params
    return [" ".join(str(c) for c in row) for row in connection.exec_driver_sql(sql, params)]
