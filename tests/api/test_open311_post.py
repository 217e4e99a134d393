"""``POST /open311/v2/requests.{json,xml}``: a partner's request becomes a
ticket exactly as the web journey makes one (routed, due dates, first event,
outbox message), answered in the specification's shape; ``Idempotency-Key``.

Expected dates are counted by hand on the calendar of ``NOW`` (Tuesday 17
March 2026; 18-24 March have no working day): triage 3 working days later is
Friday 27 March; an objection is verified within 14 calendar days (31 March);
a decision within 60 (16 May).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.partners.models import Partner
from portal.regions.models import Office
from portal.tickets.models import OutboxMessage, Ticket, TicketEvent
from portal.web.api.open311 import schemas
from tests.api import open311_fixtures as fx
from tests.api.open311_fixtures import (
    HEAD_NAME,
    HEAD_NIK,
    NOW,
    fields,
    parsed,
    post,
    ticket_count,
    valid,
)
from tests.factories import VILLAGE
from tests.office import queue_fixtures
from tests.office.queue_fixtures import BOGOR
from tests.staff.conftest import log_in, make_staff

# The fixtures this module uses (clean_limits is autouse).
clean_limits, frozen, partner, registry = fx.clean_limits, fx.frozen, fx.partner, fx.registry
office_clock = queue_fixtures.clock

FORMATS = ("json", "xml")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _ticket(app, reference: str) -> Ticket:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        db.session.expunge(ticket)
        return ticket


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_creates_a_routed_ticket_with_its_due_dates(app, client, partner, frozen, fmt):
    partner_id, key = partner
    response = post(client, fields(key), fmt)
    assert response.status_code == 201, response.data
    assert response.mimetype == ("application/json" if fmt == "json" else "text/xml")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    answer = parsed(response, fmt)
    if fmt == "json":
        assert valid(schemas.POSTED, answer)
    else:
        assert response.data.startswith(
            b'<?xml version="1.0" encoding="utf-8"?>\n<service_requests>'
        )
        assert [set(a) for a in answer] == [
            {"service_request_id", "token", "service_notice", "account_id"}
        ]
        assert answer[0]["account_id"] is None
    [item] = answer
    ticket = _ticket(app, item["service_request_id"])
    assert UUID.fullmatch(item["token"]) and ticket.partner_token == item["token"]
    assert ticket.partner_id == partner_id
    assert (ticket.kind, ticket.subkind, ticket.reason_codes) == (
        "proposal",
        "other_household",
        "poor_house",
    )
    assert ticket.village_code == VILLAGE and ticket.status == "submitted"
    with app.app_context():
        office = db.session.get(Office, ticket.office_id)
        assert office.code == BOGOR  # VILLAGE is in Kabupaten Bogor (32.01)
        events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
        assert [(e.kind, e.to_status, e.actor) for e in events] == [
            ("submitted", "submitted", "resident")
        ]
        outbox = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
        )
        assert [m.topic for m in outbox] == ["ticket.submitted"]
    assert ticket.due_triage == dt.date(2026, 3, 27) == ticket.due_next
    assert ticket.due_decision == dt.date(2026, 5, 16)
    assert ticket.due_verification is None  # only objections
    assert ticket.consent_at.replace(tzinfo=dt.UTC) == NOW or ticket.consent_at == NOW
    assert "2026-03-27" in item["service_notice"] and office.name in item["service_notice"]


def test_the_ticket_keeps_the_fields_encrypted_like_the_web_journeys(app, client, partner, keyring):
    from portal.tickets.models import P_DETAILS, P_REPORTER_CONTACT, P_SUBJECT_NAME

    _, key = partner
    [item] = parsed(post(client, fields(key, email="warga@example.com", phone=None)), "json")
    ticket = _ticket(app, item["service_request_id"])
    assert keyring.decrypt(ticket.details_enc, P_DETAILS).startswith("Rumah bocor")
    assert keyring.decrypt(ticket.reporter_contact_enc, P_REPORTER_CONTACT) == "warga@example.com"
    assert keyring.decrypt(ticket.subject_name_enc, P_SUBJECT_NAME) == "Ahmad Fauzi"
    [item] = parsed(post(client, fields(key)), "json")  # a phone: kept without separators
    ticket = _ticket(app, item["service_request_id"])
    assert keyring.decrypt(ticket.reporter_contact_enc, P_REPORTER_CONTACT) == "081234567890"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_registry_household_objection(app, client, registry, partner, frozen, fmt):
    _, key = partner
    data = fields(
        key,
        service_code="objection",
        **{
            "attribute[subkind]": "own_ranking",
            "attribute[reason]": "income_dropped",
            "attribute[subject_name]": None,
            "attribute[subject_address]": None,
            "attribute[household_nik]": HEAD_NIK,
            "attribute[household_name]": HEAD_NAME.upper(),  # matched like /lookup
        },
    )
    response = post(client, data, fmt)
    assert response.status_code == 201, response.data
    ticket = _ticket(app, parsed(response, fmt)[0]["service_request_id"])
    assert ticket.household_id is not None and ticket.subject_name_enc is None
    assert ticket.due_verification == dt.date(2026, 3, 31)


def test_the_office_queue_shows_it_to_a_handler_of_that_office(
    app, client, partner, frozen, office_clock
):
    _, key = partner
    [item] = parsed(post(client, fields(key)), "json")
    other = app.test_client()
    log_in(other, make_staff(app, "handler", office=BOGOR), office_clock)
    page = other.get("/office/?lang=en")
    assert page.status_code == 200
    row = next(r for r in page.text.split("<tr>") if item["service_request_id"] in r)
    assert "Mar 27, 2026" in row  # the triage date, the nearest deadline
    elsewhere = app.test_client()
    log_in(elsewhere, make_staff(app, "handler", office="dinsos-32.73"), office_clock)
    assert item["service_request_id"] not in elsewhere.get("/office/?lang=en").text


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_idempotency_key_gives_the_same_ticket(app, client, partner, fmt):
    _, key = partner
    first = post(client, fields(key), fmt, headers={"Idempotency-Key": "order-7781"})
    again = post(client, fields(key), fmt, headers={"Idempotency-Key": "order-7781"})
    assert first.status_code == again.status_code == 201
    assert parsed(first, fmt) == parsed(again, fmt)
    assert ticket_count(app) == 1
    other = post(client, fields(key), fmt, headers={"Idempotency-Key": "order-7782"})
    assert (
        parsed(other, fmt)[0]["service_request_id"] != parsed(first, fmt)[0]["service_request_id"]
    )
    assert ticket_count(app) == 2
    ticket = _ticket(app, parsed(first, fmt)[0]["service_request_id"])
    assert ticket.idempotency_key == f"p{ticket.partner_id}:order-7781"


def test_without_a_key_each_post_is_a_new_ticket(app, client, partner):
    _, key = partner
    post(client, fields(key))
    post(client, fields(key))
    assert ticket_count(app) == 2


def test_two_partners_with_the_same_idempotency_key_get_two_tickets(app, client, partner):
    from tests.api.open311_fixtures import make_partner

    _, first_key = partner
    _, second_key = make_partner(app, "lapor-nasional")
    headers = {"Idempotency-Key": "same-key"}
    one = parsed(post(client, fields(first_key), headers=headers), "json")
    two = parsed(post(client, fields(second_key), headers=headers), "json")
    assert one[0]["service_request_id"] != two[0]["service_request_id"]
    assert ticket_count(app) == 2


def test_each_use_is_an_audit_row_and_sets_last_used(app, client, partner, frozen):
    partner_id, key = partner
    post(client, fields(key))
    post(client, fields(key, **{"attribute[consent]": None}))  # refused: still a use
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEntry.detail).where(AuditEntry.kind == "partner_api_use")
        ).all()
        assert rows == [f"partner:{partner_id}:post_request"] * 2
        used = db.session.get(Partner, partner_id).last_used_at
        assert used.replace(tzinfo=used.tzinfo or dt.UTC) == NOW
