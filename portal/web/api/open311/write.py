"""Open311 ``POST requests``: a partner system sends a new request with its key.

Form-encoded, as GeoReport v2 has it (``attribute[code]=value``); the fields
are checked by ``portal.partners.open311_post`` and the ticket is made by
``service.submit_ticket``, exactly as the web journey makes it (routed to
its office, due dates, first event, outbox message). Two units of work:

1. the key's use (``usage.use_key``: active key, the partner's budget, the
   audit row), committed whatever comes next: a refused request is a use too;
2. the ticket, all or nothing: a refusal or a crash leaves no part of it.

``Idempotency-Key`` (optional header): the same partner sending the same key
again gets the same ticket back (``ticket.idempotency_key`` is
``p<partner id>:<key>``), never a second one.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid

from flask import current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.db import keyring, transaction
from portal.extensions import db
from portal.partners.open311_post import answers_from_form
from portal.partners.usage import KeyRefused, use_key
from portal.regions.models import Office
from portal.tickets.errors import InvalidAnswers
from portal.tickets.models import Ticket
from portal.tickets.service import submit_ticket, ticket_by_idempotency_key
from portal.web.api.open311.blueprint import bp
from portal.web.api.open311.formats import Open311Error, iso, reply

#: What a partner's ``Idempotency-Key`` may be: printable ASCII, no spaces.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,40}")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_jurisdiction() -> None:
    asked = request.values.get("jurisdiction_id")
    if asked and asked != current_app.config["OPEN311_JURISDICTION_ID"]:
        raise Open311Error(404, "jurisdiction_id is not this server's jurisdiction.")


def _lang() -> str:
    lang = (request.args.get("lang") or request.form.get("lang") or "id").strip().lower()
    return lang if lang in ("id", "en") else "id"


def _idempotency_key(partner_id: int) -> str | None:
    """The ticket's idempotency key for this partner's ``Idempotency-Key``."""
    sent = request.headers.get("Idempotency-Key")
    if sent is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(sent):
        raise Open311Error(
            400, "The Idempotency-Key header must be 1 to 40 printable ASCII characters."
        )
    return f"p{partner_id}:{sent}"


@bp.post("/v2/requests.<any(json, xml):fmt>")
def post_request(fmt: str):
    check_jurisdiction()
    at = now()
    with transaction():
        try:
            partner_id = use_key(request.form.get("api_key"), "post_request", now=at).id
        except KeyRefused:
            raise Open311Error(403, "api_key is missing, unknown or revoked.") from None
    key = _idempotency_key(partner_id)
    lang = _lang()
    with transaction():
        ticket = ticket_by_idempotency_key(key) if key else None
        if ticket is None:
            ticket = _create(partner_id, key, lang, at)
        payload = [_posted(ticket, lang)]
    response = reply(payload, fmt, "service_requests", 201)
    response.headers["Cache-Control"] = "no-store"
    return response


def _create(partner_id: int, key: str | None, lang: str, at: dt.datetime) -> Ticket:
    answers = answers_from_form(request.form, keyring(), lang)
    try:
        result = submit_ticket(
            answers,
            idempotency_key=key or f"p{partner_id}:{secrets.token_urlsafe(24)}",
            keyring=keyring(),
            now=at,
        )
    except InvalidAnswers:  # the form's checks should have said it; never a 500
        raise Open311Error(400, "The request could not be made from these fields.") from None
    ticket = db.session.get(Ticket, result.ticket_id)
    if not result.already_submitted:  # else a parallel POST with the same key made it
        ticket.partner_id = partner_id
        ticket.partner_token = str(uuid.uuid4())
        db.session.flush()
    return ticket


def _posted(ticket: Ticket, lang: str) -> dict:
    office = db.session.get(Office, ticket.office_id)
    with force_locale(lang):
        notice = _(
            "Sent to %(office)s. The office starts checking it by %(date)s.",
            office=office.name,
            date=iso(ticket.due_triage)[:10],
        )
    return {
        "service_request_id": ticket.reference,
        "token": ticket.partner_token,
        "service_notice": notice,
        "account_id": None,
    }
