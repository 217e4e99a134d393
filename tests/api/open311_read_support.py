"""Helpers for the Open311 read tests: the specification's names written out
by hand (never taken from the code under test), answers checked against the
JSON Schemas and the XML element names, tickets made through the service
and then set by hand, and partners with a key."""

from __future__ import annotations

import datetime as dt
import secrets
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.partners.keys import hash_key, new_key
from portal.partners.models import Partner
from portal.ratelimit import limiter
from portal.regions.models import Office, Region
from portal.tickets.models import Ticket
from tests.tickets import NOW, answers, submit

#: The specification's order of a request's fields.
FIELD_ORDER = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
#: GeoReport v2, "GET service requests" / "GET service request": the fields
#: (XML child elements) of every request, in the specification's words.
REQUEST_FIELDS = set(FIELD_ORDER)
#: What a partner reading its own request gets on top (description: the spec's;
#: the contact: the POST's own parameter names, per the contract).
OWN_FIELDS = {"description", "email", "phone", "first_name", "last_name"}
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
}
ENDPOINT_FIELDS = {"specification", "url", "changeset", "type", "formats"}
#: The workflow statuses the contract calls ``open`` (before a decision).
OPEN = ("submitted", "transferred", "in_review", "needs_info", "field_check", "verified")
CLOSED = ("accepted", "rejected", "forwarded", "closed", "duplicate", "withdrawn")


@pytest.fixture(autouse=True)
def clean_limits(app):
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The API's "now": 30 days after ``NOW`` (15 April 2026, 10:00 WIB)."""
    from portal.web.api.open311 import read

    moment = {"now": NOW + dt.timedelta(days=30)}
    monkeypatch.setattr(read, "now", lambda: moment["now"])
    return moment


def valid(schema: dict, payload) -> None:
    """Fail with the first schema error."""
    checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(checker.iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, errors[0].message


def xml_root(response) -> ET.Element:
    assert response.mimetype == "text/xml"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.data)


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def error_of(response, status: int, fmt: str = "json") -> str:
    """The one error's description, after checking the specification's shape."""
    assert response.status_code == status
    if fmt == "xml":
        root = xml_root(response)
        assert root.tag == "errors"
        assert children(root) == ["error"]
        assert children(root[0]) == ["code", "description"]
        assert root[0].findtext("code") == str(status)
        return root[0].findtext("description")
    from portal.web.api.open311.schemas import ERRORS

    body = response.get_json()
    valid(ERRORS, body)
    assert len(body) == 1 and body[0]["code"] == status
    return body[0]["description"]


def make_ticket(
    app,
    keyring,
    *,
    at: dt.datetime = NOW,
    status: str = "submitted",
    partner_id: int | None = None,
    partner_token: str | None = None,
    **answer_fields,
) -> str:
    """A ticket submitted at ``at``, then given ``status`` (and a partner) by
    hand; returns its reference."""
    with app.app_context():
        sent = submit(keyring, answers(**answer_fields), now=at)
        with transaction():
            ticket = db.session.get(Ticket, sent.ticket_id)
            ticket.status = status
            ticket.partner_id = partner_id
            ticket.partner_token = partner_token
    return sent.reference


def make_partner(app, name: str = "desa-app", *, revoked: bool = False) -> tuple[int, str]:
    """A partner and its key, made directly (the CLI is another module's)."""
    raw = new_key()
    with app.app_context(), transaction():
        partner = Partner(
            name=name,
            key_hash=hash_key(raw),
            key_prefix=raw[:12],
            created_at=NOW,
            revoked_at=NOW if revoked else None,
        )
        db.session.add(partner)
        db.session.flush()
        return partner.id, raw


def place_names(app, reference: str) -> tuple[str, str, str]:
    """The ticket's office name, village name and village code, from the tables."""
    with app.app_context():
        office_name, village_name, code = db.session.execute(
            select(Office.name, Region.name, Region.code)
            .join(Ticket, Ticket.office_id == Office.id)
            .join(Region, Region.code == Ticket.village_code)
            .where(Ticket.reference == reference)
        ).one()
    return office_name, village_name, code


def new_token() -> str:
    return secrets.token_hex(16)
