"""Reading with a partner key: the partner's own requests come back in full
(description and contact), everyone else's as the public sees them; a
wrong, revoked or empty key is a 403; every use is counted and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.partners.models import Partner
from portal.web.api.open311.requests_read import contact_fields
from portal.web.api.open311.schemas import REQUESTS
from tests.api.open311_read_support import (
    OWN_FIELDS,
    REQUEST_FIELDS,
    children,
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    error_of,
    make_partner,
    make_ticket,
    valid,
    xml_root,
)
from tests.tickets import NOW

DETAILS = "Ibu Sri sakit keras sejak Mei, suami tidak bekerja."
CONTACT = "Sri Wahyuni <sri.w@example.org>; 0812-3456-7890"


@pytest.fixture
def setup(app, keyring, db_clean):
    mine, key = make_partner(app, "desa-app")
    theirs, their_key = make_partner(app, "lapor-app")
    own = make_ticket(
        app, keyring, at=NOW, partner_id=mine, details=DETAILS, reporter_contact=CONTACT
    )
    other = make_ticket(app, keyring, at=NOW, partner_id=theirs, details="Lain")
    public = make_ticket(app, keyring, at=NOW, details="Dari web")
    return {
        "mine": mine,
        "key": key,
        "their_key": their_key,
        "own": own,
        "other": other,
        "public": public,
    }


def audited(app, detail: str) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.kind == "partner_api_use", AuditEntry.detail == detail
                )
            ).all()
        )


def test_own_requests_in_full_the_others_public(app, client, setup):
    answer = client.get(f"/open311/v2/requests.json?api_key={setup['key']}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-store"
    body = answer.get_json()
    valid(REQUESTS, body)
    by_ref = {r["service_request_id"]: r for r in body}
    own = by_ref[setup["own"]]
    assert own["description"] == DETAILS
    assert (own["email"], own["phone"]) == ("sri.w@example.org", "081234567890")
    assert set(own) == REQUEST_FIELDS | OWN_FIELDS
    for ref in (setup["other"], setup["public"]):
        assert set(by_ref[ref]) == REQUEST_FIELDS, ref
    assert audited(app, f"partner:{setup['mine']}:get_requests") == 1
    with app.app_context():
        assert db.session.get(Partner, setup["mine"]).last_used_at is not None


def test_own_requests_xml(client, setup):
    root = xml_root(client.get(f"/open311/v2/requests.xml?api_key={setup['key']}"))
    assert root.tag == "service_requests"
    items = {r.findtext("service_request_id"): r for r in root}
    assert set(children(items[setup["own"]])) == REQUEST_FIELDS | OWN_FIELDS
    assert items[setup["own"]].findtext("description") == DETAILS
    assert set(children(items[setup["public"]])) == REQUEST_FIELDS


def test_another_partners_key_sees_only_the_public_shape(client, setup):
    body = client.get(f"/open311/v2/requests.json?api_key={setup['their_key']}").get_json()
    by_ref = {r["service_request_id"]: r for r in body}
    assert set(by_ref[setup["own"]]) == REQUEST_FIELDS
    assert by_ref[setup["other"]]["description"] == "Lain"
    assert (
        DETAILS.encode()
        not in client.get(f"/open311/v2/requests.xml?api_key={setup['their_key']}").data
    )


def test_one_request_with_the_key(app, client, setup):
    own = client.get(f"/open311/v2/requests/{setup['own']}.json?api_key={setup['key']}")
    assert own.get_json()[0]["description"] == DETAILS
    assert own.headers["Cache-Control"] == "private, no-store"
    other = client.get(f"/open311/v2/requests/{setup['public']}.json?api_key={setup['key']}")
    assert "description" not in other.get_json()[0]
    public = client.get(f"/open311/v2/requests/{setup['own']}.json")
    assert set(public.get_json()[0]) == REQUEST_FIELDS
    assert audited(app, f"partner:{setup['mine']}:get_request") == 2


def test_a_miss_with_a_key_is_still_audited(app, client, setup):
    answer = client.get(f"/open311/v2/requests/DT-2222-2222.json?api_key={setup['key']}")
    error_of(answer, 404)
    assert audited(app, f"partner:{setup['mine']}:get_request") == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", ["/open311/v2/requests", "/open311/v2/requests/{own}"])
@pytest.mark.parametrize("which", ["wrong", "revoked", "empty", "not_a_key"])
def test_refused_key_is_403(app, client, setup, fmt, path, which):
    _, revoked = make_partner(app, "old-app", revoked=True)
    key = {
        "wrong": "dtsen_" + "A" * 43,
        "revoked": revoked,
        "empty": "",
        "not_a_key": setup["key"][6:],
    }[which]
    answer = client.get(f"{path.format(own=setup['own'])}.{fmt}?api_key={key}")
    assert "api_key" in error_of(answer, 403, fmt)
    assert DETAILS.encode() not in answer.data
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry)).all()


def test_the_keys_budget_is_a_429(app, client, setup, monkeypatch):
    monkeypatch.setitem(app.config, "PARTNER_LIMIT_PER_KEY", "2 per hour")
    for _ in range(2):
        assert client.get(f"/open311/v2/requests.json?api_key={setup['key']}").status_code == 200
    answer = client.get(f"/open311/v2/requests.xml?api_key={setup['key']}")
    error_of(answer, 429, "xml")
    assert "Retry-After" in answer.headers
    # Another partner's budget is its own; reading without a key is not limited by it.
    assert client.get(f"/open311/v2/requests.json?api_key={setup['their_key']}").status_code == 200
    assert client.get("/open311/v2/requests.json").status_code == 200


@pytest.mark.parametrize(
    ("contact", "email", "phone"),
    [
        ("0812 3456 7890", None, "081234567890"),
        ("budi@example.org", "budi@example.org", None),
        (
            "Budi Santoso <budi@example.org>, +62 812-3456-7890",
            "budi@example.org",
            "+6281234567890",
        ),
        ("Budi Santoso", None, None),
    ],
)
def test_contact_fields(contact, email, phone):
    assert contact_fields(contact) == {
        "email": email,
        "phone": phone,
        "first_name": None,
        "last_name": None,
    }
