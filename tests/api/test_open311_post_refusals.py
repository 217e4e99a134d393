"""``POST /open311/v2/requests``: every bad input is refused in the
specification's error format (``[{"code", "description"}]`` under
``<errors><error>``) with a clear English description that never repeats
what was sent, and creates nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from lokal import wilayah
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.partners.manage import partner_named, revoke_partner
from portal.tickets.models import OutboxMessage, TicketEvent
from portal.web.api.open311 import schemas
from tests.api import open311_fixtures as fx
from tests.api.open311_fixtures import (
    HEAD_NAME,
    HEAD_NIK,
    fields,
    parsed,
    post,
    ticket_count,
    valid,
)
from tests.factories import VILLAGE

clean_limits, partner, registry = fx.clean_limits, fx.partner, fx.registry
FORMATS = ("json", "xml")
OTHER_VILLAGE = next(c for c in sorted(wilayah._desa()) if c.startswith("32.01.") and c != VILLAGE)
HOUSEHOLD = {
    "attribute[subject_name]": None,
    "attribute[subject_address]": None,
    "attribute[household_nik]": HEAD_NIK,
    "attribute[household_name]": HEAD_NAME,
}
OBJECTION = {"service_code": "objection", "attribute[subkind]": "own_ranking"}
OBJECTION.update({"attribute[reason]": "income_dropped", **HOUSEHOLD})

#: (case, changed fields, status, words the description must hold).
CASES = [
    ("unknown service", {"service_code": "pothole"}, 400, "service_code"),
    ("no service", {"service_code": None}, 400, "service_code"),
    ("no subkind", {"attribute[subkind]": None}, 400, "attribute[subkind]"),
    ("subkind of another service", {"attribute[subkind]": "own_ranking"}, 400, "subkind"),
    ("no consent", {"attribute[consent]": None}, 400, "attribute[consent]"),
    ("consent not yes", {"attribute[consent]": "no"}, 400, "attribute[consent]"),
    ("no reason", {"attribute[reason]": None}, 400, "attribute[reason]"),
    ("reason of another subkind", {"attribute[reason]": "well_off"}, 400, "attribute[reason]"),
    ("unknown attribute", {"attribute[nik]": "3201011508800001"}, 400, "attribute"),
    ("no village", {"address_id": None}, 400, "address_id"),
    ("unknown village", {"address_id": "32.01.01.9999"}, 400, "address_id"),
    ("a district, not a village", {"address_id": "32.01.01"}, 400, "address_id"),
    ("no subject", {"attribute[subject_name]": None}, 400, "subject_name"),
    ("subject without address", {"attribute[subject_address]": ""}, 400, "subject_address"),
    ("a long name", {"attribute[subject_name]": "A" * 121}, 400, "subject_name"),
    ("a long description", {"description": "x" * 2001}, 400, "description"),
    ("a bad phone", {"phone": "12345"}, 400, "phone"),
    ("a bad email", {"email": "budi at example"}, 400, "email"),
    ("reporter_confidential", {"attribute[reporter_confidential]": "maybe"}, 400, "yes or no"),
    ("jurisdiction", {"jurisdiction_id": "example.org"}, 404, "jurisdiction_id"),
    ("no key", {"api_key": None}, 403, "api_key"),
    ("a wrong key", {"api_key": "dtsen_" + "A" * 43}, 403, "api_key"),
    ("a key that is no key", {"api_key": "x" * 300}, 403, "api_key"),
    # A correction says what is wrong in the description (the web journey's rule).
    (
        "correction without description",
        {"service_code": "correction", "attribute[subkind]": "member_died", "description": None,
         **HOUSEHOLD},
        400,
        "description",
    ),
    (
        "'another reason' without description",
        {"service_code": "objection", "attribute[subkind]": "ineligible_recipient",
         "attribute[reason]": "other", "description": ""},
        400,
        "description",
    ),
    # Objection (a) and corrections are about the reporter's registry household.
    ("own ranking without household", {**OBJECTION, **dict.fromkeys(HOUSEHOLD)}, 400,
     "household_nik"),
    ("NIK without name", {**OBJECTION, "attribute[household_name]": None}, 400, "both"),
    ("NIK not a NIK", {**OBJECTION, "attribute[household_nik]": "1234"}, 400, "NIK"),
    ("NIK of no household", {**OBJECTION, "attribute[household_nik]": HEAD_NIK[:-1] + "9"}, 400,
     "No registry household"),
    ("name not matching", {**OBJECTION, "attribute[household_name]": "Siti Aminah"}, 400,
     "No registry household"),
    ("household in another village", {**OBJECTION, "address_id": OTHER_VILLAGE}, 400,
     "not in the village"),
]  # fmt: skip


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        events, outbox = (
            db.session.scalar(select(func.count()).select_from(model))
            for model in (TicketEvent, OutboxMessage)
        )
    return events, outbox, fx.ticket_count(app)


def _sent_values(data: dict) -> list[str]:
    """What the request sent that could be personal (every value but codes)."""
    return [v for k, v in data.items() if len(str(v)) >= 8 and k != "address_id"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("case", "changes", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_in_the_error_format_and_creates_nothing(
    app, client, registry, partner, fmt, case, changes, status, words
):
    _, key = partner
    data = fields(key, **changes)
    response = post(client, data, fmt)
    assert response.status_code == status, response.data
    assert response.mimetype == ("application/json" if fmt == "json" else "text/xml")
    errors = parsed(response, fmt)
    if fmt == "json":
        assert valid(schemas.ERRORS, errors)
        assert errors[0]["code"] == status
    else:
        assert response.data.split(b"\n")[1].startswith(b"<errors><error><code>")
        assert errors[0]["code"] == str(status)
    description = errors[0]["description"]
    assert words in description
    for value in [*_sent_values(data), HEAD_NIK, HEAD_NAME]:
        assert value not in description and value.encode() not in response.data
    assert _counts(app) == (0, 0, 0)


def test_a_revoked_key_is_refused(app, client, partner):
    _, key = partner
    assert post(client, fields(key)).status_code == 201
    with app.app_context(), transaction():
        revoke_partner(partner_named("desa-app-jabar"), now=dt.datetime.now(dt.UTC))
    response = post(client, fields(key))
    assert response.status_code == 403
    assert parsed(response, "json") == [
        {"code": 403, "description": "api_key is missing, unknown or revoked."}
    ]
    assert ticket_count(app) == 1


def test_an_open_request_of_the_household_takes_no_second_one(app, client, registry, partner):
    _, key = partner
    assert post(client, fields(key, **OBJECTION)).status_code == 201
    again = post(client, fields(key, **OBJECTION))
    assert again.status_code == 400
    assert "open request" in parsed(again, "json")[0]["description"]
    assert ticket_count(app) == 1


def test_a_malformed_idempotency_key_is_refused(app, client, partner):
    _, key = partner
    response = post(client, fields(key), headers={"Idempotency-Key": "x" * 41})
    assert response.status_code == 400
    assert "Idempotency-Key" in parsed(response, "json")[0]["description"]
    assert ticket_count(app) == 0


def test_a_crash_inside_the_ticket_leaves_nothing(app, client, partner, monkeypatch):
    """The outbox row is the ticket's last write: failing there rolls back
    the ticket and its event too (one transaction)."""
    _, key = partner

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OutboxMessage, "for_ticket", fail)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = post(client, fields(key))
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert parsed(response, "json")[0]["code"] == 500
    assert _counts(app) == (0, 0, 0)
