"""Notifications: the outbox worker, its two channels and inbound SMS (issue 11 §5-6).

Ticket moves write an ``OutboxMessage`` in the same transaction as the move
(``portal.tickets.workflow``); ``flask outbox run`` delivers each one at
least once:

* ``outbox``: claiming due messages under a lease, fenced marking, retries
  with exponential backoff, the dead letter;
* ``messages``: what a message says, in the ticket's language, and which
  changes are not told (a private move, the same public status);
* ``recipients``: email or phone from the ticket's contact, or the message's
  own recipient (an answer to an inbound SMS);
* ``email`` (SMTP) and ``sms`` (one HTTP gateway): the channels;
* ``worker``: the loop, each send under ``deadline``; ``cli``: ``flask outbox
  run|status|retry-dead``;
* ``inbound``: the answer to a resident's SMS (``CEK <ticket number>``) to
  ``POST /hooks/sms`` (``portal.web.hooks``), written as an ``sms.reply`` message.

Nothing here logs or stores personal data: counts and short reasons only.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A channel could not deliver. ``permanent``: trying again cannot help
    (the address is refused); otherwise the message is retried later.
    ``str(error)`` is a short reason without personal data."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
