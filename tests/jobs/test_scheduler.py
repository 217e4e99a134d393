"""The scheduler (``portal.jobs.runner``) and ``flask worker --once|status``:
a failing job is recorded and does not stop the others; every job of the
schedule runs the same code as its CLI command; a long job keeps its lease;
status flags what has not succeeded."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.jobs import runs
from portal.jobs.models import JobRun
from portal.jobs.runner import Scheduler
from portal.jobs.schedule import JOBS, Job
from portal.tickets.models import Draft

pytestmark = pytest.mark.usefixtures("db_clean")


def rows() -> dict[str, JobRun]:
    db.session.expire_all()
    return runs.all_runs()


def test_a_failing_job_is_recorded_and_the_others_still_run(app, app_ctx):
    ran: list[str] = []

    def fine(name):
        return lambda: ran.append(name) or f"{name} done"

    def broken():
        ran.append("broken")
        raise RuntimeError("disk full on volume 3201011503100001")

    jobs = [
        Job("first", fine("first"), "JOB_ESCALATE_SECONDS"),
        Job("broken", broken, "JOB_ESCALATE_SECONDS"),
        Job("last", fine("last"), "JOB_ESCALATE_SECONDS"),
    ]
    scheduler = Scheduler(app, jobs=jobs)
    scheduler.prepare()

    outcomes = scheduler.run_due()

    assert ran == ["first", "broken", "last"]
    assert [(o.job, o.ok) for o in outcomes] == [("first", True), ("broken", False), ("last", True)]
    found = rows()
    assert (found["broken"].failures, found["broken"].last_success_at) == (1, None)
    assert found["broken"].last_error == "RuntimeError: disk full on volume #"  # no long digits
    assert found["broken"].lease_owner is None
    assert [found[n].failures for n in ("first", "last")] == [0, 0]
    assert all(found[n].last_success_at is not None for n in ("first", "last"))
    assert scheduler.run_due() == []  # none due again yet (retry in 600 s, interval 1 h)


def test_every_job_of_the_schedule_runs_its_commands_code(app, app_ctx, monkeypatch):
    """``purge-expired`` really purges (an expired draft goes); retention is
    called through ``portal.privacy.retention.run_retention``."""
    from portal.privacy import retention

    monkeypatch.setattr(retention, "run_retention", lambda now=None: {"files": 2, "drafts": 1})
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with transaction():
        db.session.add(_draft(expired))
    scheduler = Scheduler(app)
    scheduler.prepare()

    outcomes = {o.job: o for o in scheduler.run_due()}

    assert sorted(outcomes) == sorted(job.name for job in JOBS)
    assert all(o.ok for o in outcomes.values()), outcomes
    assert outcomes["retention"].detail == "retention: drafts 1, files 2"
    assert "removed 1 expired draft(s)" in outcomes["purge-expired"].detail
    assert "performance figures" in outcomes["refresh"].detail
    assert "stats figures" in outcomes["refresh"].detail
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
    assert {r.runs for r in rows().values()} == {1}


def _draft(expires_at: dt.datetime) -> Draft:
    created = expires_at - dt.timedelta(hours=24)
    return Draft(
        id=secrets.token_hex(16),
        kind="proposal",
        data_enc=b"x",
        created_at=created,
        expires_at=expires_at,
    )


def test_a_long_job_keeps_its_lease(app, app_ctx):
    """The lease (1.5 s) is renewed while the job runs (3 s): another worker
    claiming in the middle is refused."""
    taken: list[bool] = []

    def other_worker_tries() -> None:
        with app.app_context(), transaction():
            taken.append(runs.claim("slow", "other", dt.datetime.now(dt.UTC), 60))

    def slow() -> str:
        time.sleep(2.5)  # past the first lease: only renewals keep it
        thread = threading.Thread(target=other_worker_tries)
        thread.start()
        thread.join()
        return "slow done"

    scheduler = Scheduler(app, jobs=[Job("slow", slow, "JOB_ESCALATE_SECONDS")])
    scheduler.lease = 1.5
    scheduler.prepare()

    [outcome] = scheduler.run_due()

    assert outcome.ok and outcome.recorded
    assert taken == [False]


def test_status_flags_jobs_without_a_recent_success(app, app_ctx, monkeypatch):
    from portal.privacy import retention

    runner = app.test_cli_runner()
    before = runner.invoke(args=["worker", "status"])
    assert before.exit_code == 1
    assert before.output.count("OVERDUE") == len(JOBS)

    monkeypatch.setattr(retention, "run_retention", lambda now=None: {})
    once = runner.invoke(args=["worker", "--once"])
    assert once.exit_code == 0, once.output
    after = runner.invoke(args=["worker", "status"])
    assert after.exit_code == 0, after.output
    assert "OVERDUE" not in after.output
    assert after.output.count(": ok, every") == len(JOBS)

    def fails(now=None):
        raise NotImplementedError("not yet")

    monkeypatch.setattr(retention, "run_retention", fails)
    with transaction():  # retention due again, as if a day had passed
        db.session.execute(
            JobRun.__table__.update()
            .where(JobRun.name == "retention")
            .values(
                next_run_at=None, last_success_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
            )
        )
    failed = runner.invoke(args=["worker", "--once"])
    assert failed.exit_code == 1
    assert "retention: FAILED: NotImplementedError: not yet" in failed.output
    later = runner.invoke(args=["worker", "status"])
    assert later.exit_code == 1
    assert "retention: OVERDUE" in later.output
    assert "last error: NotImplementedError: not yet" in later.output
    assert later.output.count(": ok, every") == len(JOBS) - 1


def test_a_command_that_exits_non_zero_is_a_failure_not_the_workers_exit(app, app_ctx):
    import sys

    import click

    from portal.jobs.schedule import invoke

    @click.command("quits")
    def quits() -> None:
        click.echo("giving up")
        sys.exit(3)

    scheduler = Scheduler(app, jobs=[Job("quits", lambda: invoke(quits), "JOB_ESCALATE_SECONDS")])
    scheduler.prepare()

    [outcome] = scheduler.run_due()

    assert (outcome.ok, outcome.detail) == (False, "RuntimeError: quits exited with code 3")
    assert rows()["quits"].failures == 1
