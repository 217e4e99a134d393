"""The receipt PDF of one ticket (``portal.tickets.receipt``): the one-page
slip a resident keeps. Served to whoever holds the tracking link
(``track.receipt``) and to the operator who just submitted for the resident
(``office.assist_receipt``); never cached."""

from __future__ import annotations

from flask import Response, make_response

from portal.extensions import db
from portal.i18n import current_lang
from portal.regions.models import Office
from portal.tickets.models import Ticket
from portal.web.public import journey
from portal.web.public.journey import url_for_tracking
from portal.web.public.ticket_labels import next_steps


def receipt_response(ticket: Ticket, token: str) -> Response:
    from portal.tickets.receipt import ReceiptData, receipt_pdf  # ~0.8 s to import

    lang = current_lang()
    data = ReceiptData(
        reference=ticket.reference,
        kind=ticket.kind,
        submitted_at=ticket.created_at,
        office_name=db.session.get(Office, ticket.office_id).name,
        village_path=", ".join(journey.region_path_names(ticket.village_code)),
        next_steps=next_steps(ticket.subkind),
        due_date_triage=ticket.due_triage,
        due_date_verification=ticket.due_verification,
        due_date_decision=ticket.due_decision or ticket.due_triage,
        tracking_url=url_for_tracking(token),
        version=ticket.version,
        lang=lang if lang in ("id", "en") else "id",
    )
    response = make_response(receipt_pdf(data))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipt-{ticket.reference}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
