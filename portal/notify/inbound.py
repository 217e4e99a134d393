"""Answers to an inbound SMS (issue 11 §6, SECURITY.md AU8): ``CEK <reference>``
from the phone recorded on that ticket gets the ticket's public status; any
other message gets a short help text.

The privacy rules, first:

* **No oracle.** A reference that does not exist, a number that is not the
  ticket's, a ticket whose contact is an email or missing, and any other text
  all get the same answer, ``{"answer": "help"}``, with no ticket on the row:
  nobody learns by SMS whether a reference exists or whose number is on it.
* **Only the ticket's own number** gets the status. Numbers are compared in
  one form (``+628…``): ``0812…``, ``62812…`` and ``+62 812…`` are the same.
* **No spamming a number.** The hook can be made to answer any number it is
  told sent a message (a forged webhook needs the secret, but a gateway can
  be fooled by a spoofed sender): at most ``SMS_REPLY_LIMIT_PER_NUMBER``
  answers per number; past it the message is accepted and nothing is sent.
  The limit is keyed by an HMAC of the number, never the number.
* **Once per message.** The gateway may deliver a webhook twice: the answer's
  ``event_id`` is derived from the sender (a keyed digest of its one form)
  and the gateway's message id, so a repeat finds its row (or trips the unique constraint) and
  writes nothing, while a gateway that reuses its ids for another sender
  still gets that message answered.
* **No personal data at rest in the clear, nor in logs**: the recipient is in
  ``recipient_enc`` (``P_OUTBOX_RECIPIENT`` + ``event_id``); the payload holds
  the ticket's id and reference only; the worker (``portal.notify``) writes
  the text.

The caller holds the transaction: this adds the outbox row and flushes. A
concurrent repeat that commits first makes the caller's commit raise
``IntegrityError``: the same outcome as ``"repeat"``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import uuid

from flask import current_app
from sqlalchemy import select

from portal import ratelimit
from portal.crypto import Keyring
from portal.extensions import db
from portal.notify.recipients import normalise_phone
from portal.tickets.models import P_OUTBOX_RECIPIENT, P_REPORTER_CONTACT, OutboxMessage, Ticket
from portal.tickets.references import parse_reference

TOPIC = "sms.reply"
#: The namespace of answers' event ids: uuid5(namespace, sender and gateway message id).
EVENT_NAMESPACE = uuid.UUID("6f7b1c3e-2d4a-5e8f-9a0b-1c2d3e4f5a6b")

#: ``CEK`` then the reference, however typed: ``cek dt 7kq4 m9xw``, ``CEK:DT7KQ4M9XW``,
#: ``CEKDT-7KQ4-M9XW`` (``parse_reference`` takes only a whole reference after it).
_CHECK = re.compile(r"\s*cek[\s:.\-]*(?P<reference>.*)", re.IGNORECASE | re.DOTALL)


def event_id_for(sender_key: str, gateway_id: str) -> str:
    """The answer's event id: the same for every delivery of one inbound
    message. ``sender_key`` is the keyed digest of the normalised number
    (``_number_key``), not the number: the id is stored in the clear and
    sent to the gateway, and a plain hash of a phone number can be guessed."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"sms-inbound:{sender_key}:{gateway_id}"))


def answer_inbound(
    sender: str, text: str, gateway_id: str, now: dt.datetime, keyring: Keyring
) -> str:
    """Write the answer to one inbound SMS. Returns what happened, for the log
    (never the number, the text or the reference): ``status`` or ``help`` (an
    answer is queued), ``repeat`` (this message was answered before),
    ``limited`` (the number had its answers for now) or ``no_sender``
    (the sender is not a phone number: nothing can be sent)."""
    number = normalise_phone(sender)
    if number is None:
        return "no_sender"
    number_key = _number_key(keyring, number)
    event_id = event_id_for(number_key, gateway_id)
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.event_id == event_id)):
        return "repeat"
    if not ratelimit.allowed(
        current_app.config["SMS_REPLY_LIMIT_PER_NUMBER"], "sms-reply", number_key
    ):
        return "limited"
    ticket = _ticket_of(number, text, keyring)
    payload = (
        {"answer": "status", "ticket_id": ticket.id, "reference": ticket.reference}
        if ticket is not None
        else {"answer": "help"}
    )
    db.session.add(
        OutboxMessage(
            event_id=event_id,
            topic=TOPIC,
            payload=json.dumps(payload, sort_keys=True),
            created_at=now,
            attempts=0,
            ticket_id=ticket.id if ticket is not None else None,
            status="pending",
            recipient_enc=keyring.encrypt(number, P_OUTBOX_RECIPIENT + b":" + event_id.encode()),
        )
    )
    db.session.flush()
    return payload["answer"]


def _ticket_of(number: str, text: str, keyring: Keyring) -> Ticket | None:
    """The ticket ``CEK <reference>`` names when ``number`` is the phone
    recorded on it; None in every other case, all alike."""
    asked = _CHECK.fullmatch(text or "")
    reference = parse_reference(asked.group("reference")) if asked else None
    if reference is None:
        return None
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    if ticket is None or ticket.reporter_contact_enc is None:
        return None
    contact = keyring.decrypt(ticket.reporter_contact_enc, P_REPORTER_CONTACT)
    if "@" in contact or normalise_phone(contact) != number:
        return None
    return ticket


def _number_key(keyring: Keyring, number: str) -> str:
    """The per-number limit's key: 128 bits of an HMAC of the number, base64url."""
    mac = hmac.new(keyring.index_key, b"sms-reply:" + number.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode("ascii")
