"""Staff administration (issue 12 §7): the list, creating accounts, the
actions on one, each an audit row; a double click does one change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.staff.models import StaffInvitation, StaffUser
from tests.factories import VILLAGE
from tests.staff.admin_helpers import (
    account,
    act,
    audit,
    create,
    csrf,
    enrol,
    field,
    link_token,
    manager,
    office_id,
)
from tests.staff.conftest import log_in, make_staff, token
from tests.staff.test_lockout import cheap_argon2  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.usefixtures("db_clean")
JAKARTA_TIME = dt.timedelta(hours=7)


def test_the_list_shows_role_office_status_and_last_login(app, clock):
    client, _ = manager(app, clock)
    seen = make_staff(app, "handler", office="dinsos-32.01")
    never = make_staff(app, "handler", office="dinsos-32.01")
    clock.advance(minutes=5)
    assert log_in(app.test_client(), seen, clock).status_code == 303
    page = client.get("/office/admin?lang=en&role=handler").text
    rows = {r.split("</tr>")[0] for r in page.split("<tr>")[1:]}
    row_seen = next(r for r in rows if seen.email in r)
    row_never = next(r for r in rows if never.email in r)
    local = clock.now + JAKARTA_TIME
    assert f"{local:%-I:%M:%S}" in row_seen and "WIB" in row_seen
    assert "Never" in row_never and "Never" not in row_seen
    assert "Case handler (Dinas Sosial)" in row_seen and "Kabupaten Bogor" in row_seen
    assert "Active" in row_seen


def test_filters(app, clock):
    client, _ = manager(app, clock)
    handler = make_staff(app, "handler", office="dinsos-32.01")
    operator = make_staff(app, "operator", village=VILLAGE)
    page = client.get("/office/admin?role=operator").text
    assert operator.email in page and handler.email not in page
    page = client.get(f"/office/admin?q={handler.email[:9].upper()}").text
    assert handler.email in page and operator.email not in page
    page = client.get(f"/office/admin?office={office_id(app, 'dinsos-32.01')}").text
    assert handler.email in page and operator.email not in page
    act(client, operator.id, "deactivate")
    page = client.get("/office/admin?active=0").text
    assert operator.email in page and handler.email not in page
    page = client.get("/office/admin?active=1").text
    assert handler.email in page and operator.email not in page


def test_create_a_handler_audits_and_shows_the_link_once(app, clock):
    client, admin = manager(app, clock)
    answer = create(
        client,
        email="Budi@Dinsos.example.go.id",
        name="Budi",
        role="handler",
        office=str(office_id(app, "dinsos-32.01")),
    )
    assert answer.status_code == 200
    user = account(app, "budi@dinsos.example.go.id")
    assert user.active and user.totp_secret_enc is None and user.role == "handler"
    assert audit(app, user.id) == [
        ("account_changed", admin.id, "created:handler"),
        ("account_changed", admin.id, "invited"),
    ]
    link = link_token(answer)
    assert link not in client.get(f"/office/admin/{user.id}").text


def test_a_double_click_on_create_makes_one_account_and_the_same_link(app, clock):
    client, _ = manager(app, clock)
    page = client.get("/office/admin/new").text
    data = {"csrf_token": csrf(page), "key": field(page, "key"), "email": "dua@example.go.id"}
    data.update(name="Dua Kali", role="operator", village=VILLAGE)
    first = client.post("/office/admin/new", data=data)
    second = client.post("/office/admin/new", data=data)
    assert first.status_code == second.status_code == 200
    assert link_token(first) == link_token(second)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffInvitation)) == 1


BASE = {"email": "a@example.go.id", "name": "X"}
FO = {**BASE, "role": "field_officer"}


@pytest.mark.parametrize(
    ("data", "field_id"),
    [
        ({"email": "", "name": "X", "role": "handler"}, "email"),
        ({"email": "tanpa-at", "name": "X", "role": "handler"}, "email"),
        ({**BASE, "role": "handler"}, "office"),
        ({**BASE, "role": "operator"}, "village"),
        ({**BASE, "role": "operator", "village": "32.01"}, "village"),
        ({**FO, "office": "dinsos-32.01"}, "districts"),
        ({**FO, "office": "dinsos-32.01", "districts": "32.73.01"}, "districts"),
        ({**FO, "office": "prov-32", "districts": "32.01.01"}, "office"),
    ],
)
def test_form_errors_link_to_their_field_and_keep_what_was_typed(app, clock, data, field_id):
    client, _ = manager(app, clock)
    if "office" in data:
        data = {**data, "office": str(office_id(app, data["office"]))}
    answer = create(client, **data)
    assert answer.status_code == 400
    assert f'href="#{field_id}"' in answer.text and "error-summary" in answer.text
    if data["email"]:
        assert f'value="{data["email"]}"' in answer.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffInvitation)) == 0


def test_every_action_is_an_audit_row(app, clock):
    client, admin = manager(app, clock)
    target = make_staff(app, "handler", office="dinsos-32.01")
    assert act(client, target.id, "deactivate").status_code == 303
    assert act(client, target.id, "reactivate").status_code == 303
    assert act(client, target.id, "unlock").status_code == 303
    answer = act(client, target.id, "reset-totp")
    assert answer.status_code == 200 and link_token(answer)
    page = client.get(f"/office/admin/{target.id}/change").text
    data = {"csrf_token": csrf(page), "seen": field(page, "seen"), "role": "supervisor"}
    data["office"] = str(office_id(app, "dinsos-32.73"))
    assert client.post(f"/office/admin/{target.id}/change", data=data).status_code == 303
    rows = [r for r in audit(app, target.id) if r[1] == admin.id]
    assert rows == [
        ("account_changed", admin.id, "deactivated"),
        ("account_changed", admin.id, "reactivated"),
        ("account_changed", admin.id, "unlocked"),
        ("account_changed", admin.id, "totp_reset"),
        ("account_changed", admin.id, "role:supervisor"),
        ("account_changed", admin.id, "office"),
    ]
    user = account(app, target.email)
    assert user.role == "supervisor" and user.office_id == office_id(app, "dinsos-32.73")


def test_a_double_click_does_one_change(app, clock):
    client, admin = manager(app, clock)
    target = make_staff(app, "handler", office="dinsos-32.01")
    seen = field(client.get(f"/office/admin/{target.id}").text, "seen")
    for _ in range(2):
        assert act(client, target.id, "deactivate", seen=seen).status_code == 303
    first = act(client, target.id, "reset-totp")
    seen = field(client.get(f"/office/admin/{target.id}").text, "seen")
    second = act(client, target.id, "reset-totp", seen=seen)
    third = act(client, target.id, "reset-totp", seen=seen)
    assert link_token(second) == link_token(third) != link_token(first)
    details = [r[2] for r in audit(app, target.id) if r[1] == admin.id]
    assert details == ["deactivated", "totp_reset", "totp_reset"]


def test_deactivation_ends_the_persons_sessions(app, clock):
    client, _ = manager(app, clock)
    target = make_staff(app, "handler", office="dinsos-32.01")
    theirs = app.test_client()
    assert log_in(theirs, target, clock).status_code == 303
    assert theirs.get("/office/").status_code == 200
    act(client, target.id, "deactivate")
    answer = theirs.get("/office/")  # the old cookie, replayed
    assert answer.status_code == 302 and answer.headers["Location"] == "/office/login"
    act(client, target.id, "reactivate")
    assert theirs.get("/office/").status_code == 302  # the session stays ended


def test_sessions_end_at_deactivation_not_at_the_next_request(app, clock):
    client, _ = manager(app, clock)
    target = make_staff(app, "handler", office="dinsos-32.01")
    theirs = app.test_client()
    assert log_in(theirs, target, clock).status_code == 303
    act(client, target.id, "deactivate")
    act(client, target.id, "reactivate")  # no request of theirs in between
    answer = theirs.get("/office/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/office/login"


def test_reset_totp_clears_the_app_and_codes_and_a_new_link_sets_them(app, clock):
    client, _ = manager(app, clock)
    answer = create(
        client, email="rina@example.go.id", name="Rina", role="operator", village=VILLAGE
    )
    person = app.test_client()
    old_secret, _, _ = enrol(person, link_token(answer), clock)
    user = account(app, "rina@example.go.id")
    reset = act(client, user.id, "reset-totp")
    after = account(app, "rina@example.go.id")
    assert after.totp_secret_enc is None and after.password_hash != user.password_hash
    with app.app_context():
        from portal.staff import recovery

        assert recovery.remaining(user.id) == 0
    clock.advance(minutes=1)
    new_secret, codes, _ = enrol(app.test_client(), link_token(reset), clock)
    assert new_secret != old_secret and len(codes) == 10


def test_unlock_lifts_the_lock(app, clock):
    client, _ = manager(app, clock)
    target = make_staff(app, "handler", office="dinsos-32.01")
    theirs = app.test_client()
    for _ in range(5):
        data = {"csrf_token": token(theirs), "email": target.email, "password": "salah salah"}
        theirs.post("/office/login", data=data)
    assert "badge-overdue" in client.get("/office/admin?role=handler").text
    # locked: the password step answers 429
    data = {"csrf_token": token(theirs), "email": target.email, "password": target.password}
    assert theirs.post("/office/login", data=data).status_code == 429
    act(client, target.id, "unlock")
    assert log_in(theirs, target, clock).status_code == 303


def test_no_one_acts_on_their_own_account(app, clock):
    client, admin = manager(app, clock)
    make_staff(app, "admin", office="national")
    answer = act(client, admin.id, "deactivate", seen="x")
    assert answer.status_code == 303
    assert account(app, admin.email).active
    data = {"csrf_token": token(client, "/office/admin/new"), "role": "handler"}
    data["office"] = str(office_id(app, "national"))
    client.post(f"/office/admin/{admin.id}/change", data=data)
    assert account(app, admin.email).role == "admin"


def test_the_last_active_admin_stays(app, app_ctx, clock):
    from portal.staff import admin_actions as staff_admin

    first = make_staff(app, "admin", office="national")
    second = make_staff(app, "admin", office="national")
    actor = db.session.get(StaffUser, first.id)
    target = db.session.get(StaffUser, second.id)
    actor.active = False  # the actor's own account was deactivated meanwhile
    db.session.flush()
    with pytest.raises(staff_admin.AdminRefused) as refused:
        staff_admin.deactivate(actor, target, clock.now)
    assert refused.value.code == "last_admin"
    db.session.rollback()


def test_the_account_page_tells_its_history_in_words(app, clock):
    client, _ = manager(app, clock)
    target = make_staff(app, "handler", office="dinsos-32.01")
    act(client, target.id, "deactivate")
    page = client.get(f"/office/admin/{target.id}?lang=en").text
    assert "Created as Case handler (Dinas Sosial)" in page and "<td>Deactivated</td>" in page


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a@example.go.id", "name": "X", "role": "raja", "office": "1"},
        {"email": "a@example.go.id", "name": "X", "role": "handler", "office": "abc"},
        {"email": "a@example.go.id", "name": "X", "role": "handler", "office": "99999999"},
        {"email": "a@example.go.id", "name": "X", "role": "operator", "village": "9" * 500},
        {"email": "a@example.go.id", "name": "X\x00", "role": "field_officer", "districts": ",,,"},
    ],
)
def test_odd_input_is_a_form_error_never_a_crash(app, clock, data):
    client, _ = manager(app, clock)
    assert create(client, **data).status_code == 400
    assert app.test_client().get("/office/invite/" + "x" * 300).status_code == 404
