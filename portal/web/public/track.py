"""Following a request: ``/track`` (reference + PIN) and ``/t/<token>`` (the
tracking link on the receipt's QR code), and the receipt PDF.

Both grant this browser the request (``track_access.grant``) and show the
same public view (``track_status``): the simple status label, the current
deadline, the office and the public events; internal notes never. A right
PIN redirects (303) to ``/track/<reference>``, which shows the status while
the grant lasts and otherwise sends the resident back to ``/track`` with the
ticket number filled in. The receipt is reachable only with the tracking
token, never by reference.

PIN guesses (SECURITY.md AU5, LK6). The reference is printed on the receipt,
so anyone who saw it can try PINs; they must not lock its owner out:

1. per reference *and address*, ``PIN_ATTEMPTS_PER_ADDRESS`` (5 per 30
   minutes): that address waits, others are not touched;
2. per reference, ``PIN_FREE_ATTEMPTS_PER_REFERENCE`` (10 per 30 minutes)
   from every address together; past it each try needs the captcha, which
   the owner can pass;
3. far later, ``PIN_MAX_ATTEMPTS`` (100) wrong PINs in a row lock the ticket
   for ``PIN_LOCK_MINUTES`` (a day): ``open_by_pin`` counts them per ticket,
   the limiter per typed reference, with the same limit.

All three count the *typed* reference, so a wrong PIN and an unknown
reference get the same answer at every step, locks and captcha included.
"""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from forms.track import TrackForm
from portal import captcha, ratelimit
from portal.db import keyring, transaction
from portal.tickets.access import open_by_pin, open_by_tracking_token
from portal.tickets.references import parse_reference
from portal.web.pages import private_page
from portal.web.public import journey, track_access
from portal.web.public.receipt_page import receipt_response
from portal.web.public.track_status import status_context

bp = Blueprint("track", __name__)


@bp.route("/track", methods=["GET", "POST"])
@ratelimit.posts_per_address("TRACK_LIMIT_PER_IP")
def track():
    form = TrackForm()
    if request.method == "GET" and request.args.get("reference"):
        form.reference.data = parse_reference(request.args["reference"])
    if not form.validate_on_submit():
        return private_page(
            "public/track/track.html",
            400 if form.errors else 200,
            form=form,
            captcha=False,
            kept_text=request.method == "GET" and track_access.pop_kept_notice(),
        )
    reference, ip = form.reference.data, ratelimit.address_key()
    refused = _refused_here(form, reference, ip) or _captcha_needed(form, reference)
    if refused is not None:
        return refused
    with transaction():  # commit the attempt count whatever the result
        result = open_by_pin(reference, form.pin.data, keyring=keyring(), now=journey.now())
        if result.ticket is not None:
            track_access.grant(result.ticket)
            return redirect(url_for("track.status", reference=result.ticket.reference), 303)
    too_many = not _attempt_allowed(reference)
    if result.locked_until is not None or too_many:
        hours = math.ceil(current_app.config["PIN_LOCK_MINUTES"] / 60)
        message = ngettext(
            "This ticket number is locked after too many wrong PINs. Try again in %(num)d "
            "hour, or open your request with the tracking link on your receipt.",
            "This ticket number is locked after too many wrong PINs. Try again in %(num)d "
            "hours, or open your request with the tracking link on your receipt.",
            hours,
        )
        return _track_page(form, message, 429, retry_after=hours * 3600)
    return _track_page(form, _("The ticket number and PIN do not match. Check them and try again."))


def _track_page(form, message, status=400, *, retry_after=None, captcha_on=False):
    form.form_errors.append(message)
    if not captcha_on:
        form.pin.data = ""
    g.captcha_on_page = captcha_on
    response = private_page("public/track/track.html", status, form=form, captcha=captcha_on)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _refused_here(form: TrackForm, reference: str, ip: str):
    """Step 1: this address has tried enough PINs on this reference for now.
    Counted here, before anything else, so parallel tries cannot pass it."""
    limit = current_app.config["PIN_ATTEMPTS_PER_ADDRESS"]
    if ratelimit.allowed(limit, "track-address", f"{reference}:{ip}"):
        return None
    seconds = ratelimit.wait_seconds(limit, "track-address", f"{reference}:{ip}") or 60
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many tries for this ticket number from your network. Try again in "
        "%(num)d minute, or open your request with the tracking link on your receipt.",
        "Too many tries for this ticket number from your network. Try again in "
        "%(num)d minutes, or open your request with the tracking link on your receipt.",
        minutes,
    )
    return _track_page(form, message, 429, retry_after=seconds)


def _captcha_needed(form: TrackForm, reference: str):
    """Step 2: past the reference's free budget, a try needs the captcha
    (without one configured, as in development, none is asked)."""
    free = ratelimit.allowed(
        current_app.config["PIN_FREE_ATTEMPTS_PER_REFERENCE"], "track-reference-free", reference
    )
    if free or not captcha.captcha_enabled(current_app):
        return None
    if captcha.verify(request.form.get("h-captcha-response"), ratelimit.client_ip()).ok:
        return None
    message = _(
        "Many PINs were tried on this ticket number. Complete the security check, "
        "then press Show status again."
    )
    return _track_page(form, message, captcha_on=True)


def _attempt_allowed(reference: str) -> bool:
    """Step 3 for the typed reference, known or not, with the per-ticket limit."""
    config = current_app.config
    limit = f"{config['PIN_MAX_ATTEMPTS']} per {config['PIN_LOCK_MINUTES']} minutes"
    return ratelimit.allowed(limit, "track-reference", reference)


@bp.get("/track/<reference>")
@track_access.resident_ticket
def status(ticket):
    """The status of a request this browser opened (PIN or link) within the grant."""
    return private_page("public/track/status.html", receipt_url=None, **status_context(ticket))


@bp.get("/t/<token>")
def by_token(token: str):
    ticket = open_by_tracking_token(token, keyring=keyring())
    if ticket is None:
        return _link_not_found()
    track_access.grant(ticket)
    return private_page(
        "public/track/status.html",
        receipt_url=url_for("track.receipt", token=token),
        **status_context(ticket),
    )


def _link_not_found():
    """One helpful 404 for a mistyped, cut-off or unknown link: it points to
    ``/track`` and says nothing about why the link failed."""
    return private_page("public/track/link_not_found.html", 404)


@bp.get("/t/<token>/receipt.pdf")
def receipt(token: str):
    ticket = open_by_tracking_token(token, keyring=keyring())
    if ticket is None:
        return _link_not_found()
    return receipt_response(ticket, token)
