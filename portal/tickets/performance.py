"""Office performance (issue 12 §5): the figures, as computed by ``refresh``.

``refresh(now)`` reads every ticket once and replaces the rows of
``performance_figures`` (one per kab/kota office, per province and for the
nation) in one transaction; the page reads those rows, never the tickets
(1M tickets: a page must not scan them). ``flask tickets
performance-refresh`` runs it (cron, every 15 minutes); it is idempotent:
run twice at the same moment it writes the same rows. The page says "figures
as of HH:MM" (``computed_at``).

**The period.** ``today`` is the WIB date of the refresh. The *period* is
the 365 days of submission dates ending today: ``today - 364 … today``
(``PERIOD_DAYS``). A ticket's *submission date* is the WIB date of
``Ticket.created_at``; its office is its current ``Ticket.office_id`` (a
transferred ticket counts at the office that has it now).

**The figures of a scope** (a kab/kota office; a province: the tickets of
its offices together; the nation: all tickets):

* ``open_count``: tickets whose status is open (``workflow.OPEN_STATUSES``:
  submitted, transferred, in review, needs info, field check, verified) at
  the refresh, whatever their submission date.
* ``overdue_count``: open tickets with ``due_next`` before today (a ticket
  paused for the resident has no ``due_next`` and is not overdue).
* **Share decided within the SLA** = ``on_time / (decided + open_past_decision)``
  over tickets submitted in the period, where a ticket's *first decision* is
  its earliest ``ticket_events`` row of kind ``decided`` (a move to accepted
  or rejected) and its date is the WIB date of that event:

  - ``decided``: tickets with a first decision;
  - ``on_time``: those whose first decision date is on or before the
    decision deadline *as it stood at that first decision*:
    ``Ticket.first_due_decision``, which ``workflow.transition`` sets at the
    first ``decided`` move (60 calendar days after submission, or after the
    last transfer, moved by pauses for the resident). An appeal gives the
    ticket a new ``due_decision`` (appeal day + 60) but leaves
    ``first_due_decision`` alone, so a late first decision stays late once
    appealed. A ticket decided outside the workflow (generated benchmark
    data) has none and counts against its ``due_decision``; migration 0013
    backfilled ``due_decision`` into it for tickets already decided (exact
    unless they had already been appealed);
  - ``open_past_decision``: open tickets without any decision whose
    ``due_decision`` is before today: they are already late, so they count
    against the share.

* **Working days to triage**: for tickets submitted in the period with a
  ``triaged`` event, ``sla.working_days_between(submission date, date of the
  first triaged event)`` (working days after the submission day up to and
  including the triage day: weekends, national holidays and cuti bersama do
  not count). ``triaged`` is how many such tickets; ``triage_median`` and
  ``triage_p90`` their median and 90th percentile.
* **Working days to decision**: the same from the **submission date** (not
  from a complete file: the file's completion is not recorded as a date) to
  the first decision date, over the ``decided`` tickets.
* Percentiles are by *nearest rank*: the p-th percentile of n sorted values
  is the value at rank ⌈p·n/100⌉ (1-based), so the median of 4 values is the
  2nd; no interpolation, always a whole number of days. None when n = 0.
* ``rating_count`` and ``rating_sum`` (the average is their quotient):
  ``ratings`` rows given in the period (WIB date of ``Rating.created_at``),
  counted at ``Rating.office_id`` (the office that decided).
* ``oldest_reference``/``oldest_submitted_at``: the open ticket submitted
  first (ties: the lower reference); its age on the page is in calendar
  days from its submission date to the day of the refresh.

Per-handler workload (open tickets assigned to each, overdue among them) is
not stored here: it is one office's live query (``performance_read.workload``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Date, case, cast, delete, func, insert, or_, select, text

from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import sla
from portal.tickets.models import Rating, Ticket, TicketEvent
from portal.tickets.performance_models import PerformanceFigures
from portal.tickets.workflow import OPEN_STATUSES

PERIOD_DAYS = 365
NATIONAL = "national"
#: ``pg_advisory_xact_lock`` key: two refreshes at once wait for each other.
_LOCK_KEY = 712_005


def percentile(values: Iterable[int] | Counter, p: int) -> int | None:
    """Nearest rank: the value at rank ceil(p*n/100) of the sorted values
    (given as a list, or as a ``Counter`` of value -> how many times)."""
    counts = values if isinstance(values, Counter) else Counter(values)
    n = sum(counts.values())
    if not n:
        return None
    rank = max(1, -(-p * n // 100))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable")


@dataclass
class Tally:
    """The running figures of one scope during a refresh."""

    open_count: int = 0
    overdue_count: int = 0
    decided: int = 0
    on_time: int = 0
    open_past_decision: int = 0
    #: Working days -> how many tickets took that long.
    triage_days: Counter = field(default_factory=Counter)
    decision_days: Counter = field(default_factory=Counter)
    rating_count: int = 0
    rating_sum: int = 0
    oldest: tuple[dt.datetime, str] | None = None

    def add(self, other: Tally) -> None:
        """Fold ``other`` (a part of this scope) into this one."""
        for name in ("open_count", "overdue_count", "decided", "on_time", "open_past_decision"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rating_count += other.rating_count
        self.rating_sum += other.rating_sum
        self.triage_days.update(other.triage_days)
        self.decision_days.update(other.decision_days)
        if other.oldest is not None and (self.oldest is None or other.oldest < self.oldest):
            self.oldest = other.oldest

    def row(self) -> dict:
        return {
            "open_count": self.open_count,
            "overdue_count": self.overdue_count,
            "decided": self.decided,
            "on_time": self.on_time,
            "open_past_decision": self.open_past_decision,
            "triaged": sum(self.triage_days.values()),
            "triage_median": percentile(self.triage_days, 50),
            "triage_p90": percentile(self.triage_days, 90),
            "decision_median": percentile(self.decision_days, 50),
            "decision_p90": percentile(self.decision_days, 90),
            "rating_count": self.rating_count,
            "rating_sum": self.rating_sum,
            "oldest_reference": self.oldest[1] if self.oldest else None,
            "oldest_submitted_at": self.oldest[0] if self.oldest else None,
        }


def period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=PERIOD_DAYS - 1), today


def _wib_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), sla.WIB).astimezone(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive UTC datetimes back."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _scopes() -> tuple[dict[int, tuple[str, ...]], dict[str, tuple[str, str | None]]]:
    """For each office id, the scopes its tickets count in; for each scope,
    its (level, parent)."""
    offices = db.session.execute(select(Office.id, Office.code, Office.level, Office.parent_id))
    rows = list(offices)
    code_of = {oid: code for oid, code, _, _ in rows}
    counts_in: dict[int, tuple[str, ...]] = {}
    info: dict[str, tuple[str, str | None]] = {NATIONAL: ("national", None)}
    for oid, code, level, parent_id in rows:
        if level == "regency":
            parent = code_of.get(parent_id)
            counts_in[oid] = (code, parent, NATIONAL) if parent else (code, NATIONAL)
            info[code] = ("regency", parent)
        elif level == "province":
            counts_in[oid] = (code, NATIONAL)
            info[code] = ("province", NATIONAL)
        else:
            counts_in[oid] = (NATIONAL,)
    return counts_in, info


def _wib_date(column):
    """The WIB calendar date of a stored moment, computed by the database
    (``sla.local_date`` in SQL): WIB is UTC+7 all year."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Jakarta", column), Date)
    return func.date(column, "+7 hours", type_=Date)  # SQLite keeps UTC wall times


