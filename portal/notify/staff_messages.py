"""What a staff notification says: ``ticket.escalated`` (``portal.tickets.escalation``),
an e-mail to the supervisors and the assignee of an overdue ticket.

It carries the ticket number, the office, the missed deadline, the level
(the province supervisor, the national office) and a link to the ticket's
office page, which asks for a login: never a name, a NIK, an address or any
text of the request. Staff read the back office in Indonesian first, so the
message is in Indonesian. It goes by e-mail only (a staff account has no
phone number); its SMS text is empty and never sent.
"""

from __future__ import annotations

import datetime as dt
import json

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.models import OutboxMessage, Ticket

TOPICS = ("ticket.escalated",)
LANG = "id"
#: The same words as the residents' messages (one translation).
FOOTER = "This message was sent automatically by the DTSEN portal. Please do not reply to it."


def compose_escalated(message: OutboxMessage, ticket: Ticket, base_url: str):
    from portal.notify.messages import Composed

    payload = json.loads(message.payload)
    level = int(payload.get("level") or 1)
    office = db.session.get(Office, payload.get("office_id") or ticket.office_id)
    due = dt.date.fromisoformat(payload["due"]) if payload.get("due") else None
    link = f"{base_url.rstrip('/')}/office/tickets/{ticket.reference}"
    with force_locale(LANG):
        where = _("the national office") if level >= 2 else _("the province supervisor")
        context = {
            "lang": LANG,
            "headline": _(
                "Ticket %(reference)s is overdue and has been escalated to %(where)s.",
                reference=ticket.reference,
                where=where,
            ),
            "rows": [
                (_("Ticket number"), ticket.reference),
                (_("Office"), office.name if office else ""),
                (_("Deadline"), format_date(due, "d MMMM y", locale=LANG) if due else "–"),
                (_("Escalation level"), _("%(level)d (%(where)s)", level=level, where=where)),
            ],
            "next_step": _(
                "The office keeps the ticket. Open it to comment, reassign it within the "
                "office or transfer it."
            ),
            "link": link,
            "link_text": _("Open the ticket"),
            "footer": _(FOOTER),
        }
        subject = _(
            "Escalated: ticket %(reference)s (level %(level)d)",
            reference=ticket.reference,
            level=level,
        )
        return Composed(
            lang=LANG,
            subject=subject,
            text=render_template("email/escalated.txt", **context),
            html=render_template("email/escalated.html", **context),
            sms="",
        )
