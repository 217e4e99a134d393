"""One scope of /stats, read from the ``stats_*`` rows and suppressed
(``suppress``): the page, the CSV and the JSON are all made from the
``ScopeStats`` that ``load`` returns, so they carry the same numbers.

Scopes are office codes: ``national``, a province office (``prov-32``) or a
kab/kota office (``dinsos-32.01``); anything else is "not found". The
ranking of a scope: the nation ranks its provinces, a province its kab/kota
offices, and a kab/kota office is shown within its province's ranking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import Office
from portal.stats import suppress
from portal.stats.models import StatsCount, StatsFigures, StatsMonth
from portal.stats.refresh import STATUS_GROUPS, months
from portal.stats.suppress import Cell
from portal.tickets import workflow
from portal.tickets.models import KINDS

KIND_LABELS = {
    "proposal": _l("Proposals"),
    "objection": _l("Objections"),
    "correction": _l("Data corrections"),
}
STATUS_LABELS = {
    "received": workflow.PUBLIC_LABELS[workflow.SUBMITTED],
    "checking": workflow.PUBLIC_LABELS[workflow.IN_REVIEW],
    "needs_info": _l("Waiting for the resident's reply"),
    "to_decide": workflow.PUBLIC_LABELS[workflow.VERIFIED],
    "accepted": workflow.PUBLIC_LABELS[workflow.ACCEPTED],
    "rejected": workflow.PUBLIC_LABELS[workflow.REJECTED],
    "closed": workflow.PUBLIC_LABELS[workflow.CLOSED],
    "duplicate": workflow.PUBLIC_LABELS[workflow.DUPLICATE],
    "withdrawn": workflow.PUBLIC_LABELS[workflow.WITHDRAWN],
}
STATUS_KEYS = tuple(dict.fromkeys(STATUS_GROUPS.values()))


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Month:
    month: str
    submitted: Cell
    decided: Cell
    on_time: Cell

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.month + "-01")


@dataclass(frozen=True)
class Ranked:
    rank: int | None
    place: Place
    share: Cell
    counted: Cell


@dataclass(frozen=True)
class ScopeStats:
    place: Place
    #: The scopes above it, nation first (for the breadcrumbs).
    above: list[Place]
    computed_at: dt.datetime
    period_start: dt.date
    period_end: dt.date
    #: name -> cell: submitted, overdue, decided, counted, on_time_share (%),
    #: triage_median, decision_median (working days), ratings, rating_average.
    figures: dict[str, Cell]
    kinds: dict[str, Cell]
    statuses: dict[str, Cell]
    trend: list[Month]
    #: The places ranked (provinces of the nation; offices of a province).
    ranking: list[Ranked]


def _place(office: Office) -> Place:
    return Place(office.code, office.name, office.level)


def _figures(f: StatsFigures) -> dict[str, Cell]:
    c, d = suppress.count, suppress.derived
    share = 100 * f.on_time / f.counted if f.counted else None
    average = f.rating_sum / f.rating_count if f.rating_count else None
    return {
        "submitted": c(f.submitted),
        "overdue": c(f.overdue_count),
        "decided": c(f.decided),
        "counted": c(f.counted),
        "on_time_share": d(None if share is None else round(share, 1), f.counted),
        "triage_median": d(f.triage_median, f.triaged),
        "decision_median": d(f.decision_median, f.decided),
        "ratings": c(f.rating_count),
        "rating_average": d(None if average is None else round(average, 2), f.rating_count),
    }


def _ranking(parent: str) -> list[Ranked]:
    rows = db.session.execute(
        select(Office.code, Office.name, Office.level, StatsFigures.on_time, StatsFigures.counted)
        .join(StatsFigures, StatsFigures.scope == Office.code)
        .where(StatsFigures.parent == parent)
    )
    lines = []
    for code, name, level, on_time, counted in rows:
        share = suppress.derived(round(100 * on_time / counted, 1) if counted else None, counted)
        lines.append((Place(code, name, level), share, suppress.count(counted)))
    ranked = sorted(
        (x for x in lines if not x[1].suppressed), key=lambda x: (-x[1].value, x[0].name)
    )
    rest = sorted((x for x in lines if x[1].suppressed), key=lambda x: x[0].name)
    out, rank, previous = [], 0, None
    for position, (place, share, counted) in enumerate(ranked, start=1):
        if share.value != previous:
            rank, previous = position, share.value
        out.append(Ranked(rank, place, share, counted))
    return out + [Ranked(None, place, share, counted) for place, share, counted in rest]


def _above(office: Office) -> list[Place]:
    chain = []
    parent_id = office.parent_id
    while parent_id is not None:
        parent = db.session.get(Office, parent_id)
        chain.append(_place(parent))
        parent_id = parent.parent_id
    return chain[::-1]


def load(code: str) -> ScopeStats | None:
    """The statistics of scope ``code``; None when there is no such scope or
    nothing was computed yet."""
    f = db.session.get(StatsFigures, code)
    office = db.session.scalar(select(Office).where(Office.code == code)) if f else None
    if f is None or office is None:
        return None
    counts = {
        (dim, key): n
        for dim, key, n in db.session.execute(
            select(StatsCount.dimension, StatsCount.key, StatsCount.count).where(
                StatsCount.scope == code
            )
        )
    }
    kinds = suppress.protect({k: counts.get(("kind", k), 0) for k in KINDS})
    statuses = suppress.protect({k: counts.get(("status", k), 0) for k in STATUS_KEYS})
    stored = {
        m.month: m for m in db.session.scalars(select(StatsMonth).where(StatsMonth.scope == code))
    }
    trend = []
    for month in months(f.period_end):
        m = stored.get(month)
        n = (m.submitted, m.decided, m.on_time) if m else (0, 0, 0)
        trend.append(Month(month, *(suppress.count(x) for x in n)))
    ranked_in = code if f.level != "regency" else f.parent
    return ScopeStats(
        place=_place(office),
        above=_above(office) if f.level != "national" else [],
        computed_at=f.computed_at if f.computed_at.tzinfo else f.computed_at.replace(tzinfo=dt.UTC),
        period_start=f.period_start,
        period_end=f.period_end,
        figures=_figures(f),
        kinds=kinds,
        statuses=statuses,
        trend=trend,
        ranking=_ranking(ranked_in) if ranked_in else [],
    )
