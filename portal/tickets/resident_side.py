"""What the office's ticket page shows of the resident's side (issue 11 §4-5):
each message to the resident with its delivery state, the resident's rating,
and the appeal.

None of it names the resident: a message's row holds its topic, channel and
state, never its recipient or text; the rating's comment is the resident's
own words, so it is shown only to staff who may see the reporter
(``casefile.load`` asks only then).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.tickets.models import (
    OutboxMessage,
    Rating,
    Ticket,
    TicketEvent,
    rating_comment_purpose,
)

log = logging.getLogger(__name__)

DECIDED = ("accepted", "rejected")


@dataclass(frozen=True)
class Delivery:
    """One message to the resident, as the worker left it."""

    at: dt.datetime
    #: ``ticket.submitted``, ``ticket.status_changed``, ``ticket.message``, ``sms.reply``.
    topic: str
    #: The new status of a ``ticket.status_changed``; None otherwise.
    to_status: str | None
    #: ``email``, ``sms`` or None (not chosen yet, or nothing to send).
    channel: str | None
    #: One of ``OUTBOX_STATUSES``.
    state: str
    attempts: int
    #: When it was sent (``sent``) or will be tried again (``retry``).
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    #: Why the last try failed or why nothing was sent (no personal data).
    reason: str | None


@dataclass(frozen=True)
class ResidentRating:
    score: int
    comment: str | None
    at: dt.datetime
    #: The comment is stored but cannot be decrypted (sealed under another
    #: purpose or a retired key): the score is still shown.
    comment_unreadable: bool = False


@dataclass(frozen=True)
class Appeal:
    at: dt.datetime
    #: When the appealed decision was made (None if its event is missing).
    decision_at: dt.datetime | None
    #: When the appeal was decided in turn; None while it is under review.
    decided_again_at: dt.datetime | None


def deliveries(ticket_id: int) -> tuple[Delivery, ...]:
    """The ticket's messages, newest first, in one query."""
    rows = db.session.execute(
        select(
            OutboxMessage.created_at,
            OutboxMessage.topic,
            OutboxMessage.payload,
            OutboxMessage.channel,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.sent_at,
            OutboxMessage.next_attempt_at,
            OutboxMessage.last_error,
        )
        # Escalation notices go to staff, not the resident (``escalation.TOPIC``).
        .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.topic != "ticket.escalated")
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    return tuple(
        Delivery(
            at=stored_utc(row.created_at),
            topic=row.topic,
            to_status=_payload(row.payload).get("status")
            if row.topic == "ticket.status_changed"
            else None,
            channel=row.channel,
            state=row.status,
            attempts=row.attempts or 0,
            sent_at=stored_utc(row.sent_at),
            next_attempt_at=stored_utc(row.next_attempt_at),
            reason=row.last_error,
        )
        for row in rows
    )


def rating(ticket_id: int, keyring: Keyring) -> ResidentRating | None:
    row = db.session.execute(
        select(Rating.score, Rating.comment_enc, Rating.created_at).where(
            Rating.ticket_id == ticket_id
        )
    ).first()
    if row is None:
        return None
    if not row.comment_enc:
        return ResidentRating(row.score, None, stored_utc(row.created_at))
    try:
        comment = keyring.decrypt(row.comment_enc, rating_comment_purpose(ticket_id))
    except (InvalidTag, ValueError):
        log.warning(
            "rating comment cannot be decrypted",
            extra={"event": {"event": "rating_comment_unreadable", "ticket_id": ticket_id}},
        )
        return ResidentRating(row.score, None, stored_utc(row.created_at), comment_unreadable=True)
    return ResidentRating(row.score, comment, stored_utc(row.created_at))


def appeal(ticket: Ticket, events: list[TicketEvent]) -> Appeal | None:
    """The appeal, with the decision it is about and the one that answered
    it, from the ticket's history (``events``, oldest first)."""
    if ticket.appealed_at is None:
        return None
    appealed_at = stored_utc(ticket.appealed_at)
    decisions = [stored_utc(e.at) for e in events if e.to_status in DECIDED]
    before = [at for at in decisions if at <= appealed_at]
    after = [at for at in decisions if at > appealed_at]
    return Appeal(
        at=appealed_at,
        decision_at=before[-1] if before else None,
        decided_again_at=after[0] if after else None,
    )


def _payload(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
