"""``flask evidence sweep``: remove evidence files no ticket refers to.
``flask tickets purge-expired``: delete expired drafts, confirmations and
lookup proofs.

Both are periodic jobs (cron or a systemd timer; see README "Running it").
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.registry.proofs import purge_expired_proofs
from portal.tickets import sla
from portal.tickets.confirmations import purge_expired_confirmations
from portal.tickets.evidence import sweep_orphans
from portal.tickets.models import Evidence
from portal.tickets.service import purge_expired_drafts

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
    """Delete drafts and confirmation pages past their lifetime.

    Expired rows can no longer be opened (every read checks the expiry); this
    removes their ciphertexts too."""
    now = sla.as_utc()
    with transaction():
        drafts = purge_expired_drafts(now)
        confirmations = purge_expired_confirmations(now)
        proofs = purge_expired_proofs(now)
    click.echo(f"removed {drafts} expired draft(s), {confirmations} expired confirmation(s)")
    click.echo(f"removed {proofs} expired lookup proof(s)")
