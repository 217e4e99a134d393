"""The public statistics as last computed (``portal.stats.refresh``).

Three tables, all rewritten together by ``flask stats refresh`` (cron):
``stats_figures`` one row per scope (a kab/kota office, a province, the
nation: the scopes of ``performance_figures``), ``stats_counts`` its tickets
by kind and by status, ``stats_months`` its 12-month trend. The /stats page
reads these rows, never the tickets. What each column counts:
``portal/stats/refresh.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class StatsFigures(db.Model):
    __tablename__ = "stats_figures"

    #: An office code (``dinsos-32.01``, ``prov-32``) or ``national``.
    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    #: ``regency``, ``province`` or ``national``.
    level: Mapped[str] = mapped_column(String(10))
    #: The scope it counts in (a province office code, ``national``); None for the nation.
    parent: Mapped[str | None] = mapped_column(String(24), index=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    #: Tickets submitted in the period.
    submitted: Mapped[int] = mapped_column(Integer)
    overdue_count: Mapped[int] = mapped_column(Integer)
    decided: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    #: The share's denominator: decided + open past the decision date.
    counted: Mapped[int] = mapped_column(Integer)
    triaged: Mapped[int] = mapped_column(Integer)
    triage_median: Mapped[int | None] = mapped_column(Integer)
    decision_median: Mapped[int | None] = mapped_column(Integer)
    rating_count: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)


class StatsCount(db.Model):
    """Tickets submitted in the period, by ``kind`` or by current ``status``."""

    __tablename__ = "stats_counts"

    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    #: ``kind`` or ``status``.
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class StatsMonth(db.Model):
    """One calendar month (WIB) of a scope's trend."""

    __tablename__ = "stats_months"

    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    #: ``YYYY-MM``.
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    submitted: Mapped[int] = mapped_column(Integer)
    #: Tickets whose first decision fell in the month, and those on time.
    decided: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
