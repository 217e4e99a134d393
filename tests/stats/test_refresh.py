"""The stored aggregates of /stats against the world of
``performance_fixtures``, every number computed by hand from its docstring
(NOW Wed 15 Apr 2026 10:00 WIB; period 16 Apr 2025 – 15 Apr 2026; trend
months 2025-05 … 2026-04). All its tickets are proposals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.extensions import db
from portal.stats.models import StatsCount, StatsFigures, StatsMonth
from portal.stats.refresh import months
from tests.office import performance_fixtures as pf
from tests.stats.conftest import refresh

BOGOR, BANDUNG = pf.BOGOR, pf.BANDUNG_OFFICE

#: submitted in the period, overdue now, decided, on time, counted (decided +
#: open past the decision date), triaged, triage median, decision median,
#: ratings, rating sum. Bogor: B1–B7 submitted (O1, O2 before the period).
FIGURES = {
    BOGOR: (7, 3, 2, 0, 3, 6, 2, 35, 2, 8),
    BANDUNG: (3, 1, 1, 1, 2, 2, 1, 3, 1, 4),
    pf.JAKARTA_OFFICE: (1, 0, 1, 0, 1, 1, 1, 44, 1, 2),
    "prov-32": (10, 4, 3, 1, 5, 8, 2, 35, 3, 12),
    "national": (11, 4, 4, 1, 6, 9, 2, 35, 4, 14),
}
COLUMNS = (
    "submitted", "overdue_count", "decided", "on_time", "counted", "triaged",
    "triage_median", "decision_median", "rating_count", "rating_sum",
)  # fmt: skip

#: By status group. Bogor: B1 rejected (after its appeal, decided again),
#: B2 accepted, B3 B6 in review, B4 needs info, B5 submitted, B7 withdrawn;
#: Bandung: D1 forwarded (accepted), D2 verified, D3 submitted.
STATUSES = {
    BOGOR: {"received": 1, "checking": 2, "needs_info": 1, "accepted": 1, "rejected": 1,
            "withdrawn": 1},
    BANDUNG: {"received": 1, "to_decide": 1, "accepted": 1},
    "prov-32": {"received": 2, "checking": 2, "needs_info": 1, "to_decide": 1, "accepted": 2,
                "rejected": 1, "withdrawn": 1},
    "national": {"received": 2, "checking": 2, "needs_info": 1, "to_decide": 1, "accepted": 2,
                 "rejected": 2, "withdrawn": 1},
}  # fmt: skip

#: month -> (submitted, first decided, of them on time). B5 (13 Apr 20:00
#: UTC) is April WIB; B1's first decision 11 Mar (late; its second, 10 Apr,
#: does not count), B2's 14 Apr WIB (late), D1 26 Mar (on time), J1 10 Mar
#: (late); O2's decision (Mar 2025) is before the trend.
MONTHS = {
    BOGOR: {"2026-01": (2, 0, 0), "2026-02": (1, 0, 0), "2026-03": (1, 1, 0),
            "2026-04": (3, 1, 0)},
    "prov-32": {"2026-01": (2, 0, 0), "2026-02": (2, 0, 0), "2026-03": (2, 2, 1),
                "2026-04": (4, 1, 0)},
    "national": {"2026-01": (3, 0, 0), "2026-02": (2, 0, 0), "2026-03": (2, 3, 1),
                 "2026-04": (4, 1, 0)},
}  # fmt: skip


def snapshot(app) -> dict:
    with app.app_context():
        return {
            "figures": {
                f.scope: {c.name: getattr(f, c.name) for c in StatsFigures.__table__.columns}
                for f in db.session.scalars(select(StatsFigures))
            },
            "counts": {
                (c.scope, c.dimension, c.key): c.count
                for c in db.session.scalars(select(StatsCount))
            },
            "months": {
                (m.scope, m.month): (m.submitted, m.decided, m.on_time)
                for m in db.session.scalars(select(StatsMonth))
            },
        }


def test_figures_by_hand(app, refreshed):
    figures = snapshot(app)["figures"]
    for scope, expected in FIGURES.items():
        assert tuple(figures[scope][c] for c in COLUMNS) == expected, scope
    assert figures["prov-32"]["parent"] == "national"
    assert figures[BOGOR]["parent"] == "prov-32"
    assert figures[BOGOR]["period_start"] == dt.date(2025, 4, 16)
    assert figures["national"]["period_end"] == dt.date(2026, 4, 15)


def test_counts_by_kind_and_status(app, refreshed):
    counts = snapshot(app)["counts"]
    for scope, expected in STATUSES.items():
        got = {key: n for (s, dim, key), n in counts.items() if s == scope and dim == "status"}
        assert got == expected, scope
        kinds = {key: n for (s, dim, key), n in counts.items() if s == scope and dim == "kind"}
        assert kinds == {"proposal": FIGURES[scope][0]}, scope


def test_trend_by_hand(app, refreshed):
    stored = snapshot(app)["months"]
    for scope, expected in MONTHS.items():
        got = {m: v for (s, m), v in stored.items() if s == scope}
        assert got == expected, scope


def test_months_are_the_last_twelve():
    assert months(dt.date(2026, 4, 15)) == [
        "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10",
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04",
    ]  # fmt: skip
    assert months(dt.date(2026, 12, 1))[0] == "2026-01"


def test_refresh_is_idempotent(app, refreshed):
    first = snapshot(app)
    refresh(app)
    assert snapshot(app) == first
    refresh(app, pf.NOW + dt.timedelta(days=1))
    later = snapshot(app)
    assert (
        later["figures"]["national"]["computed_at"] != first["figures"]["national"]["computed_at"]
    )
    refresh(app)
    assert snapshot(app) == first


def test_same_numbers_as_the_performance_figures(app, refreshed):
    """Issue 12's refresh at the same moment gives the same shared numbers."""
    from portal.db import transaction
    from portal.tickets import performance
    from portal.tickets.performance_models import PerformanceFigures

    with app.app_context(), transaction():
        performance.refresh(pf.NOW)
    with app.app_context():
        perf = {p.scope: p for p in db.session.scalars(select(PerformanceFigures))}
        stats = {s.scope: s for s in db.session.scalars(select(StatsFigures))}
        assert perf.keys() == stats.keys()
        for scope, p in perf.items():
            s = stats[scope]
            assert (s.overdue_count, s.decided, s.on_time, s.counted) == (
                p.overdue_count, p.decided, p.on_time, p.decided + p.open_past_decision
            )  # fmt: skip
            assert (s.triage_median, s.decision_median, s.rating_sum) == (
                p.triage_median, p.decision_median, p.rating_sum
            )  # fmt: skip
