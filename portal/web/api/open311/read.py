"""Open311 reads: discovery, services, service definitions, requests, tokens.

Every answer is the specification's shape in JSON or XML (``formats``). A
``jurisdiction_id``, when given, must be ours (else 404). Words follow
``?lang=id|en`` (default Indonesian) and nothing else: no cookie is read
for it or set (``portal.i18n``, ``portal.sessions`` skip API paths), so one
URL is one answer and a shared cache may keep public answers briefly
(``PUBLIC_CACHE``; service descriptions ``CATALOGUE_CACHE``).

``api_key`` on ``GET requests`` and ``GET requests/<id>``: the key is
checked, counted and audited (``partners.usage.use_key``) in the view's
transaction; a wrong or revoked key is a 403. The partner's own requests
then carry their description and contact; every other request is the
public one. Such answers are ``private, no-store``.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.db import keyring, transaction
from portal.partners.usage import KeyRefused, use_key
from portal.tickets.models import KINDS, Ticket
from portal.tickets.references import parse_reference
from portal.web.api.open311 import catalogue
from portal.web.api.open311 import requests_read as rr
from portal.web.api.open311.blueprint import bp
from portal.web.api.open311.formats import WIB, Open311Error, iso, reply

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this API (its services, their definitions, this document) last changed.
CHANGESET = dt.datetime(2026, 12, 2, tzinfo=WIB)
#: Public request answers: a minute, so a burst of the same query is one database read.
PUBLIC_CACHE = "public, max-age=60"
#: Discovery, services and their definitions change only with a release.
CATALOGUE_CACHE = "public, max-age=3600"
#: Anything asked with a key: the partner's own personal data, and every use is audited.
KEYED_CACHE = "private, no-store"
FMT = "<any(json, xml):fmt>"

CONTACT = _l(
    "DTSEN Participation Portal, Ministry of Social Affairs of the Republic of Indonesia "
    "(Kementerian Sosial)."
)
KEY_SERVICE = _l(
    "A key is needed only to send requests and to read your own requests back in full. "
    "Partner systems ask the DTSEN team of the Ministry of Social Affairs for one."
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    _check_jurisdiction()
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    production = current_app.config["ENV_NAME"] == "production"
    with force_locale(_lang()):
        payload = {
            "changeset": iso(CHANGESET),
            "contact": str(CONTACT),
            "key_service": str(KEY_SERVICE),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": f"{base}/open311/v2",
                    "changeset": iso(CHANGESET),
                    "type": "production" if production else "test",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
    return _cached(reply(payload, fmt, "discovery"), CATALOGUE_CACHE)


@bp.get(f"/v2/services.{FMT}")
def services(fmt: str):
    _check_jurisdiction()
    with force_locale(_lang()):
        payload = catalogue.services()
    return _cached(reply(payload, fmt, "services"), CATALOGUE_CACHE)


@bp.get(f"/v2/services/<code>.{FMT}")
def service_definition(code: str, fmt: str):
    _check_jurisdiction()
    if code not in KINDS:
        raise Open311Error(
            404, "service_code not found: use one of proposal, objection, correction."
        )
    with force_locale(_lang()):
        payload = catalogue.service_definition(code)
    return _cached(reply(payload, fmt, "service_definition"), CATALOGUE_CACHE)


@bp.get(f"/v2/requests.{FMT}")
def requests_list(fmt: str):
    _check_jurisdiction()
    wanted = rr.parse_filter(request.args, now())
    with transaction():
        partner_id = _partner_id("get_requests")
        payload = _as_requests(rr.find_requests(wanted, partner_id), partner_id)
    return _cached(reply(payload, fmt, "service_requests"), _cache_for(partner_id))


@bp.get(f"/v2/requests/<service_request_id>.{FMT}")
def request_one(service_request_id: str, fmt: str):
    _check_jurisdiction()
    reference = parse_reference(service_request_id)
    with transaction():  # a key's use is audited even when nothing is found
        partner_id = _partner_id("get_request")
        row = rr.find_request(reference, partner_id) if reference else None
        payload = _as_requests([row], partner_id) if row is not None else None
    if payload is None:
        raise Open311Error(404, "service_request_id not found.")
    return _cached(reply(payload, fmt, "service_requests"), _cache_for(partner_id))


@bp.get(f"/v2/tokens/<token>.{FMT}")
def token(token: str, fmt: str):
    """The request a partner's POST made, by the token it answered with."""
    _check_jurisdiction()
    reference = None
    if len(token) <= Ticket.partner_token.type.length:
        reference = rr.reference_for_token(token)
    if reference is None:
        raise Open311Error(404, "token not found.")
    payload = [{"service_request_id": reference, "token": token}]
    return _cached(reply(payload, fmt, "service_requests"), PUBLIC_CACHE)


def _as_requests(rows, partner_id: int | None) -> list[dict]:
    ring = keyring() if partner_id is not None else None
    with force_locale(_lang()):
        words = rr.Words()
        return [rr.as_request(row, words, ring) for row in rows]


def _partner_id(action: str) -> int | None:
    """The partner asking, when the query carries ``api_key`` (counted and
    audited), else None (a public read)."""
    if "api_key" not in request.args:
        return None
    try:
        return use_key(request.args["api_key"], action, now=now()).id
    except KeyRefused:
        raise Open311Error(403, "api_key is not valid: unknown or revoked.") from None


def _check_jurisdiction() -> None:
    given = request.args.get("jurisdiction_id")
    if given and given != current_app.config["OPEN311_JURISDICTION_ID"]:
        raise Open311Error(404, "jurisdiction_id not found.")


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "id"


def _cache_for(partner_id: int | None) -> str:
    return PUBLIC_CACHE if partner_id is None else KEYED_CACHE


def _cached(response: Response, cache_control: str) -> Response:
    response.headers["Cache-Control"] = cache_control
    return response


@bp.after_request
def _errors_not_cached(response: Response) -> Response:
    if response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
    return response
