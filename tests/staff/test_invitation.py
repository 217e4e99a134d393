"""Invitation links (issue 12 §7, SECURITY.md AU1): a new account sets its
own password and authenticator through a link that works once, for 72
hours; then it logs in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.db import stored_utc, transaction
from portal.extensions import db
from portal.staff import totp
from portal.staff.models import RecoveryCode, StaffInvitation, StaffUser
from tests.staff.admin_helpers import (
    PASSWORD,
    account,
    create,
    csrf,
    enrol,
    link_token,
    manager,
    office_id,
)
from tests.staff.conftest import Account, log_in
from tests.staff.conftest import token as token_of

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.fixture
def invited(app, clock):
    """(the admin's client, the new handler's email, the link's token)."""
    client, _ = manager(app, clock)
    email = "siti.rahma@dinsos.example.go.id"
    answer = create(
        client,
        email=email,
        name="Siti Rahma",
        role="handler",
        office=str(office_id(app, "dinsos-32.01")),
    )
    assert answer.status_code == 200, answer.text
    return client, email, link_token(answer)


def test_the_link_sets_password_and_app_then_the_person_logs_in(app, clock, invited):
    _, email, token = invited
    user = account(app, email)
    assert user.totp_secret_enc is None and user.last_login_at is None
    person = app.test_client()
    secret, codes, done = enrol(person, token, clock)
    assert done.status_code == 200
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        stored = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.staff_id == user.id)
        ).all()
        assert len(stored) == 10
        assert not any(c.replace("-", "").encode() in bytes(h) for c in codes for h in stored)
    clock.advance(seconds=60)  # the enrolment's code cannot log in again
    answer = log_in(person, Account(user.id, email, PASSWORD, secret), clock)
    assert answer.status_code == 303 and answer.headers["Location"] == "/office/"
    assert account(app, email).last_login_at is not None


def test_only_the_tokens_hash_is_stored(app, invited):
    import hashlib

    _, _email, token = invited
    with app.app_context():
        row = db.session.scalar(select(StaffInvitation))
        assert bytes(row.token_hash) == hashlib.sha256(token.encode()).digest()
        assert len(token) >= 22  # 16 random bytes in base64


def test_an_expired_link_does_nothing(app, clock, invited):
    _, email, token = invited
    clock.advance(hours=72, seconds=1)
    person = app.test_client()
    page = person.get(f"/office/invite/{token}")
    assert page.status_code == 410
    answer = person.post(
        f"/office/invite/{token}",
        data={"csrf_token": token_of(person), "password": PASSWORD, "confirm": PASSWORD},
    )
    assert answer.status_code == 410
    assert account(app, email).totp_secret_enc is None


def test_a_link_works_until_72_hours(app, clock, invited):
    _, email, token = invited
    clock.advance(hours=71, minutes=59)
    enrol(app.test_client(), token, clock)
    assert account(app, email).totp_secret_enc is not None


def test_a_used_link_is_refused(app, clock, invited):
    _, email, token = invited
    enrol(app.test_client(), token, clock)
    before = account(app, email)
    other = app.test_client()
    page = other.get(f"/office/invite/{token}")
    assert page.status_code == 410
    assert other.get(f"/office/invite/{token}/app").status_code == 410
    after = account(app, email)
    assert after.password_hash == before.password_hash
    assert after.totp_secret_enc == before.totp_secret_enc


def test_a_wrong_token_gets_a_clear_page(app):
    page = app.test_client().get("/office/invite/AAAAAAAAAAAAAAAAAAAAAA")
    assert page.status_code == 404
    assert 'action="' not in page.text  # no form to fill in


def test_a_double_submit_of_the_last_step_shows_the_same_codes(app, clock, invited):
    _, _email, token = invited
    person = app.test_client()
    page = person.get(f"/office/invite/{token}")
    person.post(
        f"/office/invite/{token}",
        data={"csrf_token": csrf(page.text), "password": PASSWORD, "confirm": PASSWORD},
    )
    page = person.get(f"/office/invite/{token}/app")
    from tests.staff.admin_helpers import CODES, SECRET

    secret = SECRET.search(page.text).group(1).replace(" ", "")
    data = {"csrf_token": csrf(page.text), "code": totp.current_code(secret, clock.now)}
    first = person.post(f"/office/invite/{token}/app", data=data)
    second = person.post(f"/office/invite/{token}/app", data=data)
    assert first.status_code == second.status_code == 200
    assert CODES.findall(first.text) == CODES.findall(second.text) != []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10


