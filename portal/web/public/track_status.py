"""What the tracking page shows about one request (issue 11 §1): the public
timeline, the responsible office and how to reach it, and the current
deadline with how late the office is, and whether the village office
helped to submit it.

Only public events are read (``TicketEvent.public``); internal notes never
leave the database for this page. A note is shown as whose words it is:
the resident's own (a reply, an appeal, a withdrawal reason) or the office's
(a message, the question, the decision's explanation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.db import keyring
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import progress, sla
from portal.tickets.models import P_EVENT_NOTE, Ticket, TicketEvent
from portal.tickets.workflow import public_label
from portal.web.public import journey
from portal.web.public.ticket_labels import (
    EVENT_LABELS,
    KIND_TITLES,
    SUBKIND_LABELS,
    next_steps,
)
from portal.web.public.track_actions import status_extras
from portal.web.public.track_reply import answer_extras

#: Events whose note is the resident's own words, whoever recorded them (an
#: operator passing on a reply writes the resident's text).
RESIDENT_WORDS = frozenset({"info_received", "appealed", "withdrawn", "resident_added"})

#: The label of ``progress.Due.what`` on the page.
DUE_LABELS = {
    progress.TRIAGE: _l("The office starts checking your request by"),
    progress.RESPONSE: _l("The office answers you by"),
    progress.VERIFICATION: _l("The office checks the objection by"),
    progress.DECISION: _l("The office decides by"),
}


@dataclass(frozen=True)
class PublicEvent:
    #: Aware, UTC; shown in WIB.
    at: dt.datetime
    label: str
    note: str | None
    #: ``resident``, ``office`` or ``system``: whose words ``note`` is.
    by: str


def status_context(ticket: Ticket) -> dict:
    """The status page's context for ``ticket``."""
    office = db.session.get(Office, ticket.office_id)
    return {
        "ticket": ticket,
        "kind_title": KIND_TITLES[ticket.kind],
        "subkind_label": SUBKIND_LABELS[ticket.kind].get(ticket.subkind, ""),
        "status_label": public_label(ticket.status),
        "events": public_events(ticket),
        "office": office,
        "due": progress.current_due(ticket, sla.local_date(journey.now())),
        "due_labels": DUE_LABELS,
        "next_steps": next_steps(ticket.subkind),
        # Which operator is the office's business; the resident learns only
        # that their village office helped (issue 12 §1).
        "assisted": ticket.submitted_by_staff_id is not None,
        **status_extras(ticket),
        **answer_extras(ticket),
    }


def public_events(ticket: Ticket) -> list[PublicEvent]:
    """Every public event of ``ticket``, oldest first (the newest last)."""
    ring = keyring()
    rows = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.public.is_(True))
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return [
        PublicEvent(
            e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC),
            str(EVENT_LABELS.get(e.kind, _l("Status changed"))),
            ring.decrypt(e.note_enc, P_EVENT_NOTE) if e.note_enc else None,
            _whose_words(e),
        )
        for e in rows
    ]


def _whose_words(event: TicketEvent) -> str:
    if event.actor == "resident" or event.kind in RESIDENT_WORDS:
        return "resident"
    if event.actor.startswith("staff:"):
        return "office"
    return "system"


def province_office(office: Office | None) -> Office | None:
    """The province office above ``office`` (itself when it is one), or None."""
    while office is not None and office.level != "province":
        if office.parent_id is None:
            return None
        office = db.session.get(Office, office.parent_id)
    return office
