"""The periodic half of ``flask worker``: claim each due job, run it, record it.

A round tries every job of the schedule in turn: claim (``runs.claim``, its
own commit), run with the lease renewed in the background every third of
``JOBS_LEASE_SECONDS`` (so a long job is never taken over while it is still
running, and a dead worker's job is taken over soon), then record success or
failure (its own commit). A job that raises is recorded as a failure and the
round goes on with the next one: one broken job never stops the others.

Logs carry job names, durations, counts and the exception's class only.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask

from portal.db import transaction
from portal.extensions import db
from portal.jobs import runs
from portal.jobs.schedule import JOBS, Job
from portal.notify.worker import new_worker_id

log = logging.getLogger("portal.jobs")


#: Any run of 8+ digits (a NIK, a KK, a phone number) is masked in errors.
_DIGITS = re.compile(r"\d{8,}")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def describe(exc: BaseException) -> str:
    """The exception's class and the first line of its message, long digit
    runs masked: a database error's later lines (DETAIL, parameters) may
    quote a row's values, and this is logged and kept in ``job_runs``."""
    lines = str(exc).strip().splitlines()
    first = _DIGITS.sub("#", lines[0] if lines else "")[:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@dataclass(frozen=True)
class Outcome:
    job: str
    ok: bool
    #: The command's summary, or the exception's class and message.
    detail: str
    #: False when the lease was lost meanwhile and nothing was recorded.
    recorded: bool = True


class Scheduler:
    """Runs ``jobs`` of ``app`` (call its methods inside an app context)."""

    def __init__(
        self,
        app: Flask,
        *,
        jobs: Sequence[Job] = JOBS,
        owner: str | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.app = app
        self.jobs = tuple(jobs)
        self.owner = owner or new_worker_id()
        self.clock = clock
        config = app.config
        self.lease = float(config["JOBS_LEASE_SECONDS"])
        self.retry = float(config["JOBS_RETRY_SECONDS"])
        self.poll = float(config["JOBS_POLL_SECONDS"])
        self.intervals = {job.name: job.interval(config) for job in self.jobs}
        self.stop = threading.Event()

    def prepare(self) -> None:
        """A ``job_runs`` row for every job of the schedule."""
        with transaction():
            runs.ensure(self.intervals)

    def run_due(self) -> list[Outcome]:
        """One round: every job that is due and free, in schedule order."""
        outcomes = []
        for job in self.jobs:
            if self.stop.is_set():
                break
            with transaction():
                claimed = runs.claim(job.name, self.owner, self.clock(), self.lease)
            if claimed:
                outcomes.append(self._run(job))
        return outcomes

    def run_forever(self) -> None:
        """Rounds until ``stop`` is set, ``JOBS_POLL_SECONDS`` apart."""
        self.prepare()
        log.info("jobs started", extra={"event": {"event": "jobs_started", "owner": self.owner}})
        while not self.stop.is_set():
            self.run_due()
            db.session.remove()  # no connection held while waiting
            self.stop.wait(self.poll)
        log.info("jobs stopped", extra={"event": {"event": "jobs_stopped"}})

    def _run(self, job: Job) -> Outcome:
        started = self.clock()
        t0 = time.perf_counter()
        log.info("job started", extra={"event": {"event": "job_started", "job": job.name}})
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(job.name, done), daemon=True)
        keeper.start()
        error = None
        try:
            detail = job.run()
        except Exception as exc:  # noqa: BLE001 - recorded as the job's failure
            error = detail = describe(exc)
            log.error(
                "job failed",
                extra={"event": {"event": "job_failed", "job": job.name, "error": error}},
            )
        finally:
            done.set()
            keeper.join()
            db.session.rollback()
        with transaction():
            recorded = runs.finish(
                job.name,
                self.owner,
                started=started,
                now=self.clock(),
                interval_seconds=self.intervals[job.name],
                error=error,
                retry_seconds=self.retry,
            )
        ms = int((time.perf_counter() - t0) * 1000)
        event = {"event": "job_finished", "job": job.name, "ok": error is None, "ms": ms}
        if error is None:
            event["summary"] = _DIGITS.sub("#", detail)[:300]
        if not recorded:
            event["lease_lost"] = True
        log.info("job finished", extra={"event": event})
        return Outcome(job.name, error is None, detail, recorded)

    def _keep_lease(self, name: str, done: threading.Event) -> None:
        """Renew the run's lease every third of it until ``done``."""
        with self.app.app_context():
            while not done.wait(self.lease / 3):
                try:
                    with transaction():
                        held = runs.renew(name, self.owner, self.clock(), self.lease)
                except Exception as exc:  # noqa: BLE001 - e.g. SQLite busy: try again later
                    log.warning(
                        "job lease not renewed",
                        extra={
                            "event": {
                                "event": "job_lease_retry",
                                "job": name,
                                "error": type(exc).__name__,
                            }
                        },
                    )
                    db.session.rollback()
                    continue
                if not held:
                    log.warning(
                        "job lease lost",
                        extra={"event": {"event": "job_lease_lost", "job": name}},
                    )
                    return
