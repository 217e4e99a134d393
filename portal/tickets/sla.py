"""Service levels: when the office must have done what (DESIGN.md §4).

Working days are Indonesian government working days: Monday to Friday minus
*libur nasional* (national holidays) and *cuti bersama* (the collective leave
days around them, which government offices take off), from the yearly SKB 3
Menteri as packaged by ``lokal``.

``lokal`` only knows the years whose decree is published (2026 and 2027 at
the time of writing); for any other year it raises. Rather than refuse to
compute a due date, this module then counts weekends only and logs a warning
once per year and process: such a due date may fall on a holiday, a day
earlier than it should. Updating ``lokal-id`` when a new SKB is published
(usually in September) fixes it.

Dates are calendar dates in WIB (UTC+7, no daylight saving), the portal's
one local calendar.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from lokal import is_working_day as _lokal_is_working_day

log = logging.getLogger(__name__)

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
_warned_years: set[int] = set()


@dataclass(frozen=True)
class SlaRules:
    """The deadlines, overridable through ``app.config["SLA_RULES"]``."""

    #: Triage within 3 working days of submission.
    triage_working_days: int = 3
    #: First substantive response within 5 working days of triage.
    response_working_days: int = 5
    #: Objections verified within 14 calendar days of submission.
    objection_verification_days: int = 14
    #: Decision within 60 calendar days of a complete file (Perpres 76/2013).
    decision_days: int = 60
    #: After a decision the resident may appeal for 10 working days.
    appeal_working_days: int = 10

    @classmethod
    def from_mapping(cls, values: Mapping[str, int] | None) -> SlaRules:
        """Defaults overridden by ``values``; an unknown name is an error, not a no-op."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown SLA rule(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{name: int(value) for name, value in values.items()})


def rules_from_config(config: Mapping) -> SlaRules:
    return SlaRules.from_mapping(config.get("SLA_RULES"))


@dataclass(frozen=True)
class DueDates:
    triage: dt.date
    response: dt.date
    #: Objections only.
    verification: dt.date | None
    decision: dt.date


def as_utc(moment: dt.datetime | None = None) -> dt.datetime:
    """``moment`` (default: now) in UTC, as every time is stored: SQLite keeps
    the wall time and drops the zone. A naive datetime is refused."""
    if moment is None:
        return dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("use an aware datetime")
    return moment.astimezone(dt.UTC)


def local_date(moment: dt.datetime) -> dt.date:
    """The WIB calendar date of a moment (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(WIB).date()


#: ``lokal`` scans its year's holiday list on every call; the queue asks for
#: about 800 days per page (its badges), so known days are remembered. A year
#: without a calendar raises, is not cached, and keeps its warning.
_calendar_working_day = functools.lru_cache(maxsize=4096)(
    functools.partial(_lokal_is_working_day, cuti_bersama=True)
)


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday and neither a national holiday nor cuti bersama."""
    try:
        return _calendar_working_day(day)
    except ValueError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "no holiday calendar for %d: counting weekends only (update lokal-id)", day.year
            )
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (before, when negative)."""
    step = dt.timedelta(days=1 if days >= 0 else -1)
    current, left = start, abs(days)
    while left:
        current += step
        if is_working_day(current):
            left -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when
    ``end`` is before ``start``. ``add_working_days(a, working_days_between(a, b)) == b``
    whenever ``b`` is a working day."""
    if end < start:
        return -working_days_between(end, start)
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        count += is_working_day(current)
    return count


def due_dates(kind: str, submitted_on: dt.date, rules: SlaRules) -> DueDates:
    """Deadlines of a ticket submitted (or transferred) on ``submitted_on``.

    The response date assumes triage on its last allowed day; the workflow
    sets it again from the real triage date (``response_due``).
    """
    triage = add_working_days(submitted_on, rules.triage_working_days)
    return DueDates(
        triage=triage,
        response=response_due(triage, rules),
        verification=(
            submitted_on + dt.timedelta(days=rules.objection_verification_days)
            if kind == "objection"
            else None
        ),
        decision=submitted_on + dt.timedelta(days=rules.decision_days),
    )


def response_due(triaged_on: dt.date, rules: SlaRules) -> dt.date:
    return add_working_days(triaged_on, rules.response_working_days)


def appeal_deadline(decided_on: dt.date, rules: SlaRules) -> dt.date:
    return add_working_days(decided_on, rules.appeal_working_days)


def after_pause(due: DueDates, paused_on: dt.date, resumed_on: dt.date) -> DueDates:
    """Deadlines moved by the time the ticket waited for the resident (needs_info).

    Working-day deadlines move by the working days paused, calendar ones by
    the calendar days. Triage is over by then and stays.
    """
    working = working_days_between(paused_on, resumed_on)
    calendar = dt.timedelta(days=(resumed_on - paused_on).days)
    return DueDates(
        triage=due.triage,
        response=add_working_days(due.response, working),
        verification=due.verification + calendar if due.verification else None,
        decision=due.decision + calendar,
    )
