"""Claiming, renewing and finishing a job's run in ``job_runs``.

The claim is one conditional UPDATE: it succeeds (one row) only where the
job is due and nobody holds an unexpired lease. Whichever worker's UPDATE
the database applies first wins; the other's re-checked WHERE no longer
matches (PostgreSQL re-evaluates it on the updated row; SQLite has one
writer), so a run happens once across every worker on every machine.

``next_run_at`` moves when a run ends (from when it started, plus the
interval; sooner after a failure), not when it starts: a worker that dies
mid-run leaves a due job whose lease simply expires, and the next worker
takes it over at once instead of an interval later.

Times are the workers' clocks: keep the machines' clocks synchronised (NTP);
a skew approaching ``JOBS_LEASE_SECONDS`` would let a lease be taken early.

Callers commit (``portal.db.transaction``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.db import is_sqlite, stored_utc
from portal.extensions import db
from portal.jobs.models import JobRun


def ensure(names: Iterable[str]) -> None:
    """A row for every job (due at once), leaving existing rows alone."""
    rows = [{"name": name, "runs": 0, "failures": 0} for name in names]
    if rows:
        insert = sqlite_insert if is_sqlite() else pg_insert
        db.session.execute(insert(JobRun).values(rows).on_conflict_do_nothing())


def claim(name: str, owner: str, now: dt.datetime, lease_seconds: float) -> bool:
    """Take the job's run for ``lease_seconds`` if it is due and free."""
    result = db.session.execute(
        update(JobRun)
        .where(
            JobRun.name == name,
            or_(JobRun.lease_until.is_(None), JobRun.lease_until <= now),
            or_(JobRun.next_run_at.is_(None), JobRun.next_run_at <= now),
        )
        .values(
            lease_owner=owner,
            lease_until=now + dt.timedelta(seconds=lease_seconds),
            last_started_at=now,
            runs=JobRun.runs + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew(name: str, owner: str, now: dt.datetime, lease_seconds: float) -> bool:
    """Extend a lease still held; False when it expired and another took the job."""
    return _held(name, owner, lease_until=now + dt.timedelta(seconds=lease_seconds))


def finish(
    name: str,
    owner: str,
    *,
    started: dt.datetime,
    now: dt.datetime,
    interval_seconds: float,
    error: str | None = None,
    retry_seconds: float = 0,
) -> bool:
    """Record the run's outcome and free the job; False (nothing written) when
    the lease was lost meanwhile: the run that holds it now records its own."""
    next_run = started + dt.timedelta(seconds=interval_seconds)
    values: dict = {
        "lease_owner": None,
        "lease_until": None,
        "last_duration_ms": max(0, int((now - started).total_seconds() * 1000)),
    }
    if error is None:
        values.update(last_success_at=now, next_run_at=next_run)
    else:
        retry = now + dt.timedelta(seconds=retry_seconds)
        values.update(
            last_failure_at=now,
            last_error=error[:500],
            failures=JobRun.failures + 1,
            next_run_at=min(next_run, retry),
        )
    return _held(name, owner, **values)


def _held(name: str, owner: str, **values) -> bool:
    result = db.session.execute(
        update(JobRun)
        .where(JobRun.name == name, JobRun.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def all_runs() -> dict[str, JobRun]:
    return {row.name: row for row in db.session.scalars(select(JobRun))}


def overdue(row: JobRun | None, interval_seconds: float, now: dt.datetime) -> bool:
    """No success within twice the job's interval; a job that never
    succeeded is overdue too (no worker is running it)."""
    last = stored_utc(row.last_success_at) if row is not None else None
    return last is None or now - last > dt.timedelta(seconds=2 * interval_seconds)
