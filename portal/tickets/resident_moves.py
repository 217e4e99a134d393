"""The resident's own move on their request: withdrawing it (issue 11 §3).

A withdrawal is ``workflow.transition(…, WITHDRAWN, Actor.resident())`` with
the resident's optional reason as a public note (the resident's own words on
the tracking page), and the form's idempotency key on the event
(``TicketEvent.idempotency_key``, unique; SECURITY.md RE1). A second POST of
the same form finds that event and reports "already withdrawn": never a
second event, never an error. The workflow allows it from every open status
(before a decision); a decided ticket raises ``InvalidTransition``.

Adds and flushes; the caller commits (``with transaction():``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.crypto import Keyring
from portal.extensions import db
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.workflow import WITHDRAWN, Actor, InvalidTransition, transition


@dataclass(frozen=True)
class Withdrawn:
    event_id: int
    #: True when this key (or another click) had already withdrawn the ticket.
    already: bool


def withdraw(
    ticket: Ticket,
    reason: str | None,
    idempotency_key: str,
    now: dt.datetime,
    keyring: Keyring,
) -> Withdrawn:
    """Withdraw ``ticket`` for the resident, once per ``idempotency_key``.

    Raises ``InvalidTransition`` when the ticket is no longer open (decided,
    closed, joined with another) and ``ValueError`` without a key. When a
    parallel request with the same key wins the race, the session is rolled
    back and its event returned with ``already=True``.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValueError("an idempotency key of 1-64 characters is required")
    done = _done(ticket, idempotency_key)
    if done is not None:
        return done
    ticket_id = ticket.id
    try:
        event = transition(
            ticket,
            WITHDRAWN,
            Actor.resident(),
            note=reason or None,
            public=True,
            now=now,
            keyring=keyring,
        )
        event.idempotency_key = idempotency_key
        db.session.flush()
    except (IntegrityError, StaleDataError):
        # The same form (or another tab) withdrew it a moment ago.
        db.session.rollback()
        ticket = db.session.get(Ticket, ticket_id)
        done = _done(ticket, idempotency_key)
        if done is None:
            raise
        return done
    return Withdrawn(event.id, already=False)


def _done(ticket: Ticket, idempotency_key: str) -> Withdrawn | None:
    """The earlier withdrawal this key made, or any withdrawal of this ticket."""
    event = db.session.scalar(
        select(TicketEvent).where(TicketEvent.idempotency_key == idempotency_key)
    )
    if event is not None:
        if event.ticket_id != ticket.id or event.kind != "withdrawn":
            raise InvalidTransition(ticket.status, WITHDRAWN, "key used for another action")
        return Withdrawn(event.id, already=True)
    if ticket.status == WITHDRAWN:
        event = db.session.scalar(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "withdrawn")
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
        return Withdrawn(event.id if event else 0, already=True)
    return None