def _ticket_rows(since: dt.datetime):
    """Each ticket submitted in the period or open now: its office, whether
    it is open, submission date, the dates of its first triage and first
    decision (WIB), its deadlines (the decision deadline now, and as it stood
    at the first decision), and for an open ticket its reference and
    submission time (for the oldest)."""
    firsts = (
        select(
            TicketEvent.ticket_id,
            _wib_date(func.min(case((TicketEvent.kind == "triaged", TicketEvent.at)))).label(
                "triaged_on"
            ),
            _wib_date(func.min(case((TicketEvent.kind == "decided", TicketEvent.at)))).label(
                "decided_on"
            ),
        )
        .where(TicketEvent.kind.in_(("triaged", "decided")))
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    is_open = Ticket.status.in_(sorted(OPEN_STATUSES))
    query = (
        select(
            Ticket.office_id,
            is_open,
            _wib_date(Ticket.created_at),
            firsts.c.triaged_on,
            firsts.c.decided_on,
            Ticket.due_next,
            Ticket.due_decision,
            func.coalesce(Ticket.first_due_decision, Ticket.due_decision),
            case((is_open, Ticket.reference)),
            case((is_open, Ticket.created_at)),
        )
        .outerjoin(firsts, firsts.c.ticket_id == Ticket.id)
        .where(or_(Ticket.created_at >= since, is_open))
    )
    # Core rows streamed from a server-side cursor: no ORM row objects (1M rows).
    return db.session.connection().execute(query.execution_options(yield_per=20_000))


def compute(now: dt.datetime) -> dict[str, Tally]:
    """The tallies of every scope at ``now`` (reads only). Each ticket is
    tallied at its office; provinces and the nation are the sums of their
    offices' tallies (medians over the merged day counts)."""
    today = sla.local_date(sla.as_utc(now))
    start, _ = period(today)
    since = _wib_midnight_utc(start)
    counts_in, info = _scopes()
    by_office: dict[int, Tally] = {}
    between = functools.lru_cache(maxsize=None)(sla.working_days_between)
    for office_id, is_open, submitted_on, triaged_on, decided_on, *rest in _ticket_rows(since):
        due_next, due_decision, first_due_decision, reference, created = rest
        t = by_office.get(office_id)
        if t is None:
            t = by_office[office_id] = Tally()
        if is_open:
            t.open_count += 1
            if due_next is not None and due_next < today:
                t.overdue_count += 1
            oldest = (_aware(created), reference)
            if t.oldest is None or oldest < t.oldest:
                t.oldest = oldest
        if submitted_on < start:
            continue
        if triaged_on is not None:
            t.triage_days[between(submitted_on, triaged_on)] += 1
        if decided_on is not None:
            t.decided += 1
            if first_due_decision is not None and decided_on <= first_due_decision:
                t.on_time += 1
            t.decision_days[between(submitted_on, decided_on)] += 1
        elif is_open and due_decision is not None and due_decision < today:
            t.open_past_decision += 1
    ratings = db.session.execute(
        select(Rating.office_id, func.count(), func.sum(Rating.score))
        .where(Rating.created_at >= since, Rating.created_at <= sla.as_utc(now))
        .group_by(Rating.office_id)
    )
    for office_id, count, total in ratings:
        t = by_office.setdefault(office_id, Tally())
        t.rating_count += count
        t.rating_sum += int(total or 0)
    tallies = {scope: Tally() for scope in info}
    for office_id, tally in by_office.items():
        for scope in counts_in.get(office_id, (NATIONAL,)):
            tallies[scope].add(tally)
    return tallies


def refresh(now: dt.datetime, tallies: dict[str, Tally] | None = None) -> int:
    """Replace every row of ``performance_figures`` with the figures at
    ``now`` (``tallies``: ``compute(now)`` when the caller has it already);
    flushes (the caller commits). Returns the number of rows."""
    now = sla.as_utc(now)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    if tallies is None:
        tallies = compute(now)
    _, info = _scopes()
    start, end = period(sla.local_date(now))
    rows = [
        {
            "scope": scope,
            "level": info[scope][0],
            "parent": info[scope][1],
            "computed_at": now,
            "period_start": start,
            "period_end": end,
            **tally.row(),
        }
        for scope, tally in tallies.items()
    ]
    db.session.execute(delete(PerformanceFigures))
    if rows:
        db.session.execute(insert(PerformanceFigures), rows)
    db.session.flush()
    return len(rows)
