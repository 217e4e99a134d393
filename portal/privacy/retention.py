"""Retention (``flask retention run``, SECURITY.md PD2, docs/data-protection.md).

What goes, and when:

* **Evidence** of a final ticket (closed, duplicate, withdrawn): its rows and
  its files (the original and the office's thumbnail) once the ticket has been
  final for ``RETENTION_EVIDENCE_DAYS``. The ticket itself, its events and
  its decision stay: they are the record of what the state decided.
* **Drafts**: every expired draft (``DRAFT_TTL_HOURS`` after its last save),
  and a reply or appeal draft of a final ticket
  ``RETENTION_DRAFT_HOURS_AFTER_CLOSURE`` after the ticket became final,
  whatever its expiry. Files a removed draft held belong to no evidence row:
  ``flask evidence sweep`` removes them after its grace period.

Each ticket whose evidence goes gets one audit row (``retention``,
``evidence:<files>``) in the transaction that deletes its rows; the drafts
one row per run (``drafts:<n>``). Files are deleted through ``storage()``
after that transaction commits, so a crash in between leaves files no row
names (the sweep's work), never a row naming a missing file.

The worker (``portal.jobs``) calls ``run_retention()`` on its schedule; two
runs at once would only find less to do.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import delete, select

from portal.audit.log import record
from portal.db import keyring, transaction
from portal.extensions import db
from portal.storage import StorageError, storage
from portal.tickets import sla
from portal.tickets.drafts import load_draft, purge_expired_drafts
from portal.tickets.models import Draft, Evidence, Ticket
from portal.tickets.workflow import FINAL_STATUSES

log = logging.getLogger(__name__)

#: Tickets handled per transaction.
BATCH = 200
#: Drafts that belong to a ticket (the ticket id is inside the encrypted answers).
TICKET_DRAFT_KINDS = ("reply", "appeal")


def run_retention(now: dt.datetime | None = None) -> dict[str, int]:
    """Purge what is past its retention period; counts by kind of thing removed:
    ``tickets`` (whose evidence went), ``evidence`` (rows), ``files``
    (deleted from storage), ``files_missing`` (already gone),
    ``drafts_expired``, ``drafts_of_final_tickets``."""
    now = sla.as_utc(now)
    config = current_app.config
    counts = purge_evidence(now, now - dt.timedelta(days=config["RETENTION_EVIDENCE_DAYS"]))
    counts.update(
        purge_drafts(now, now - dt.timedelta(hours=config["RETENTION_DRAFT_HOURS_AFTER_CLOSURE"]))
    )
    log.info("retention run", extra={"event": {"event": "retention", **counts}})
    return counts


def purge_evidence(now: dt.datetime, final_before: dt.datetime) -> dict[str, int]:
    """Evidence of tickets final since before ``final_before``."""
    counts = {"tickets": 0, "evidence": 0, "files": 0, "files_missing": 0}
    store = storage()
    while True:
        with transaction():
            ticket_ids = list(
                db.session.scalars(
                    select(Ticket.id)
                    .where(
                        Ticket.status.in_(FINAL_STATUSES),
                        Ticket.status_changed_at < final_before,
                        Ticket.id.in_(select(Evidence.ticket_id)),
                    )
                    .order_by(Ticket.id)
                    .limit(BATCH)
                )
            )
            rows = db.session.execute(
                select(Evidence.ticket_id, Evidence.stored_name, Evidence.thumb_name).where(
                    Evidence.ticket_id.in_(ticket_ids)
                )
            ).all()
            names = [n for row in rows for n in (row.stored_name, row.thumb_name) if n]
            db.session.execute(delete(Evidence).where(Evidence.ticket_id.in_(ticket_ids)))
            for ticket_id in ticket_ids:
                files = sum(1 for row in rows if row.ticket_id == ticket_id)
                record("retention", ticket_id=ticket_id, detail=f"evidence:{files}", now=now)
        if not ticket_ids:
            return counts
        counts["tickets"] += len(ticket_ids)
        counts["evidence"] += len(rows)
        for name in names:
            try:
                deleted = store.delete(name)
            except StorageError:
                # The row is gone: the orphan sweep removes the file later.
                log.warning("retention: storage refused a delete", exc_info=True)
                continue
            counts["files" if deleted else "files_missing"] += 1


def purge_drafts(now: dt.datetime, final_before: dt.datetime) -> dict[str, int]:
    """Expired drafts, and reply or appeal drafts of tickets final since before
    ``final_before``."""
    ring = keyring()
    with transaction():
        expired = purge_expired_drafts(now)
        doomed = []
        draft_ids = db.session.scalars(
            select(Draft.id).where(Draft.kind.in_(TICKET_DRAFT_KINDS))
        ).all()
        for draft_id in draft_ids:
            draft = load_draft(draft_id, keyring=ring, now=now)
            ticket_id = draft.answers.get("ticket_id") if draft is not None else None
            if isinstance(ticket_id, int):
                doomed.append((draft_id, ticket_id))
        final = set(
            db.session.scalars(
                select(Ticket.id).where(
                    Ticket.id.in_([t for _, t in doomed]),
                    Ticket.status.in_(FINAL_STATUSES),
                    Ticket.status_changed_at < final_before,
                )
            )
        )
        ids = [d for d, t in doomed if t in final]
        of_final = db.session.execute(delete(Draft).where(Draft.id.in_(ids))).rowcount if ids else 0
        if expired + of_final:
            record("retention", detail=f"drafts:{expired + of_final}", now=now)
    return {"drafts_expired": expired, "drafts_of_final_tickets": of_final}
