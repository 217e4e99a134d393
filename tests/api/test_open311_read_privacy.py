"""SECURITY.md PD5 for the Open311 reads: a NIK, a name, an address, a phone
number and an email address put in every free field of a request (and the
household's NIK and name in the registry) appear in no public answer of
any read endpoint, in either format or language, nor in another partner's
keyed answer; only the partner that sent the request gets them back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.registry.importer import import_snapshot
from portal.registry.models import Household
from tests.api.open311_read_support import (
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    make_partner,
    make_ticket,
    new_token,
)
from tests.factories import household, write_csv
from tests.tickets import NOW

NIK = "3201014508800007"
NAME = "Siti Rahmawati"
PHONE = "081298765432"
EMAIL = "siti.rahma@example.org"
STREET = "Jl. Kenanga No. 17"
EVERYTHING = f"{NAME}, NIK {NIK}, {STREET}, HP {PHONE}, {EMAIL}"
#: The registry household's head: the NIK and name a POST would name it by.
REGISTRY_NIK_NAME = ("3201011508800001", "Budi Santoso")
SECRETS = (NIK, NAME, PHONE, "0812-9876-5432", EMAIL, STREET, *REGISTRY_NIK_NAME)


@pytest.fixture
def tickets(app, keyring, tmp_path, db_clean):
    rows = household("3201011503100001", 1)
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
        household_id = db.session.scalar(select(Household.id))
    mine, key = make_partner(app, "desa-app")
    _, other_key = make_partner(app, "lapor-app")
    token = new_token()
    sent = {
        "subject_name": EVERYTHING,
        "subject_address": EVERYTHING,
        "details": EVERYTHING,
        "reporter_contact": f"{NAME} <{EMAIL}>; 0812-9876-5432",
    }
    refs = [
        make_ticket(app, keyring, at=NOW, partner_id=mine, partner_token=token, **sent),
        make_ticket(app, keyring, at=NOW, **sent),
        make_ticket(
            app,
            keyring,
            at=NOW,
            partner_id=mine,
            household_id=household_id,
            subject_name=None,
            subject_address=None,
            details=EVERYTHING,
        ),
    ]
    return {"refs": refs, "token": token, "key": key, "other_key": other_key}


def public_paths(refs: list[str], token: str) -> list[str]:
    paths = [
        "/open311/discovery",
        "/open311/v2/services",
        "/open311/v2/services/proposal",
        "/open311/v2/services/objection",
        "/open311/v2/services/correction",
        "/open311/v2/requests",
        f"/open311/v2/tokens/{token}",
    ]
    return paths + [f"/open311/v2/requests/{ref}" for ref in refs]


def test_no_personal_data_in_any_public_answer(client, tickets):
    seen = 0
    for path in public_paths(tickets["refs"], tickets["token"]):
        for fmt in ("json", "xml"):
            for query in ("", "?lang=en", "?status=open&service_code=proposal"):
                answer = client.get(f"{path}.{fmt}{query}")
                assert answer.status_code == 200, path
                text = answer.get_data(as_text=True)
                for secret in SECRETS:
                    assert secret not in text, (path, fmt, secret)
                seen += 1
    assert seen == 10 * 2 * 3
    # The requests are there, in their public shape.
    listed = client.get("/open311/v2/requests.json").get_data(as_text=True)
    assert all(ref in listed for ref in tickets["refs"])


def test_another_partners_key_gets_no_personal_data(client, tickets):
    for path in ("/open311/v2/requests", *(f"/open311/v2/requests/{r}" for r in tickets["refs"])):
        for fmt in ("json", "xml"):
            text = client.get(f"{path}.{fmt}?api_key={tickets['other_key']}").get_data(as_text=True)
            for secret in SECRETS:
                assert secret not in text, (path, fmt, secret)


def test_only_the_sending_partner_reads_its_request_back(client, tickets):
    body = client.get(f"/open311/v2/requests.json?api_key={tickets['key']}").get_json()
    own, other, registry = (
        next(r for r in body if r["service_request_id"] == ref) for ref in tickets["refs"]
    )
    assert own["description"] == EVERYTHING
    assert own["email"] == EMAIL and own["phone"] == "081298765432"
    assert "description" not in other and "email" not in other
    # The subject's name and address are never part of an answer, even one's own.
    text = client.get(f"/open311/v2/requests.json?api_key={tickets['key']}").get_data(as_text=True)
    assert text.count(NIK) == 2  # in the two descriptions only
    assert registry["description"] == EVERYTHING
    for secret in REGISTRY_NIK_NAME:
        assert secret not in text
