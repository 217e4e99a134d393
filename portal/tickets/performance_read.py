"""What the performance page shows to whom (issue 12 §5), read from the
rows ``performance.refresh`` wrote; the figures are defined there.

Who sees which scope (the same regions as ``staff.permissions``):

* a supervisor of the national office: the nation, each province as a row;
  may open any province or kab/kota office;
* a supervisor of a province office: the province, each of its kab/kota
  offices as a row; may open those offices;
* a handler, or the supervisor of a kab/kota office: their own office, with
  the workload of its handlers; nothing else.

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
from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import sla
from portal.tickets.performance import Workload
from portal.tickets.performance_models import PerformanceFigures


def may_open(viewer: Office | None, target: Office) -> bool:
    """May staff of office ``viewer`` (a supervisor or handler) see ``target``'s figures."""
    if viewer is None:
        return False
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


def report(office: Office) -> Report:
    if office.level == "national":
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