def test_a_weak_password_is_refused_with_a_message(app, clock, invited):
    _, _email, token = invited
    person = app.test_client()
    page = person.get(f"/office/invite/{token}")
    answer = person.post(
        f"/office/invite/{token}",
        data={"csrf_token": csrf(page.text), "password": "password1234", "confirm": "password1234"},
    )
    assert answer.status_code == 400
    assert "error-summary" in answer.text and 'href="#password"' in answer.text
    assert person.get(f"/office/invite/{token}/app").status_code == 303


def test_a_wrong_code_enrols_nothing(app, clock, invited):
    _, email, token = invited
    person = app.test_client()
    page = person.get(f"/office/invite/{token}")
    person.post(
        f"/office/invite/{token}",
        data={"csrf_token": csrf(page.text), "password": PASSWORD, "confirm": PASSWORD},
    )
    page = person.get(f"/office/invite/{token}/app")
    answer = person.post(
        f"/office/invite/{token}/app", data={"csrf_token": csrf(page.text), "code": "000000"}
    )
    assert answer.status_code == 400 and 'href="#code"' in answer.text
    assert account(app, email).totp_secret_enc is None


def test_a_new_link_ends_the_earlier_one(app, clock, invited):
    from tests.staff.admin_helpers import act

    client, email, first = invited
    second = link_token(act(client, account(app, email).id, "reset-totp"))
    person = app.test_client()
    assert person.get(f"/office/invite/{first}").status_code == 410
    assert person.get(f"/office/invite/{second}").status_code == 200


def test_the_hours_come_from_the_config(app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_INVITATION_HOURS", 1)
    client, _ = manager(app, clock)
    answer = create(
        client,
        email="satu.jam@example.go.id",
        name="Satu Jam",
        role="handler",
        office=str(office_id(app, "dinsos-32.01")),
    )
    token = link_token(answer)
    clock.advance(minutes=59)
    assert app.test_client().get(f"/office/invite/{token}").status_code == 200
    clock.advance(minutes=1)
    assert app.test_client().get(f"/office/invite/{token}").status_code == 410


def test_the_steps_are_audit_rows(app, clock, invited):
    from tests.staff.admin_helpers import audit

    _, email, token = invited
    enrol(app.test_client(), token, clock)
    user = account(app, email)
    assert [(k, d) for k, _, d in audit(app, user.id)][2:] == [
        ("account_changed", "password_set"),
        ("account_changed", "totp_enrolled"),
        ("account_changed", "invitation_used"),
    ]


def _expired_page(app, answer) -> bool:
    """The page of an expired link (410, its words in Indonesian)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("id"):
        words = gettext("This invitation link has expired: a link works for 72 hours.")
    return answer.status_code == 410 and words in answer.text


def test_an_inactive_accounts_link_is_refused_as_an_expired_one(app, clock, invited):
    _, email, token = invited
    with app.app_context(), transaction():  # deactivated other than by the admin pages
        db.session.scalar(select(StaffUser).where(StaffUser.email == email)).active = False
    person = app.test_client()
    assert _expired_page(app, person.get(f"/office/invite/{token}"))
    answer = person.post(
        f"/office/invite/{token}",
        data={"csrf_token": token_of(person), "password": PASSWORD, "confirm": PASSWORD},
    )
    assert answer.status_code == 410
    assert person.get(f"/office/invite/{token}/app").status_code == 410
    user = account(app, email)
    assert user.totp_secret_enc is None and not user.active


def test_deactivation_ends_the_unused_link(app, clock, invited):
    from tests.staff.admin_helpers import act

    client, email, token = invited
    user = account(app, email)
    clock.advance(minutes=5)
    assert act(client, user.id, "deactivate").status_code == 303
    with app.app_context():
        (row,) = db.session.scalars(select(StaffInvitation)).all()
        assert row.used_at is None
        assert stored_utc(row.expires_at) == stored_utc(clock.now)
    # Reactivated, the old link stays over: a new one comes from a TOTP reset.
    assert act(client, user.id, "reactivate").status_code == 303
    assert _expired_page(app, app.test_client().get(f"/office/invite/{token}"))
