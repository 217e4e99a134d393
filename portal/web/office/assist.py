"""``/office/assist``: a village operator submits a request for a resident
who came to the village office (DESIGN.md §2, issue 12 §1).

The start page takes the kind and the operator's own household lookup (the
resident's NIK and full name, matched by ``registry.lookup.find_household``
exactly as the public lookup: one answer for "not found" and "name does not
match"). The per-NIK budget applies as for residents; instead of the
address's limit and the captcha, the operator's account has its own lookup
budget (``ASSIST_LOOKUP_LIMIT_PER_ACCOUNT``). A household of another village
is refused: an operator submits only for their own village.

Then the resident's journey itself, the same views as ``/submit`` (the
``channel.ASSIST`` channel: ``portal.web.public.channel``), registered here
under ``/office/assist/<kind>/...``, each wrapped in
``staff_required("operator")``. The confirmation hands over the reference,
PIN and tracking link, with the receipt PDF (``assist_receipt``); "Next
resident" (``assist_done``) ends the operator's journeys and lookup.

Every lookup (``assist_lookup``) and every assisted submission
(``assisted_submission``, written by ``send.py`` in the send's
transaction) is an audit row (SECURITY.md LG3).
"""

from __future__ import annotations

import functools
import logging

from flask import abort, current_app, flash, g, redirect, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.assist import AssistStartForm
from portal import ratelimit, ratelimit_lookup
from portal.audit.log import record
from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import Region
from portal.registry.lookup import find_household
from portal.tickets.confirmations import forget_sent, recall_sent
from portal.tickets.models import KINDS, Ticket
from portal.web import large_bodies
from portal.web.office import auth, bp, nav
from portal.web.office.auth import SESSION_STAFF, staff_required
from portal.web.pages import private_page
from portal.web.public import channel, journey
from portal.web.public import submit as _journey_views  # noqa: F401 - fills channel.ROUTES
from portal.web.public.limits import limit_page
from portal.web.public.lookup import remember_outcome
from portal.web.public.receipt_page import receipt_response
from portal.web.public.ticket_labels import KIND_TITLES

log = logging.getLogger("portal.office")

#: What each kind is for, under its choice on the start page.
KIND_HINTS = {
    "proposal": _l(
        "A household that should be in the DTSEN data or receive aid. For a household "
        "not in the registry, leave the NIK and name empty"
    ),
    "objection": _l("The resident's own ranking is wrong, or another household should not get aid"),
    "correction": _l("The resident's household data is wrong. Needs the resident's NIK"),
}


def assisted(view):
    """A journey view in the operator's channel: operators only, within
    their account's budget (``staff_required``), not the address's."""

    @functools.wraps(view)
    def in_channel(*args, **kwargs):
        if g.staff.village_code is None:
            auth.log_denied("no_village")
            abort(403)
        channel.use(channel.ASSIST)
        return view(*args, **kwargs)

    # The account's budget replaces the per-address page limit of /submit.
    in_channel.per_address_limit = None
    return staff_required("operator")(in_channel)


@bp.route("/assist", methods=["GET", "POST"])
@assisted
def assist():
    form = AssistStartForm()
    form.kind.choices = [(kind, KIND_TITLES[kind]) for kind in KINDS]
    if not form.validate_on_submit():
        return _start_page(form, 400 if form.errors else 200)
    kind = form.kind.data
    if not form.wants_lookup:
        # A household not in the registry: no lookup, the operator's village.
        remember_outcome(None)
        return redirect(channel.ASSIST.url("start", kind=kind), 303)

    staff = g.staff
    config = current_app.config
    wait = ratelimit.hit_or_wait(
        config["ASSIST_LOOKUP_LIMIT_PER_ACCOUNT"], "assist-lookup", str(staff.id)
    )
    if wait:
        return limit_page("office/assist/limited.html", wait, scope="account")
    ring = keyring()
    key = ratelimit.nik_key(ring.nik_index(form.nik.data))
    try:
        ratelimit_lookup.take_free_lookup("", key, captcha_on=False)  # the NIK's budget only
    except ratelimit_lookup.LookupLimited as exc:
        return limit_page("office/assist/limited.html", exc.retry_after, scope="nik")
    household_id = find_household(ring, form.nik.data, form.name.data)
    village = journey.household_village(household_id)
    outcome = (
        "no_match"
        if household_id is None
        else "match"
        if village == staff.village_code
        else "other_village"
    )
    log.info("assist lookup", extra={"event": {"event": "assist_lookup", "outcome": outcome}})
    with transaction():
        record("assist_lookup", staff_id=staff.id, detail=outcome, now=auth.now())
    remember_outcome(household_id if outcome == "match" else None)
    if outcome == "no_match":
        return _start_page(form, 200, not_found=True)
    if outcome == "other_village":
        return _start_page(form, 403, other_village=True)
    return redirect(channel.ASSIST.url("start", kind=kind), 303)


def _start_page(
    form: AssistStartForm, http_status: int, *, not_found: bool = False, other_village: bool = False
):
    return private_page(
        "office/assist/start.html",
        http_status,
        form=form,
        kind_hints=KIND_HINTS,
        village=_village_name(g.staff.village_code),
        not_found=not_found,
        other_village=other_village,
    )


def _village_name(code: str) -> str:
    return ", ".join(journey.region_path_names(code)) or db.session.get(Region, code).name


@bp.get("/assist/sent/receipt.pdf")
@assisted
def assist_receipt():
    """The receipt of the request this operator's session just sent, while
    its confirmation may be shown (``SENT_PAGE_MINUTES``)."""
    shown = recall_sent(journey.sent_confirmation_id(), keyring=keyring(), now=journey.now())
    ticket = db.session.get(Ticket, shown.ticket_id) if shown is not None else None
    if ticket is None or ticket.submitted_by_staff_id != g.staff.id:
        abort(404)
    return receipt_response(ticket, shown.tracking_token)


@bp.post("/assist/done")
@assisted
def assist_done():
    """ "Next resident": the confirmation, every journey started and the
    lookup end now."""
    confirmation_id = journey.sent_confirmation_id()
    if confirmation_id:
        with transaction():
            forget_sent(confirmation_id)
    journey.clear_sent()
    journey.next_resident()
    flash(_("Ready for the next resident."))
    return redirect(channel.ASSIST.home_url(), 303)


channel.register(bp, "/assist", channel.ASSIST, assisted)
large_bodies.raise_limit(
    bp, (channel.ASSIST.endpoint("question"),), lambda: bool(session.get(SESSION_STAFF))
)
nav.register("office.assist", _l("Submit for a resident"), ("operator",), order=20)
