"""The resident's moves after opening their request (issue 11 §3-4):
withdraw (``/track/<reference>/withdraw``) and rate (``/track/<reference>/rate``),
plus the decision and the action links on the status page (``status_extras``).
The appeal and the needs-info reply are ``track_reply``'s.

Every route needs this browser's grant on the ticket (``track_access``):
without it the resident is sent to ``/track`` with the ticket number filled in.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forms.resident import RatingForm, WithdrawForm
from portal.db import keyring, transaction
from portal.extensions import db
from portal.tickets import decisions, ratings, resident_moves, sla
from portal.tickets.models import P_EVENT_NOTE, Ticket, TicketEvent
from portal.tickets.workflow import (
    ACCEPTED,
    CLOSED,
    FORWARDED,
    OPEN_STATUSES,
    REJECTED,
    WITHDRAWN,
    InvalidTransition,
)
from portal.web.pages import private_page
from portal.web.public import journey
from portal.web.public.track_access import resident_ticket

bp = Blueprint("resident", __name__)

#: What the decision was, in plain words.
OUTCOMES = {
    ACCEPTED: _l("Your request was accepted."),
    REJECTED: _l("Your request was not accepted."),
    FORWARDED: _l(
        "Your request was accepted and sent on to the Ministry of Social Affairs, "
        "which updates the DTSEN data."
    ),
}
#: Why a rating was not taken, for the rating page.
RATING_REFUSALS = {
    "already_rated": _l("You have already rated how this request was handled. Thank you."),
    "not_decided": _l("You can rate the handling once the office has decided on your request."),
    "window_closed": _l("The time to rate this request has ended."),
    "bad_score": _l("Choose a score from 1 to 5"),
}
_WITHDRAWN = _l("Your request is withdrawn. The office will not work on it any more.")
_DECIDED = frozenset({ACCEPTED, REJECTED, FORWARDED, CLOSED})


def status_extras(ticket: Ticket) -> dict:
    """What the status page's decision and action parts need for ``ticket``."""
    today = sla.local_date(journey.now())
    return {
        "decision": _decision(ticket),
        "can_withdraw": ticket.status in OPEN_STATUSES,
        "can_rate": ratings.refusal(ticket, today) is None,
    }


def _decision(ticket: Ticket) -> dict | None:
    if ticket.status not in _DECIDED:
        return None
    decided = db.session.scalar(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "decided")
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(1)
    )
    if decided is None:
        return None
    outcome = FORWARDED if ticket.status in (FORWARDED, CLOSED) else ticket.status
    if ticket.status == CLOSED and decided.to_status == REJECTED:
        outcome = REJECTED
    explanation = None
    if decided.public and decided.note_enc:
        explanation = keyring().decrypt(decided.note_enc, P_EVENT_NOTE)
    return {
        "outcome": outcome,
        "outcome_text": str(OUTCOMES[outcome]),
        "at": decided.at,
        "reasons": decisions.labels_of(ticket.decision_reasons),
        "explanation": explanation,
    }


@bp.route("/track/<reference>/withdraw", methods=["GET", "POST"])
@resident_ticket
def withdraw(ticket: Ticket):
    if ticket.status == WITHDRAWN:
        # A second click, a reload or another tab: the same result, no second event.
        if request.method == "POST":
            flash(str(_WITHDRAWN))
        return _to_status(ticket)
    if ticket.status not in OPEN_STATUSES:
        return _withdraw_refused(ticket)
    form = WithdrawForm()
    if not form.validate_on_submit():
        if not form.is_submitted():
            form.idempotency_key.data = secrets.token_urlsafe(24)
        status = 400 if form.errors else 200
        return private_page("public/track/withdraw.html", status, form=form, ticket=ticket)
    try:
        with transaction():
            resident_moves.withdraw(
                ticket, form.reason.data, form.idempotency_key.data, journey.now(), keyring()
            )
    except InvalidTransition:
        return _withdraw_refused(db.session.get(Ticket, ticket.id))
    flash(str(_WITHDRAWN))
    return _to_status(ticket)


def _withdraw_refused(ticket: Ticket):
    return private_page("public/track/withdraw_refused.html", 409, ticket=ticket)


def _to_status(ticket: Ticket):
    return redirect(url_for("track.status", reference=ticket.reference), 303)


@bp.route("/track/<reference>/rate", methods=["GET", "POST"])
@resident_ticket
def rate(ticket: Ticket):
    refused = ratings.refusal(ticket, sla.local_date(journey.now()))
    if refused:
        return _rating_refused(ticket, refused)
    form = RatingForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return private_page("public/track/rate.html", status, form=form, ticket=ticket)
    try:
        with transaction():
            ratings.rate(ticket, int(form.score.data), form.comment.data, journey.now(), keyring())
    except ratings.RatingRefused as refusal:
        return _rating_refused(db.session.get(Ticket, ticket.id), refusal.code)
    flash(_("Thank you for your rating. It helps the office improve."))
    return _to_status(ticket)


def _rating_refused(ticket: Ticket, code: str):
    status = 200 if code == "already_rated" else 409
    message = str(RATING_REFUSALS[code])
    return private_page("public/track/rate_refused.html", status, ticket=ticket, message=message)
