"""``/office/admin/partners``: an admin lists, creates (the key shown once,
never again, not cached) and revokes (after a confirmation) partner keys;
CSRF on every POST; each change an audit row with the admin's id; the
page in Indonesian first. Who may open it: tests/office/test_route_permissions.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.partners.models import Partner
from tests.api.open311_fixtures import fields, post, ticket_count
from tests.staff.conftest import clock, log_in, make_staff, token  # noqa: F401 - fixture
from tests.web.conftest import clean_limits  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean")
KEY = re.compile(r"dtsen_[A-Za-z0-9_-]{43}")


@pytest.fixture
def admin(app, client, clock):  # noqa: F811 - the clock fixture
    account = make_staff(app, "admin", office="national")
    log_in(client, account, clock)
    client.get("/office/admin/partners?lang=en")  # English from here on (a cookie)
    return account


def _create(client, name: str):
    csrf = token(client, "/office/admin/partners/new")
    return client.post("/office/admin/partners/new", data={"csrf_token": csrf, "name": name})


def _audit(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.kind, AuditEntry.staff_id, AuditEntry.detail)
            .where(AuditEntry.kind.in_(("partner_created", "partner_revoked")))
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]


def _partner_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Partner.id).where(Partner.name == name))


def test_the_menu_and_the_empty_list(client, admin):
    page = client.get("/office/admin/partners")
    assert page.status_code == 200
    assert 'href="/office/admin/partners"' in page.text  # the menu entry
    assert "No partner has a key yet." in page.text


def test_create_shows_the_key_once_and_never_again(app, client, admin):
    answer = _create(client, "Desa-App-Jabar")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    [key] = KEY.findall(answer.text)
    assert "This is the only time the key is shown" in answer.text
    partner_id = _partner_id(app, "desa-app-jabar")  # names are lowercase
    assert _audit(app) == [("partner_created", admin.id, f"partner:{partner_id}")]
    listing = client.get("/office/admin/partners")
    assert key not in listing.text and key[:12] + "…" in listing.text
    assert "desa-app-jabar" in listing.text and "Never" in listing.text
    for path in ("/office/admin/partners/new", f"/office/admin/partners/{partner_id}/revoke"):
        assert key not in client.get(path).text
    assert post(app.test_client(), fields(key)).status_code == 201  # the key works


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name for the partner system"),
        ("desa app", "Use only lowercase letters, digits"),
        ("a" * 65, "at most 64 characters"),
    ],
)
def test_a_bad_name_gets_the_error_summary(app, client, admin, name, message):
    answer = _create(client, name)
    assert answer.status_code == 400
    assert "<title>Error:" in answer.text and "There is a problem" in answer.text
    assert '<a href="#name">' in answer.text and message in answer.text
    assert not KEY.search(answer.text) and _audit(app) == []


def test_a_taken_name_is_said_on_its_field(app, client, admin):
    _create(client, "desa-app-jabar")
    answer = _create(client, "desa-app-jabar")
    assert answer.status_code == 400
    assert "A partner with this name exists already" in answer.text
    assert not KEY.search(answer.text)
    assert len(_audit(app)) == 1


def test_revoke_asks_first_then_the_key_stops_working(app, client, admin):
    [key] = KEY.findall(_create(client, "desa-app-jabar").text)
    partner_id = _partner_id(app, "desa-app-jabar")
    path = f"/office/admin/partners/{partner_id}/revoke"
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "Revoke the key of desa-app-jabar?" in confirm.text
    assert "Cancel: keep the key" in confirm.text
    assert post(app.test_client(), fields(key)).status_code == 201  # not revoked by a GET
    assert client.post(path, data={}).status_code == 400  # no CSRF token: refused
    done = client.post(path, data={"csrf_token": token(client, path)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/office/admin/partners")
    listing = client.get("/office/admin/partners")
    assert "The key of desa-app-jabar is revoked." in listing.text and "Revoked" in listing.text
    assert post(app.test_client(), fields(key)).status_code == 403
    assert ticket_count(app) == 1
    # A second click changes nothing and writes nothing.
    again = client.post(path, data={"csrf_token": token(client, "/office/admin/partners/new")})
    assert again.status_code == 303
    assert [kind for kind, *_ in _audit(app)] == [
        "partner_created",
        "partner_revoked",
    ]
    assert _audit(app)[1] == ("partner_revoked", admin.id, f"partner:{partner_id}")


def test_no_such_partner(client, admin):
    assert client.get("/office/admin/partners/999999/revoke").status_code == 404


def test_create_needs_csrf(app, client, admin):
    answer = client.post("/office/admin/partners/new", data={"name": "desa-app-jabar"})
    assert answer.status_code == 400 and _partner_id(app, "desa-app-jabar") is None


def test_indonesian_first(app, clock):  # noqa: F811 - the clock fixture
    client = app.test_client()
    log_in(client, make_staff(app, "admin", office="national"), clock)
    page = client.get("/office/admin/partners")
    assert "Kunci API mitra" in page.text and "Partner API keys" not in page.text
