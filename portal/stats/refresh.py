"""``refresh(now)``: recompute every figure of /stats and replace the rows of
``stats_figures``, ``stats_counts`` and ``stats_months`` in one transaction
(``flask stats refresh``, cron; idempotent: run twice at the same moment it
writes the same rows). The page says "figures as of …" (``computed_at``).

**Same definitions, same numbers as the office performance page.** The
period (the 365 days of submission dates ending on the WIB day of the
refresh), the scopes (a kab/kota office; a province = its offices; the
nation = every ticket), overdue now, the on-time share ``on_time /
(decided + open_past_decision)`` (open tickets past their decision date
count against it), the working days to triage and to the first decision
and their nearest-rank medians, and the ratings are those of
``portal.tickets.performance``: this module calls its ``compute(now)`` and
stores its tallies, so at the same ``now`` both pages show the same numbers.

**Added here**, counted at the ticket's current office like the rest:

* ``stats_counts``: tickets *submitted in the period* by ``kind`` and by
  current status, grouped as the resident sees them (``STATUS_GROUPS``);
  ``submitted`` is their total.
* ``stats_months``: the 12 calendar months (WIB) ending with the month of
  the refresh (the current one partial). Per month: ``submitted`` (tickets
  created that month), ``decided`` (tickets whose *first* ``decided`` event
  fell that month, whenever they were submitted) and ``on_time`` (those of
  them decided on or before ``first_due_decision``, else ``due_decision``:
  performance's rule).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import case, delete, func, insert, select, text

from portal.extensions import db
from portal.stats.models import StatsCount, StatsFigures, StatsMonth
from portal.tickets import performance, sla, workflow
from portal.tickets.models import Ticket, TicketEvent

MONTHS = 12
_LOCK_KEY = 713_013

#: Workflow status -> the group /stats counts it in (the resident's words:
#: ``workflow.PUBLIC_LABELS``). Ordered as shown.
STATUS_GROUPS = {
    workflow.SUBMITTED: "received",
    workflow.TRANSFERRED: "received",
    workflow.IN_REVIEW: "checking",
    workflow.FIELD_CHECK: "checking",
    workflow.NEEDS_INFO: "needs_info",
    workflow.VERIFIED: "to_decide",
    workflow.ACCEPTED: "accepted",
    workflow.FORWARDED: "accepted",
    workflow.REJECTED: "rejected",
    workflow.CLOSED: "closed",
    workflow.DUPLICATE: "duplicate",
    workflow.WITHDRAWN: "withdrawn",
}


def months(today: dt.date) -> list[str]:
    """The trend's months, oldest first: ``YYYY-MM``."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - MONTHS + 1, index + 1)]


def _wib_month(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Jakarta", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def _fold(rows, counts_in, add) -> None:
    """Add each per-office row to every scope its office counts in."""
    for office_id, *rest in rows:
        for scope in counts_in.get(office_id, (performance.NATIONAL,)):
            add(scope, *rest)


def _counts(since: dt.datetime, counts_in) -> dict[tuple[str, str, str], int]:
    out: dict[tuple[str, str, str], int] = defaultdict(int)

    def add(scope, kind, status, n):
        out[(scope, "kind", kind)] += n
        out[(scope, "status", STATUS_GROUPS.get(status, status))] += n

    rows = db.session.execute(
        select(Ticket.office_id, Ticket.kind, Ticket.status, func.count())
        .where(Ticket.created_at >= since)
        .group_by(Ticket.office_id, Ticket.kind, Ticket.status)
    )
    _fold(rows, counts_in, add)
    return out


def _months(since: dt.datetime, counts_in) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add_submitted(scope, month, n):
        out[(scope, month)][0] += n

    def add_decided(scope, month, n, on_time):
        out[(scope, month)][1] += n
        out[(scope, month)][2] += int(on_time or 0)

    month = _wib_month(Ticket.created_at)
    submitted = db.session.execute(
        select(Ticket.office_id, month, func.count())
        .where(Ticket.created_at >= since)
        .group_by(Ticket.office_id, month)
    )
    _fold(submitted, counts_in, add_submitted)
    firsts = (
        select(TicketEvent.ticket_id, func.min(TicketEvent.at).label("at"))
        .where(TicketEvent.kind == "decided")
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    deadline = func.coalesce(Ticket.first_due_decision, Ticket.due_decision)
    on_time = case((performance._wib_date(firsts.c.at) <= deadline, 1), else_=0)
    month = _wib_month(firsts.c.at)
    decided = db.session.execute(
        select(Ticket.office_id, month, func.count(), func.sum(on_time))
        .join(firsts, firsts.c.ticket_id == Ticket.id)
        .where(firsts.c.at >= since)
        .group_by(Ticket.office_id, month)
    )
    _fold(decided, counts_in, add_decided)
    return out


def _figures(scope, info, tally, submitted, now, start, end) -> dict:
    row = tally.row()
    return {
        "scope": scope,
        "level": info[scope][0],
        "parent": info[scope][1],
        "computed_at": now,
        "period_start": start,
        "period_end": end,
        "submitted": submitted,
        "overdue_count": row["overdue_count"],
        "decided": row["decided"],
        "on_time": row["on_time"],
        "counted": row["decided"] + row["open_past_decision"],
        "triaged": row["triaged"],
        "triage_median": row["triage_median"],
        "decision_median": row["decision_median"],
        "rating_count": row["rating_count"],
        "rating_sum": row["rating_sum"],
    }


def refresh(now: dt.datetime, tallies: dict[str, performance.Tally] | None = None) -> int:
    """Replace every ``stats_*`` row with the figures at ``now``
    (``tallies``: ``performance.compute(now)`` when the caller has it
    already); flushes (the caller commits). Returns the number of scopes."""
    now = sla.as_utc(now)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    today = sla.local_date(now)
    start, end = performance.period(today)
    counts_in, info = performance._scopes()
    if tallies is None:
        tallies = performance.compute(now)
    counts = _counts(performance._wib_midnight_utc(start), counts_in)
    trend_months = months(today)
    first_day = dt.date.fromisoformat(trend_months[0] + "-01")
    trend = _months(performance._wib_midnight_utc(first_day), counts_in)
    submitted = defaultdict(int)
    for (scope, dimension, _), n in counts.items():
        if dimension == "kind":
            submitted[scope] += n
    figures = [
        _figures(scope, info, tally, submitted[scope], now, start, end)
        for scope, tally in tallies.items()
    ]
    count_rows = [
        {"scope": s, "dimension": dim, "key": key, "count": n}
        for (s, dim, key), n in sorted(counts.items())
        if s in tallies
    ]
    month_rows = [
        {"scope": s, "month": m, "submitted": v[0], "decided": v[1], "on_time": v[2]}
        for (s, m), v in sorted(trend.items())
        if s in tallies and m in trend_months
    ]
    for model in (StatsMonth, StatsCount, StatsFigures):
        db.session.execute(delete(model))
    for model, rows in (
        (StatsFigures, figures),
        (StatsCount, count_rows),
        (StatsMonth, month_rows),
    ):
        if rows:
            db.session.execute(insert(model), rows)
    db.session.flush()
    return len(figures)
