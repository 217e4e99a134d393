"""``flask evidence sweep``: remove evidence files no ticket refers to.
``flask tickets purge-expired``: delete expired drafts, confirmations and
lookup proofs, and finished outbox messages past ``OUTBOX_KEEP_DAYS``.
``flask tickets close-expired``: close decided tickets past their appeal window.
``flask tickets escalate``: overdue tickets to the province, then the nation.
``flask tickets demo``: demo tickets for a working queue (development and testing only).

Both are periodic jobs (cron or a systemd timer; see README "Running it").
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.db import keyring, transaction
from portal.extensions import db
from portal.registry.proofs import purge_expired_proofs
from portal.tickets import sla
from portal.tickets.confirmations import purge_expired_confirmations
from portal.tickets.drafts import purge_expired_drafts
from portal.tickets.evidence import sweep_orphans
from portal.tickets.models import Evidence

evidence_cli = AppGroup("evidence", help="Evidence files.")
tickets_cli = AppGroup("tickets", help="Tickets and unfinished requests.")


def _known(names: list[str]) -> set[str]:
    known: set[str] = set()
    for i in range(0, len(names), 500):
        part = names[i : i + 500]
        known.update(
            db.session.scalars(select(Evidence.stored_name).where(Evidence.stored_name.in_(part)))
        )
        known.update(
            db.session.scalars(select(Evidence.thumb_name).where(Evidence.thumb_name.in_(part)))
        )
    return known


@evidence_cli.command("sweep")
@click.option(
    "--older-than-hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Grace period; default: the draft lifetime plus one hour.",
)
def sweep(older_than_hours: float | None) -> None:
    """Remove stored files that no evidence row names.

    A file is stored as soon as it is uploaded but belongs to a ticket only
    once the resident sends it; until then a draft refers to it. Files younger
    than the draft lifetime are therefore never touched."""
    hours = older_than_hours
    if hours is None:
        hours = current_app.config.get("DRAFT_TTL_HOURS", 24) + 1
    removed = sweep_orphans(_known, older_than=timedelta(hours=hours))
    click.echo(f"removed {len(removed)} orphan file(s)")


@tickets_cli.command("purge-expired")
def purge_expired() -> None:
    """Delete drafts and confirmation pages past their lifetime, and outbox
    messages finished (sent, skipped, dead) more than OUTBOX_KEEP_DAYS ago.

    Expired rows can no longer be opened (every read checks the expiry); this
    removes their ciphertexts too."""
    from portal.notify.outbox import purge_finished

    now = sla.as_utc()
    keep = timedelta(days=current_app.config["OUTBOX_KEEP_DAYS"])
    with transaction():
        drafts = purge_expired_drafts(now)
        confirmations = purge_expired_confirmations(now)
        proofs = purge_expired_proofs(now)
        messages = purge_finished(now - keep)
    click.echo(f"removed {drafts} expired draft(s), {confirmations} expired confirmation(s)")
    click.echo(f"removed {proofs} expired lookup proof(s)")
    click.echo(f"removed {messages} finished outbox message(s) older than {keep.days} days")


@tickets_cli.command("close-expired")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Tickets per transaction.",
)
def close_expired(batch_size: int) -> None:
    """Close rejected and forwarded tickets whose appeal window has passed,
    as the system actor (idempotent; run daily). Accepted tickets stay open
    until their office forwards them (see ``portal.tickets.closing``)."""
    from portal.tickets import closing

    now = sla.as_utc()
    today = sla.local_date(now)
    total, after_id = 0, 0
    while True:
        with transaction():
            batch = closing.close_batch(today, now, keyring(), after_id=after_id, limit=batch_size)
        total += batch.closed
        if batch.last_id is None:
            break
        after_id = batch.last_id
    click.echo(f"closed {total} ticket(s) whose appeal window ended before {today.isoformat()}")
    waiting = closing.accepted_waiting(today)
    click.echo(
        f"{waiting} accepted ticket(s) past their appeal window stay open: "
        "their office has not forwarded them yet"
    )


@tickets_cli.command("escalate")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Tickets per transaction.",
)
def escalate(batch_size: int) -> None:
    """Escalate overdue open tickets to the province supervisor (level 1),
    then the national office (level 2); tickets no longer overdue go back to
    level 0 (idempotent; run daily, see ``portal.tickets.escalation``)."""
    from portal.tickets import escalation

    now = sla.as_utc()
    today = sla.local_date(now)
    after = current_app.config["ESCALATE_NATIONAL_AFTER_WORKING_DAYS"]
    province = national = down = messages = 0
    after_id = 0
    tries = 0
    while True:
        try:
            with transaction():
                batch = escalation.escalate_batch(
                    today, now, keyring(), national_after=after, after_id=after_id, limit=batch_size
                )
        except StaleDataError:
            # A handler moved a ticket of the batch meanwhile (SQLite has no
            # SKIP LOCKED): the batch was rolled back whole; read it again.
            tries += 1
            if tries > 3:
                raise
            continue
        tries = 0
        province += batch.escalated[1]
        national += batch.escalated[2]
        down += batch.deescalated
        messages += batch.messages
        if batch.last_id is None:
            break
        after_id = batch.last_id
    click.echo(
        f"escalated {province} ticket(s) to the province and {national} to the national office "
        f"on {today.isoformat()}; {down} no longer overdue back to level 0; "
        f"{messages} notification(s) written"
    )


templates_cli = AppGroup("templates", help="Reply templates for the office's public texts.")


@templates_cli.command("seed")
def templates_seed() -> None:
    """Add the national default reply templates that are missing (idempotent:
    an existing or edited template is never changed)."""
    from portal.tickets.replies import seed_defaults

    with transaction():
        added = seed_defaults(dt.datetime.now(dt.UTC))
    click.echo(f"reply templates: {added} added")


@tickets_cli.command("demo")
def demo() -> None:
    """Create about 300 demo tickets in three offices (development and testing
    only); running it again adds only what is missing."""
    from portal.tickets.demo import DemoRefused, create_demo_tickets

    try:
        result = create_demo_tickets(current_app.config["ENV_NAME"], keyring())
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    total = sum(result.created.values())
    offices = ", ".join(f"{code} {n}" for code, n in sorted(result.created.items()))
    click.echo(
        f"tickets demo: {total} created ({offices or 'none'}), {result.existing} already there"
    )
    if total:
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(result.statuses.items()))
        click.echo(f"  by status: {statuses}")


@tickets_cli.command("performance-refresh")
def performance_refresh() -> None:
    """Recalculate the office performance figures (the /office/performance
    page) from the tickets; a periodic job (every 15 minutes), idempotent."""
    import time

    from portal.tickets.performance import refresh

    started = time.perf_counter()
    with transaction():
        rows = refresh(dt.datetime.now(dt.UTC))
    click.echo(f"performance figures: {rows} rows in {time.perf_counter() - started:.1f} s")
