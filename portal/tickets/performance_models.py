"""The office performance figures as last computed (``performance.refresh``).

One row per *scope*: a kab/kota office (``dinsos-32.01``), a province
(``prov-32``: its kab/kota offices together) or the nation (``national``:
every kab/kota office). The page reads these rows instead of scanning the
tickets: ``flask tickets performance-refresh`` (cron) replaces them all in one
transaction. What each column counts is defined in ``performance.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class PerformanceFigures(db.Model):
    __tablename__ = "performance_figures"

    #: The office code of the scope: a kab/kota office, a province office
    #: (standing for its province) or ``national``.
    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    #: ``regency``, ``province`` or ``national``.
    level: Mapped[str] = mapped_column(String(10))
    #: The province office code a kab/kota row belongs to (``prov-32``);
    #: ``national`` for a province row; None for the national row.
    parent: Mapped[str | None] = mapped_column(String(24), index=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The submission dates (WIB) counted by the period figures, both included.
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)

    open_count: Mapped[int] = mapped_column(Integer)
    overdue_count: Mapped[int] = mapped_column(Integer)
    #: The on-time share: ``on_time / (decided + open_past_decision)``.
    decided: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    open_past_decision: Mapped[int] = mapped_column(Integer)
    triaged: Mapped[int] = mapped_column(Integer)
    triage_median: Mapped[int | None] = mapped_column(Integer)
    triage_p90: Mapped[int | None] = mapped_column(Integer)
    decision_median: Mapped[int | None] = mapped_column(Integer)
    decision_p90: Mapped[int | None] = mapped_column(Integer)
    rating_count: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)
    oldest_reference: Mapped[str | None] = mapped_column(String(12))
    oldest_submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
