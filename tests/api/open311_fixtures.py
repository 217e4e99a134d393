"""Shared by the Open311 POST tests and the personal-data test: a registry
household, a partner and its key, and the POST itself."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.partners.manage import create_partner
from portal.tickets.models import Ticket
from tests.factories import VILLAGE, household, nik
from tests.web.conftest import clean_limits, registry  # noqa: F401 - fixtures

#: The registry household of ``registry``: its head, as the KTP says.
HEAD_NIK = nik(VILLAGE[:8], 15, 8, 80, 1)
HEAD_NAME = "Budi Santoso"
#: Tuesday 17 March 2026, 10:00 WIB: 18-24 March have no working day (Nyepi,
#: Idulfitri, cuti bersama, a weekend; tests/office/queue_fixtures.py).
NOW = dt.datetime(2026, 3, 17, 3, 0, tzinfo=dt.UTC)


def make_partner(app, name: str = "desa-app-jabar") -> tuple[int, str]:
    with app.app_context(), transaction():
        partner, key = create_partner(name, now=NOW)
        return partner.id, key


@pytest.fixture
def partner(app, db_clean):
    return make_partner(app)


@pytest.fixture
def frozen(monkeypatch):
    from portal.web.api.open311 import write

    monkeypatch.setattr(write, "now", lambda: NOW)
    return NOW


def fields(key: str, **over) -> dict:
    """A valid proposal for a household outside the registry in ``VILLAGE``."""
    data = {
        "api_key": key,
        "service_code": "proposal",
        "address_id": VILLAGE,
        "description": "Rumah bocor dan penghasilan tidak tetap.",
        "phone": "0812 3456 7890",
        "attribute[subkind]": "other_household",
        "attribute[reason]": "poor_house",
        "attribute[subject_name]": "Ahmad Fauzi",
        "attribute[subject_address]": "Jl. Mawar No. 5, RT 002/RW 001",
        "attribute[consent]": "yes",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data: dict, fmt: str = "json", headers=None, query: str = ""):
    return client.post(f"/open311/v2/requests.{fmt}{query}", data=data, headers=headers or {})


def parsed(response, fmt: str):
    """The answer as JSON-like data: XML lists of ``<request>`` or ``<error>``
    elements become lists of dicts of their children's text."""
    if fmt == "json":
        return json.loads(response.data)
    root = ET.fromstring(response.data)
    return [{child.tag: child.text for child in item} for item in root]


def valid(schema, payload) -> bool:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return not list(validator.iter_errors(payload))


def ticket_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


__all__ = ["household"]
