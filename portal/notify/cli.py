"""``flask outbox run [--once]``, ``flask outbox status`` and
``flask outbox retry-dead [--since DATE]``.

``run`` is a long-running worker (systemd, a container): it polls every
``OUTBOX_POLL_SECONDS`` when idle and stops cleanly on SIGTERM or SIGINT
after the message in flight. ``run --once`` delivers everything due now and
exits (cron). Several workers may run at once: each message is claimed by one.
"""

from __future__ import annotations

import datetime as dt
import signal

import click
from flask import current_app
from flask.cli import AppGroup

from portal.db import keyring, stored_utc, transaction
from portal.notify import outbox
from portal.notify.worker import Worker
from portal.tickets.models import OUTBOX_STATUSES

outbox_cli = AppGroup("outbox", help="Notification delivery (email and SMS).")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (cron).")
def run(once: bool) -> None:
    """Deliver the outbox: pending messages and retries that are due."""
    worker = Worker(current_app.config, keyring())

    def stop(_signum, _frame) -> None:
        worker.stop.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        counts = worker.run_once() if once else worker.run_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(f"outbox: {counts}")


@outbox_cli.command("status")
def status() -> None:
    """Messages by status, and how long the oldest undelivered one has waited."""
    counts = outbox.counts_by_status()
    click.echo(" ".join(f"{name}={counts.get(name, 0)}" for name in OUTBOX_STATUSES))
    oldest = stored_utc(outbox.oldest_due_created_at())
    if oldest is None:
        click.echo("oldest undelivered: none")
    else:
        age = dt.datetime.now(dt.UTC) - oldest
        click.echo(f"oldest undelivered: {int(age.total_seconds())} s")


@outbox_cli.command("retry-dead")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    default=None,
    help="Only messages written at or after this UTC date or time (YYYY-MM-DD[THH:MM]).",
)
def retry_dead(since: dt.datetime | None) -> None:
    """Try dead messages again from the start (after an outage longer than
    the retries): each gets OUTBOX_MAX_ATTEMPTS new tries."""
    when = since.replace(tzinfo=dt.UTC) if since is not None else None
    with transaction():
        count = outbox.retry_dead(when)
    click.echo(f"outbox: {count} dead message(s) set back to retry")
