"""``flask tickets close-expired``: close decided tickets whose appeal window
has passed (issue 11 §4), as the system actor, through ``workflow.transition``.

Closed here: ``rejected`` and ``forwarded`` tickets whose ``appeal_until``
is before today (WIB) — the workflow refuses to close on or before that day.
**Not** closed: ``accepted`` tickets past their window. Accepting is not the
end: the office still has to forward the household to the Ministry
(``forwarded``), and only then is the ticket closed; they are counted and
reported so the office can be reminded, and stay open.

Idempotent: a closed ticket is no longer ``rejected``/``forwarded``, so a
second run finds nothing. Work goes in batches (``close_batch``), each its
own transaction in the caller, keyed by ticket id, so a large backlog never
makes one huge transaction and a ticket that cannot be closed is skipped,
not retried forever. On PostgreSQL each batch locks its rows ``FOR UPDATE
SKIP LOCKED``: a ticket a handler is moving right now is left for the next run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.crypto import Keyring
from portal.extensions import db
from portal.tickets.models import Ticket
from portal.tickets.workflow import (
    ACCEPTED,
    CLOSED,
    FORWARDED,
    REJECTED,
    Actor,
    InvalidTransition,
    transition,
)

#: What closes once the appeal window has passed.
CLOSABLE = (REJECTED, FORWARDED)


@dataclass(frozen=True)
class Batch:
    closed: int
    #: The highest ticket id looked at, the next batch's start; None: nothing left.
    last_id: int | None


def close_batch(
    today: dt.date, now: dt.datetime, keyring: Keyring, *, after_id: int = 0, limit: int = 500
) -> Batch:
    """Close up to ``limit`` expired tickets with ids above ``after_id``."""
    tickets = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_(CLOSABLE),
            Ticket.appeal_until < today,
            Ticket.id > after_id,
        )
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    closed = 0
    for ticket in tickets:
        try:
            transition(ticket, CLOSED, Actor.system(), public=True, now=now, keyring=keyring)
        except InvalidTransition:
            continue  # e.g. an appeal_until set by hand; left as it is
        closed += 1
    return Batch(closed, tickets[-1].id if tickets else None)


def accepted_waiting(today: dt.date) -> int:
    """Accepted tickets past their appeal window that their office has not forwarded."""
    return db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.status == ACCEPTED, Ticket.appeal_until < today)
    )
