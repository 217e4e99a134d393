"""``flask worker [--once]`` and ``flask worker status``.

``flask worker`` is the one long-running worker process (systemd, a
container): the outbox delivered continuously in a thread of its own
(``portal.notify.worker.Worker``, exactly as ``flask outbox run``), and
every periodic job of ``portal.jobs.schedule`` on its interval in the main
thread. Run as many as you like on as many machines: each outbox message and
each job run is claimed in the database by one of them. SIGTERM or SIGINT
stops both halves after the message and the job in flight; exit code 0.

``--once`` (cron): deliver what is due, run every due job once, exit; exit
code 1 when a job failed. ``status``: each job's last success and failure,
overdue ones flagged; exit code 1 when one is overdue (for monitoring).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.db import keyring, stored_utc, transaction
from portal.jobs import runs
from portal.jobs.runner import Scheduler
from portal.jobs.schedule import JOBS
from portal.notify import outbox
from portal.notify.worker import Worker


@click.group("worker", cls=AppGroup, invoke_without_command=True)
@click.option("--once", is_flag=True, help="Run what is due now, then exit (cron).")
@click.pass_context
@with_appcontext
def worker_cli(ctx: click.Context, once: bool) -> None:
    """The worker: notifications and every periodic job on its schedule."""
    if ctx.invoked_subcommand is not None:
        return
    app = current_app._get_current_object()
    scheduler = Scheduler(app)
    delivery = Worker(app.config, keyring(), worker_id=scheduler.owner)
    if once:
        _once(scheduler, delivery)
    else:
        _forever(app, scheduler, delivery)


def _once(scheduler: Scheduler, delivery: Worker) -> None:
    click.echo(f"outbox: {delivery.run_once()}")
    scheduler.prepare()
    outcomes = scheduler.run_due()
    for outcome in outcomes:
        click.echo(f"{outcome.job}: {'ok' if outcome.ok else 'FAILED'}: {outcome.detail}")
    if not all(outcome.ok for outcome in outcomes):
        raise SystemExit(1)


def _forever(app, scheduler: Scheduler, delivery: Worker) -> None:
    crashed: list[BaseException] = []

    def stop(_signum=None, _frame=None) -> None:
        scheduler.stop.set()
        delivery.stop.set()

    def deliver() -> None:
        try:
            with app.app_context():
                delivery.run_forever()
        except BaseException as exc:  # noqa: BLE001 - delivery died: stop the whole worker
            crashed.append(exc)
            stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=deliver, name="outbox")
    try:
        thread.start()
        scheduler.run_forever()
    finally:
        stop()
        thread.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if crashed:
        raise crashed[0]
    click.echo("worker stopped")


def _when(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return "never"
    moment = stored_utc(moment)
    ago = int((now - moment).total_seconds())
    return f"{moment:%Y-%m-%d %H:%M:%S}Z ({ago} s ago)"


@worker_cli.command("status")
def status() -> None:
    """Each job's last success and failure; OVERDUE when it has not succeeded
    within twice its interval (exit code 1)."""
    now = dt.datetime.now(dt.UTC)
    with transaction():
        rows = runs.all_runs()
    late = []
    for job in JOBS:
        interval = job.interval(current_app.config)
        row = rows.get(job.name)
        flag = "OVERDUE" if runs.overdue(row, interval, now) else "ok"
        if flag != "ok":
            late.append(job.name)
        click.echo(f"{job.name}: {flag}, every {interval} s")
        if row is None:
            click.echo("  never run")
            continue
        click.echo(f"  last success: {_when(row.last_success_at, now)}")
        click.echo(f"  last failure: {_when(row.last_failure_at, now)}")
        if row.last_failure_at is not None and row.last_error:
            click.echo(f"  last error: {row.last_error}")
        took = row.last_duration_ms
        click.echo(f"  runs {row.runs}, failures {row.failures}, last took {took} ms")
        if row.lease_owner and row.lease_until and stored_utc(row.lease_until) > now:
            click.echo(f"  running now on {row.lease_owner}")
    oldest = stored_utc(outbox.oldest_due_created_at())
    waited = "none" if oldest is None else f"{int((now - oldest).total_seconds())} s"
    click.echo(f"outbox: oldest undelivered message waiting {waited}")
    if late:
        raise SystemExit(1)
