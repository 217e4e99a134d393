"""Following a request: ``/track`` (reference + PIN) and ``/t/<token>`` (the
tracking link on the receipt's QR code), and the receipt PDF.

Both show the same public view: the simple status label, due dates and the
public events; internal notes never. A wrong PIN and an unknown reference
give the same answer, and so do a locked ticket and an unknown reference
tried too often (SECURITY.md AU5): ``open_by_pin`` counts attempts per
ticket, and the limiter counts them per typed reference, with the same limit.
The receipt is reachable only with the tracking token, never by reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    current_app,
    make_response,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forms.track import TrackForm
from portal import ratelimit
from portal.db import keyring, transaction
from portal.extensions import db
from portal.i18n import current_lang
from portal.regions.models import Office
from portal.tickets.models import P_EVENT_NOTE, Ticket, TicketEvent
from portal.tickets.service import open_by_pin, open_by_tracking_token
from portal.tickets.workflow import public_label
from portal.web.pages import private_page
from portal.web.public import journey
from portal.web.public.journey import url_for_tracking
from portal.web.public.ticket_labels import (
    EVENT_LABELS,
    KIND_TITLES,
    SUBKIND_LABELS,
    next_steps,
)

bp = Blueprint("track", __name__)


@dataclass(frozen=True)
class PublicEvent:
    at: object
    label: str
    note: str | None


@bp.route("/track", methods=["GET", "POST"])
@ratelimit.posts_per_address("TRACK_LIMIT_PER_IP")
def track():
    form = TrackForm()
    if not form.validate_on_submit():
        return private_page("public/track/track.html", 400 if form.errors else 200, form=form)
    with transaction():  # commit the attempt count whatever the result
        result = open_by_pin(
            form.reference.data, form.pin.data, keyring=keyring(), now=journey.now()
        )
        if result.ticket is not None:
            context = _status_context(result.ticket)
            return private_page("public/track/status.html", receipt_url=None, **context)
    too_many = not _attempt_allowed(form.reference.data)
    if result.locked_until is not None or too_many:
        minutes = current_app.config["PIN_LOCK_MINUTES"]
        message = _("Too many tries. Please try again in %(minutes)d minutes.", minutes=minutes)
    else:
        message = _("The ticket number and PIN do not match. Check them and try again.")
    form.form_errors.append(message)
    form.pin.data = ""
    return private_page("public/track/track.html", 400, form=form)


def _attempt_allowed(reference: str) -> bool:
    """Count an attempt for the typed reference, known or not, with the PIN limit."""
    config = current_app.config
    limit = f"{config['PIN_MAX_ATTEMPTS']} per {config['PIN_LOCK_MINUTES']} minutes"
    return ratelimit.allowed(limit, "track-reference", reference)


@bp.get("/t/<token>")
def by_token(token: str):
    ticket = open_by_tracking_token(token, keyring=keyring())
    if ticket is None:
        return _link_not_found()
    return private_page(
        "public/track/status.html",
        receipt_url=url_for("track.receipt", token=token),
        **_status_context(ticket),
    )


def _link_not_found():
    """One helpful 404 for a mistyped, cut-off or unknown link: it points to
    ``/track`` and says nothing about why the link failed."""
    return private_page("public/track/link_not_found.html", 404)


@bp.get("/t/<token>/receipt.pdf")
def receipt(token: str):
    from portal.tickets.receipt import ReceiptData, receipt_pdf  # ~0.8 s to import

    ticket = open_by_tracking_token(token, keyring=keyring())
    if ticket is None:
        return _link_not_found()
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


def _status_context(ticket: Ticket) -> dict:
    ring = keyring()
    rows = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.public.is_(True))
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    events = [
        PublicEvent(
            e.at,
            str(EVENT_LABELS.get(e.kind, _l("Status changed"))),
            ring.decrypt(e.note_enc, P_EVENT_NOTE) if e.note_enc else None,
        )
        for e in rows
    ]
    return {
        "ticket": ticket,
        "kind_title": KIND_TITLES[ticket.kind],
        "subkind_label": SUBKIND_LABELS[ticket.kind].get(ticket.subkind, ""),
        "status_label": public_label(ticket.status),
        "events": events,
        "office": db.session.get(Office, ticket.office_id),
        "next_steps": next_steps(ticket.subkind),
    }
