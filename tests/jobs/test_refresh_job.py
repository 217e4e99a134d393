"""The worker's ``refresh`` job (``flask stats refresh --with-performance``)
writes both the office performance figures and /stats from one tally of the
tickets: ``performance.compute`` ran twice per run before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs.schedule import JOBS
from portal.stats.models import StatsFigures
from portal.tickets import performance
from portal.tickets.performance_models import PerformanceFigures

pytestmark = pytest.mark.usefixtures("db_clean")


def test_the_refresh_job_tallies_the_tickets_once_for_both(app_ctx, monkeypatch):
    calls = []
    real = performance.compute
    monkeypatch.setattr(performance, "compute", lambda now: calls.append(now) or real(now))
    job = next(j for j in JOBS if j.name == "refresh")

    detail = job.run()

    assert len(calls) == 1, detail
    assert "performance figures" in detail and "stats figures" in detail
    # Both tables were written from that one tally (the national scope at least).
    assert db.session.scalar(select(func.count()).select_from(PerformanceFigures)) >= 1
    assert db.session.scalar(select(func.count()).select_from(StatsFigures)) >= 1


def test_the_plain_command_still_tallies_for_stats_alone(app_ctx, monkeypatch):
    from portal.jobs.schedule import invoke
    from portal.stats.cli import refresh_command

    calls = []
    real = performance.compute
    monkeypatch.setattr(performance, "compute", lambda now: calls.append(now) or real(now))

    detail = invoke(refresh_command)

    assert len(calls) == 1 and "performance figures" not in detail
