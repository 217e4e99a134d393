"""The office's words for ticket codes: every status (the office works with
all twelve, the resident sees fewer), events and deadlines (the house
conditions' words are in ``visit_labels``).
The resident's words are in ``portal.web.public.ticket_labels``."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.tickets.labels import OFFICE_STATUS_LABELS

STATUS_LABELS = OFFICE_STATUS_LABELS

EVENT_LABELS = {
    "submitted": _l("Submitted"),
    "triaged": _l("Triaged"),
    "transferred": _l("Transferred"),
    "marked_duplicate": _l("Marked as duplicate"),
    "info_requested": _l("More information requested"),
    "info_received": _l("Information received"),
    "status_changed": _l("Status changed"),
    "decided": _l("Decided"),
    "forwarded": _l("Forwarded"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
    "evidence_added": _l("Files added"),
    "resident_added": _l("Resident added information"),
    "note": _l("Note"),
    "field_visit": _l("Field visit recorded"),
    "appealed": _l("Appealed"),
    "escalated": _l("Escalated: overdue"),
    "deescalated": _l("Escalation ended: no longer overdue"),
    "assisted_addition": _l("Consent to an addition, recorded by the village operator"),
}

#: What a message to the resident is about (``OutboxMessage.topic``).
MESSAGE_LABELS = {
    "ticket.submitted": _l("Request received"),
    "ticket.message": _l("Message from the office"),
    "sms.reply": _l("Answer to an SMS"),
}

CHANNEL_LABELS = {"email": _l("Email"), "sms": _l("SMS")}

DEADLINE_LABELS = {
    "triage": _l("Triage"),
    "response": _l("First response"),
    "verification": _l("Verification"),
    "decision": _l("Decision"),
    "appeal": _l("End of the appeal window"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def message_label(topic: str, to_status: str | None = None) -> str:
    """A message to the resident in words: ``Status changed to Accepted``."""
    if topic == "ticket.status_changed":
        return _("Status changed to %(status)s", status=status_label(to_status or ""))
    return str(MESSAGE_LABELS.get(topic, topic))


#: Why the worker did not send (``portal.notify``: ``Skip`` and its channels'
#: fixed reasons). Others (an SMTP or gateway error code) are shown as written.
DELIVERY_REASONS = {
    "no contact": _l("the resident left no phone or email"),
    "bad email": _l("the email address is not valid"),
    "contact is not an email or phone": _l("the contact is not a phone number or email"),
    "move not public": _l("an internal step: the resident is not told"),
    "public status unchanged": _l("the status the resident sees did not change"),
    "email not configured": _l("email sending is not set up"),
    "sms not configured": _l("SMS sending is not set up"),
    "sms-only message": _l("an SMS answer cannot go by email"),
    "ticket not found": _l("the request no longer exists"),
    "demo data: not announced": _l("demo data: never sent"),
    "written before notifications existed": _l("written before notifications existed"),
    "worker stopped while sending": _l("the sending program stopped while sending"),
    "email send deadline passed": _l("the email server took too long"),
    "sms send deadline passed": _l("the SMS gateway took too long"),
}


def delivery_reason(reason: str | None) -> str:
    """A delivery failure or a reason for not sending, in the reader's language."""
    if not reason:
        return ""
    return str(DELIVERY_REASONS.get(reason, reason))


def channel_label(channel: str | None) -> str:
    return str(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else _("None")
