"""What a resident sends back with text and files (issue 11 §2, §4):

* ``send_reply``: the answer to the office's question. The ticket waits in
  ``needs_info`` with its clock paused; the reply attaches the files and
  moves it back to ``in_review`` (``info_received``), and the workflow moves
  the due dates by the working days it waited. A village operator may pass
  the reply on for a resident of their village (``Actor.staff(id,
  "operator")``): the event's actor is then that operator (assisted).
* ``send_appeal``: the resident's appeal of a decision, once, inside the
  window: ``accepted``/``rejected`` → ``in_review`` at the same office with
  new due dates (``appealed``), then the files (a decided ticket takes no
  evidence, a reopened one does).

Both are idempotent by the form's key, stored on the move's event
(``TicketEvent.idempotency_key``): a second send with the same key returns
the first send's event and moves nothing. Both add and flush in the caller's
one transaction, so the move, its files, its events and its outbox message
commit together or not at all; files already stored by a send that then
fails are swept as orphans (``flask evidence sweep``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from portal.crypto import Keyring
from portal.extensions import db
from portal.tickets import service, workflow
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.service import StoredFile
from portal.tickets.workflow import IN_REVIEW, Actor, InvalidTransition


class NothingToSend(ValueError):
    """A reply without text or files, or an appeal without text."""


@dataclass(frozen=True)
class Sent:
    """The move's event; ``again`` when the key had already been sent."""

    event: TicketEvent
    again: bool = False


def sent_event(ticket: Ticket, key: str | None) -> TicketEvent | None:
    """The event a send with ``key`` made on ``ticket``, if any."""
    if not key:
        return None
    return db.session.scalar(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.idempotency_key == key
        )
    )


def send_reply(
    ticket: Ticket,
    text: str,
    files: Iterable[StoredFile],
    actor: Actor,
    *,
    idempotency_key: str,
    now: dt.datetime,
    keyring: Keyring,
) -> Sent:
    """Attach ``files`` and move ``ticket`` from needs_info to in_review with
    ``text`` as the public note. Raises ``NothingToSend``, ``InvalidTransition``
    (not waiting for a reply, or an actor who may not reply) and
    ``service.InvalidAnswers`` (too many files)."""
    earlier = sent_event(ticket, idempotency_key)
    if earlier is not None:
        return Sent(earlier, again=True)
    files = list(files)
    if not text and not files:
        raise NothingToSend("a reply needs text or a file")
    if ticket.status != workflow.NEEDS_INFO:
        # Checked before the files: a reply to a question no longer asked.
        raise InvalidTransition(ticket.status, IN_REVIEW, "not waiting for a reply", "not_a_move")
    if actor.role not in workflow.RESIDENT_OR_OPERATOR:
        raise InvalidTransition(ticket.status, IN_REVIEW, "not for this role", "not_for_role")
    thumbs = service.make_thumbnails(files)
    if files:
        service.add_evidence(ticket, files, actor, now=now, keyring=keyring, thumbs=thumbs)
    event = workflow.transition(
        ticket, IN_REVIEW, actor, note=text or None, public=True, now=now, keyring=keyring
    )
    event.idempotency_key = idempotency_key
    db.session.flush()
    return Sent(event)


def send_appeal(
    ticket: Ticket,
    text: str,
    files: Iterable[StoredFile],
    *,
    idempotency_key: str,
    now: dt.datetime,
    keyring: Keyring,
) -> Sent:
    """The resident's appeal: ``ticket`` back to in_review with ``text`` as the
    public note, then ``files``. Raises ``NothingToSend`` and
    ``InvalidTransition`` (codes ``already_appealed``, ``appeal_window_closed``,
    ``not_a_move``)."""
    earlier = sent_event(ticket, idempotency_key)
    if earlier is not None:
        return Sent(earlier, again=True)
    if not text:
        raise NothingToSend("an appeal needs its reasons")
    files = list(files)
    # Made before the move's first write: image work never holds SQLite's write lock.
    thumbs = service.make_thumbnails(files)
    resident = Actor.resident()
    event = workflow.transition(
        ticket, IN_REVIEW, resident, note=text, public=True, now=now, keyring=keyring
    )
    event.idempotency_key = idempotency_key
    if files:
        service.add_evidence(ticket, files, resident, now=now, keyring=keyring, thumbs=thumbs)
    db.session.flush()
    return Sent(event)
