"""One row per periodic job: who holds its run, and how its runs went.

A worker claims a job's run by moving ``lease_until`` forward in one
conditional UPDATE (only where the lease has expired and ``next_run_at`` is
due; ``portal.jobs.runs``); the database decides, so two workers on two machines never run the
same job at once. ``last_success_at`` is what monitoring reads
(``portal.metrics``, ``flask worker status``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"

    #: The job's name in the schedule (``escalate``, ``retention``, …).
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The worker holding the current run (``host:pid:random``), or None.
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    #: The run's claim ends here; past it another worker may claim the job.
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the job is next due: set when a run ends, from its start plus the
    #: interval (sooner after a failure), so a dead worker's run is taken over
    #: as soon as its lease expires (``portal.jobs.runs``).
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The last failure's exception class and message, cut to fit (no personal data).
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: Milliseconds the last finished run took.
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
