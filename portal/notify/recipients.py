"""Who a message goes to, and by which channel.

The message's own ``recipient_enc`` (an answer to an inbound SMS) wins;
otherwise the ticket's contact (``reporter_contact_enc``). An address with
``@`` is an email; otherwise a phone number, normalised to E.164 (Indonesian
``08…`` and ``628…`` become ``+628…``). Anything else, or no contact at all,
is a ``Skip``: the resident still sees everything on the tracking page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.crypto import Keyring
from portal.notify.messages import Skip
from portal.tickets.models import P_OUTBOX_RECIPIENT, P_REPORTER_CONTACT, OutboxMessage, Ticket

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_PHONE_NOISE = re.compile(r"[\s().\-/]")


@dataclass(frozen=True)
class Recipient:
    channel: str  # "email" or "sms"
    address: str


def recipient(message: OutboxMessage, ticket: Ticket | None, keyring: Keyring) -> Recipient | Skip:
    if message.recipient_enc is not None:
        purpose = P_OUTBOX_RECIPIENT + b":" + message.event_id.encode()
        contact = keyring.decrypt(message.recipient_enc, purpose)
    elif ticket is not None and ticket.reporter_contact_enc is not None:
        contact = keyring.decrypt(ticket.reporter_contact_enc, P_REPORTER_CONTACT)
    else:
        return Skip("no contact")
    contact = contact.strip()
    if "@" in contact:
        return Recipient("email", contact) if EMAIL.fullmatch(contact) else Skip("bad email")
    phone = normalise_phone(contact)
    return Recipient("sms", phone) if phone else Skip("contact is not an email or phone")


def normalise_phone(raw: str) -> str | None:
    """One form for a phone number, ``+<country><number>``: ``0812-3456-7890``
    (a leading ``0`` is Indonesia's trunk prefix), ``62812…``, ``0062812…`` and
    ``+62 812…`` all give ``+6281234567890``; None when it is no phone number
    (an email address, letters). The ticket's contact and an inbound SMS's
    sender are compared in this form."""
    number = _PHONE_NOISE.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    elif number.startswith("0"):
        number = "+62" + number[1:]
    elif number.startswith("62"):
        number = "+" + number
    return number if E164.fullmatch(number) else None
