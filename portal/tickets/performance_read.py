"""What the performance page shows to whom (issue 12 §5), read from the
rows ``performance.refresh`` wrote; the figures are defined there.

Who sees which scope (the same regions as ``staff.permissions``):

* a supervisor of the national office: the nation, each province as a row;
  may open any province or kab/kota office;
* a supervisor of a province office: the province, each of its kab/kota
  offices as a row; may open those offices;
* the supervisor of a kab/kota office: their own office, with the workload
  of its handlers; nothing else;
* a handler: their own office only, *whatever its level*: a handler of a
  kab/kota office sees it with its handlers' workload; a handler attached
  to a province or the national office sees that scope's total row only
  (not the rows of its offices) and may open no other office's page.

Any other office code answers "not found", as a ticket outside the region.
The table and the CSV are made from one list of columns (``COLUMNS``), so
the CSV holds exactly the cells of the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.performance_models import PerformanceFigures
from portal.tickets.workflow import OPEN_STATUSES


def may_open(viewer: Office | None, target: Office, role: str) -> bool:
    """May staff of office ``viewer`` with ``role`` (supervisor or handler)
    see ``target``'s figures. A handler: their own office only."""
    if viewer is None:
        return False
    if role != "supervisor":
        return target.id == viewer.id
    if viewer.level == "national":
        return True
    if viewer.level == "province":
        return target.id == viewer.id or target.parent_id == viewer.id
    return target.id == viewer.id


def office_by_code(code: str) -> Office | None:
    return db.session.scalar(select(Office).where(Office.code == code))


@dataclass(frozen=True)
class Line:
    """One row of a table: a scope's figures (None before the first refresh)."""

    code: str
    name: str
    level: str
    figures: PerformanceFigures | None

    @property
    def counted(self) -> int | None:
        f = self.figures
        return None if f is None else f.decided + f.open_past_decision

    @property
    def share(self) -> float | None:
        """On-time share in percent, None when nothing counts."""
        if not self.counted:
            return None
        return 100.0 * self.figures.on_time / self.counted

    @property
    def rating_average(self) -> float | None:
        f = self.figures
        return f.rating_sum / f.rating_count if f and f.rating_count else None

    @property
    def oldest_age_days(self) -> int | None:
        f = self.figures
        if f is None or f.oldest_submitted_at is None:
            return None
        submitted = f.oldest_submitted_at
        if submitted.tzinfo is None:
            submitted = submitted.replace(tzinfo=dt.UTC)
        return (f.period_end - sla.local_date(submitted)).days


def _num(value) -> str:
    return "–" if value is None else str(value)


def _fig(name: str) -> Callable[[Line], str]:
    return lambda line: _num(getattr(line.figures, name) if line.figures else None)


#: (key, header, cell text): the table's and the CSV's columns, in order.
COLUMNS: list[tuple[str, object, Callable[[Line], str]]] = [
    ("name", _l("Office"), lambda line: line.name),
    ("code", _l("Code"), lambda line: line.code),
    ("open", _l("Open"), _fig("open_count")),
    ("overdue", _l("Overdue now"), _fig("overdue_count")),
    ("on_time", _l("Decided on time"), _fig("on_time")),
    ("counted", _l("Counted for on time"), lambda line: _num(line.counted)),
    (
        "share",
        _l("On time (%)"),
        lambda line: "–" if line.share is None else f"{line.share:.1f}",
    ),
    ("triaged", _l("Triaged"), _fig("triaged")),
    ("triage_median", _l("Days to triage, median"), _fig("triage_median")),
    ("triage_p90", _l("Days to triage, 90th percentile"), _fig("triage_p90")),
    ("decided", _l("Decided"), _fig("decided")),
    ("decision_median", _l("Days to decision, median"), _fig("decision_median")),
    ("decision_p90", _l("Days to decision, 90th percentile"), _fig("decision_p90")),
    ("ratings", _l("Ratings"), _fig("rating_count")),
    (
        "rating_average",
        _l("Average rating"),
        lambda line: "–" if line.rating_average is None else f"{line.rating_average:.2f}",
    ),
    ("oldest", _l("Oldest open ticket"), _fig("oldest_reference")),
    ("oldest_age", _l("Its age (days)"), lambda line: _num(line.oldest_age_days)),
]


def _lines(offices: list[Office]) -> list[Line]:
    figures = {
        f.scope: f
        for f in db.session.scalars(
            select(PerformanceFigures).where(
                PerformanceFigures.scope.in_([o.code for o in offices])
            )
        )
    }
    return [Line(o.code, o.name, o.level, figures.get(o.code)) for o in offices]


@dataclass(frozen=True)
class Report:
    """A page: the scope's own line, and a line per part of it (provinces of
    the nation, offices of a province; none for a kab/kota office)."""

    office: Office
    total: Line
    parts: list[Line]

    @property
    def computed_at(self) -> dt.datetime | None:
        f = self.total.figures
        return f.computed_at if f else None


def report(office: Office, with_parts: bool = True) -> Report:
    """``office``'s total and, ``with_parts``, a row for each office or
    province under it (a handler gets the total only)."""
    if not with_parts:
        children = None
    elif office.level == "national":
        children = select(Office).where(Office.level == "province")
    elif office.level == "province":
        children = select(Office).where(Office.parent_id == office.id)
    else:
        children = None
    parts = list(db.session.scalars(children.order_by(Office.code))) if children is not None else []
    total, *rest = _lines([office, *parts])
    return Report(office, total, rest)


def table(lines: list[Line]) -> list[list[str]]:
    """The header and the cells of each line, as the page and the CSV show them."""
    return [[str(h) for _, h, _ in COLUMNS]] + [
        [cell(line) for *_, cell in COLUMNS] for line in lines
    ]


WORKLOAD_HEADERS = (_l("Handler"), _l("Open tickets assigned"), _l("Overdue among them"))


def workload_table(rows: list[Workload]) -> list[list[str]]:
    return [[str(h) for h in WORKLOAD_HEADERS]] + [
        [w.name, str(w.open_count), str(w.overdue_count)] for w in rows
    ]


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet.
        writer.writerow(["'" + c if c[:1] in "=+-@" and c != "–" else c for c in row])
    return out.getvalue()


@dataclass(frozen=True)
class Workload:
    staff_id: int
    name: str
    open_count: int
    overdue_count: int


def workload(office_id: int, today: dt.date) -> list[Workload]:
    """Live: each active handler or supervisor of the office, and anyone else
    holding open tickets of it, with their open assigned tickets and how many
    of those are overdue (``due_next`` before ``today``). By name."""
    overdue = func.sum(case((Ticket.due_next < today, 1), else_=0))
    counts = {
        sid: (n, int(late or 0))
        for sid, n, late in db.session.execute(
            select(Ticket.assignee_id, func.count(), overdue)
            .where(
                Ticket.office_id == office_id,
                Ticket.assignee_id.is_not(None),
                Ticket.status.in_(sorted(OPEN_STATUSES)),
            )
            .group_by(Ticket.assignee_id)
        )
    }
    people = db.session.execute(
        select(StaffUser.id, StaffUser.display_name).where(
            or_(
                (StaffUser.office_id == office_id)
                & StaffUser.active
                & StaffUser.role.in_(("handler", "supervisor")),
                StaffUser.id.in_(list(counts) or [-1]),
            )
        )
    )
    rows = [Workload(sid, name, *counts.get(sid, (0, 0))) for sid, name in people]
    return sorted(rows, key=lambda w: (w.name.casefold(), w.staff_id))
