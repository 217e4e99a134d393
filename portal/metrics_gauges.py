"""The metrics read from the database at scrape time (issue 14 §4).

Nothing here is counted as it happens: tickets, the outbox and the job runs
are rows every process and the worker share, so a scrape reads them. Four
grouped queries, each walking an index (``tickets.status``; ``ix_tickets_office_
status_due`` for the open ones; ``ix_outbox_status_next``; ``job_runs`` has a
row per job), and the answer is kept ``METRICS_DB_CACHE_SECONDS`` per
process, so several Prometheus servers scraping several app servers cost the
database one set of queries per process and period. Ages are computed at
collect time from the cached timestamps, so they never go stale.

When the database does not answer, the scrape still succeeds:
``portal_metrics_database_up`` is 0 and the database gauges are left out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from flask import Flask, current_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from portal.extensions import db

log = logging.getLogger("portal.metrics")
_lock = threading.Lock()
CACHE_KEY = "metrics_database_snapshot"


def _epoch(value: dt.datetime | None) -> float | None:
    """Seconds since the epoch; a zoneless time (SQLite) is UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def read_snapshot() -> dict:
    """The four readings, straight from the database."""
    from portal.jobs.models import JobRun
    from portal.notify import outbox
    from portal.regions.models import Office
    from portal.tickets.models import Ticket
    from portal.tickets.workflow import OPEN_STATUSES, STATUSES

    by_status = dict.fromkeys(STATUSES, 0)
    rows = db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    by_status.update({status: n for status, n in rows})
    oldest = db.session.execute(
        select(Office.code, func.min(Ticket.created_at))
        .join(Office, Office.id == Ticket.office_id)
        .where(Ticket.status.in_(sorted(OPEN_STATUSES)))
        .group_by(Office.code)
    )
    outbox_counts = dict.fromkeys(("pending", "retry", "sent", "dead", "skipped"), 0)
    outbox_counts.update(outbox.counts_by_status())
    jobs = db.session.execute(
        select(JobRun.name, JobRun.last_success_at, JobRun.last_failure_at, JobRun.failures)
    )
    snapshot = {
        "tickets": by_status,
        "oldest_open": {code: _epoch(at) for code, at in oldest},
        "outbox": outbox_counts,
        "outbox_oldest_due": _epoch(outbox.oldest_due_created_at()),
        "jobs": [(name, _epoch(ok), _epoch(failed), n or 0) for name, ok, failed, n in jobs],
    }
    db.session.rollback()  # a read: end the transaction, hold no locks
    return snapshot


def cached_snapshot(app: Flask) -> dict:
    seconds = float(app.config.get("METRICS_DB_CACHE_SECONDS", 15))
    with _lock:
        held = app.extensions.get(CACHE_KEY)
        if held is not None and held[0] > time.monotonic():
            return held[1]
        snapshot = read_snapshot()
        app.extensions[CACHE_KEY] = (time.monotonic() + seconds, snapshot)
        return snapshot


class DatabaseGauges:
    """A collector for a scrape's registry; collects inside an app context."""

    def __init__(self, app: Flask | None = None) -> None:
        self.app = app

    def collect(self):
        app = self.app or current_app._get_current_object()
        up = GaugeMetricFamily(
            "portal_metrics_database_up", "1 when the scrape could read the database gauges."
        )
        try:
            with app.app_context():
                snapshot = cached_snapshot(app)
        except Exception as exc:  # noqa: BLE001 - any failure: report it as a gauge
            log.warning(
                "metrics: database unreadable",
                extra={"event": {"event": "metrics_db_down", "error": type(exc).__name__}},
            )
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families(snapshot, time.time())


def families(snapshot: dict, now: float):
    tickets = GaugeMetricFamily("portal_tickets", "Tickets by status.", labels=("status",))
    for status, n in sorted(snapshot["tickets"].items()):
        tickets.add_metric([status], n)
    yield tickets

    oldest = GaugeMetricFamily(
        "portal_open_ticket_oldest_age_seconds",
        "Age of each office's oldest open (undecided) ticket; offices with none are absent.",
        labels=("office",),
    )
    for office, created in sorted(snapshot["oldest_open"].items()):
        oldest.add_metric([office], max(0.0, now - created))
    yield oldest

    backlog = GaugeMetricFamily(
        "portal_outbox_messages", "Outbox messages by status.", labels=("status",)
    )
    for status, n in sorted(snapshot["outbox"].items()):
        backlog.add_metric([status], n)
    yield backlog
    first_due = snapshot["outbox_oldest_due"]
    yield GaugeMetricFamily(
        "portal_outbox_lag_seconds",
        "Age of the oldest message still to deliver (pending or retry); 0 when none.",
        value=0.0 if first_due is None else max(0.0, now - first_due),
    )

    success = GaugeMetricFamily(
        "portal_job_last_success_timestamp_seconds",
        "When each periodic job last succeeded (job_runs); absent before its first success.",
        labels=("job",),
    )
    failure = GaugeMetricFamily(
        "portal_job_last_failure_timestamp_seconds",
        "When each periodic job last failed (job_runs).",
        labels=("job",),
    )
    failures = CounterMetricFamily(
        "portal_job_failures", "Failed runs of each periodic job (job_runs).", labels=("job",)
    )
    for name, ok, failed, n in sorted(snapshot["jobs"]):
        if ok is not None:
            success.add_metric([name], ok)
        if failed is not None:
            failure.add_metric([name], failed)
        failures.add_metric([name], n)
    yield success
    yield failure
    yield failures
