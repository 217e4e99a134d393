"""What a notification says, in the ticket's language (``Ticket.lang``).

Every message carries the reference, the public status
(``workflow.public_label``), the tracking link and the next step in plain
words. It never carries a NIK, a name, the PIN, the contact or the text of
an office note (a public note is announced, never quoted: it may be
personal); the message is built from the ticket's reference, status and
dates only, so there is nothing personal to leak.

Not every change is told (``Skip``): a move the office kept private, and a
move whose public label does not change (``in_review → field_check`` are
both "Being checked"). The resident still sees everything on the tracking
page.

The tracking link is ``PUBLIC_BASE_URL/t/<token>``; for a ticket sent before
tokens were kept, ``PUBLIC_BASE_URL/track`` and "your ticket number and
PIN". An answer to an inbound SMS (``sms.reply``) goes to whatever number
asked, so it never carries the token link, only ``/track``.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.crypto import Keyring
from portal.extensions import db
from portal.notify import staff_messages
from portal.tickets import sla
from portal.tickets import workflow as wf
from portal.tickets.access import tracking_token
from portal.tickets.models import OutboxMessage, Ticket, TicketEvent

SMS_CHARS = 160
#: Topics this module can write; any other is skipped (and says so).
TOPICS = (
    "ticket.submitted",
    "ticket.status_changed",
    "ticket.message",
    "sms.reply",
    *staff_messages.TOPICS,
)


@dataclass(frozen=True)
class Composed:
    lang: str
    subject: str
    text: str
    html: str
    #: Plain ASCII (GSM-7), at most 160 characters where possible.
    sms: str


@dataclass(frozen=True)
class Skip:
    """Nothing is sent; ``reason`` goes to ``last_error`` (no personal data)."""

    reason: str


def compose(
    message: OutboxMessage,
    ticket: Ticket | None,
    *,
    keyring: Keyring,
    base_url: str,
    today: dt.date | None = None,
) -> Composed | Skip:
    """The message in the ticket's language, or why nothing is sent.
    ``today`` (WIB; default: now) decides whether an appeal is still open."""
    today = today or sla.local_date(sla.as_utc())
    payload = json.loads(message.payload)
    topic = message.topic
    if topic not in TOPICS:
        return Skip(f"unknown topic {topic[:40]}")
    if topic == "sms.reply" and payload.get("answer") != "status":
        return _help_sms(ticket.lang if ticket else "id")
    if ticket is None:
        return Skip("ticket not found")
    base_url = base_url.rstrip("/")
    if topic in staff_messages.TOPICS:  # to staff (``recipient_enc``), not the resident
        return staff_messages.compose_escalated(message, ticket, base_url)
    with force_locale(ticket.lang):
        if topic == "sms.reply":
            return _status_sms(ticket, base_url)
        if topic == "ticket.status_changed":
            status = payload.get("status", ticket.status)
            if not payload.get("public"):
                return Skip("move not public")
            before = _status_before(message, status)
            if before is not None and wf.public_label(before) == wf.public_label(status):
                return Skip("public status unchanged")
            headline = _("The status of your request has changed.")
        elif topic == "ticket.submitted":
            status = wf.SUBMITTED
            headline = _("We have received your request.")
        else:
            status = ticket.status
            headline = _("The office has sent you a message about your request.")
        return _notification(ticket, topic, status, headline, keyring, base_url, today)


def _notification(
    ticket: Ticket,
    topic: str,
    status: str,
    headline: str,
    keyring: Keyring,
    base_url: str,
    today: dt.date,
) -> Composed:
    token = tracking_token(ticket, keyring)
    link = f"{base_url}/t/{token}" if token else f"{base_url}/track"
    if token:
        link_line = _("Follow your request here: %(link)s", link=link)
    else:
        link_line = _("Follow your request at %(link)s with your ticket number and PIN.", link=link)
    label = wf.public_label(status)
    if topic == "ticket.message":
        step, short = _("Read the office's message on the tracking page."), _("Read it here:")
    else:
        step, short = _next_step(ticket, status, today)
    context = {
        "headline": headline,
        "reference_label": _("Ticket number"),
        "reference": ticket.reference,
        "status_label": _("Status"),
        "status": label,
        "next_step": step,
        "link": link,
        "link_line": link_line,
        "link_text": _("Open the tracking page"),
        "footer": _(
            "This message was sent automatically by the DTSEN portal. Please do not reply to it."
        ),
        "lang": ticket.lang,
    }
    subject = _("Your request %(reference)s: %(status)s", reference=ticket.reference, status=label)
    return Composed(
        lang=ticket.lang,
        subject=subject,
        text=render_template("email/notification.txt", **context),
        html=render_template("email/notification.html", **context),
        sms=sms_text(f"{ticket.reference}: {label}.", short, link),
    )


def _next_step(ticket: Ticket, status: str, today: dt.date) -> tuple[str, str]:
    """The next step in plain words: (for an email, for an SMS)."""
    nothing = _("You do not need to do anything now.")
    if status == wf.NEEDS_INFO:
        return _(
            "The office needs more information from you. Please reply on the tracking page."
        ), _("Please reply here:")
    # Only a rejection is offered the appeal: an accepted request may be
    # forwarded (which ends the window) any day, and has little to appeal.
    if status == wf.REJECTED and wf.appeal_refusal(ticket, today) is None:
        long_date = format_date(ticket.appeal_until, "d MMMM y", locale=ticket.lang)
        short_date = format_date(ticket.appeal_until, "d MMM y", locale=ticket.lang)
        return _(
            "The reasons are on the tracking page. If you disagree, you can appeal there "
            "until %(date)s.",
            date=long_date,
        ), _("Appeal until %(date)s:", date=short_date)
    steps = {
        wf.SUBMITTED: _("The office will look at your request soon."),
        wf.TRANSFERRED: _("The office responsible for your village will look at it soon."),
        wf.IN_REVIEW: _("The office is checking your request."),
        wf.FIELD_CHECK: _("The office is checking your request."),
        wf.VERIFIED: _("The office will decide soon."),
        wf.ACCEPTED: _("The reasons are on the tracking page."),
        wf.REJECTED: _("The reasons are on the tracking page."),
        wf.FORWARDED: _("The decision has been passed on to update the registry."),
        wf.CLOSED: _("Your request is closed."),
        wf.DUPLICATE: _("It is handled together with another request for the same household."),
        wf.WITHDRAWN: _("Your request was withdrawn. Nothing more will happen with it."),
    }
    step = steps.get(status, "")
    if status != wf.WITHDRAWN:
        step = f"{step} {nothing}".strip()
    return step, _("Details:")


def _status_before(message: OutboxMessage, status: str) -> str | None:
    """The public status the resident knew before the announced move: the
    target of the last public move before it (private moves were never told)."""
    moves = (TicketEvent.ticket_id == message.ticket_id) & (
        TicketEvent.from_status.is_(None) | (TicketEvent.from_status != TicketEvent.to_status)
    )
    this_move = db.session.scalar(
        select(TicketEvent.id)
        .where(moves, TicketEvent.to_status == status, TicketEvent.at <= message.created_at)
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(1)
    )
    if this_move is None:
        return None
    return db.session.scalar(
        select(TicketEvent.to_status)
        .where(moves, TicketEvent.public, TicketEvent.id < this_move)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )


def _status_sms(ticket: Ticket, base_url: str) -> Composed:
    label = wf.public_label(ticket.status)
    due = ticket.due_next
    when = (
        _("Due by %(date)s.", date=format_date(due, "d MMM y", locale=ticket.lang)) if due else ""
    )
    text = sms_text(f"{ticket.reference}: {label}.", when, f"{base_url}/track")
    return _sms_only(ticket.lang, text)


def _help_sms(lang: str) -> Composed:
    with force_locale(lang):
        text = _("To check your request, send CEK and your ticket number, e.g. CEK DT-7KQ4-M9XW.")
    return _sms_only(lang, sms_text(text))


def _sms_only(lang: str, text: str) -> Composed:
    return Composed(lang=lang, subject="", text=text, html="", sms=text)


def sms_text(head: str, step: str = "", link: str = "") -> str:
    """``head step link`` in plain ASCII; over 160 characters the step is
    shortened, never the head or the link."""
    head, step = _ascii(head), _ascii(step)
    text = " ".join(part for part in (head, step, link) if part)
    over = len(text) - SMS_CHARS
    if over > 0 and step:
        keep = max(len(step) - over - 3, 0)
        step = (step[:keep].rstrip() + "...") if keep else ""
        text = " ".join(part for part in (head, step, link) if part)
    return text


def _ascii(text: str) -> str:
    """GSM-7 safe: accents dropped, typographic quotes and dashes made plain."""
    text = text.translate({0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-"})
    folded = unicodedata.normalize("NFKD", text)
    return folded.encode("ascii", "ignore").decode("ascii")
