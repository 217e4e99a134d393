"""Staff login, sessions and per-account limits: SECURITY.md AU1, AU2, AU3, RL4
(lockouts: test_lockout.py)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.staff import totp
from portal.staff.models import StaffSession, StaffUser
from tests.staff.conftest import log_in, make_staff, token

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.fixture
def handler(app):
    return make_staff(app, "handler", office="dinsos-32.01")


def test_password_then_code_logs_in(client, handler, clock):
    page = client.get("/office/login")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    done = log_in(client, handler, clock)
    assert done.status_code == 303 and done.headers["Location"] == "/office/"
    home = client.get("/office/")
    assert home.status_code == 200
    assert handler.email in home.text and "Dinas Sosial" in home.text
    assert home.headers["Cache-Control"] == "no-store"


def test_password_alone_opens_nothing(client, handler, clock):
    client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": handler.email, "password": handler.password},
    )
    assert client.get("/office/").headers["Location"] == "/office/login"


@pytest.mark.parametrize("which", ["unknown email", "wrong password"])
def test_wrong_email_or_password_get_the_same_answer(client, handler, which):
    email = "nobody@example.org" if which == "unknown email" else handler.email
    page = client.post(
        "/office/login", data={"csrf_token": token(client), "email": email, "password": "salah"}
    )
    assert page.status_code == 400
    assert "Alamat email atau kata sandi tidak benar" in page.text
    assert 'href="#' not in page.text or "error-summary" in page.text


def test_a_code_works_once(client, handler, clock, app):
    code = totp.current_code(handler.secret, clock.now)
    assert log_in(client, handler, clock, code=code).status_code == 303
    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    again = log_in(client, handler, clock, code=code)
    assert again.status_code == 400
    assert "sudah dipakai" in again.text


def test_code_step_expires_after_five_minutes(client, handler, clock):
    client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": handler.email, "password": handler.password},
    )
    clock.advance(minutes=5, seconds=1)
    late = client.post(
        "/office/login/code",
        data={"csrf_token": token(client), "code": totp.current_code(handler.secret, clock.now)},
    )
    assert late.status_code == 303 and late.headers["Location"] == "/office/login"


# -- AU2 -----------------------------------------------------------------------------


def test_login_rotates_the_session_and_logout_kills_the_old_cookie(app, client, handler, clock):
    client.get("/office/login")
    before = client.get_cookie("session").value
    log_in(client, handler, clock)
    after = client.get_cookie("session").value
    assert after != before
    assert client.get("/office/").status_code == 200

    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    # replay the cookie the browser had before logging out
    client.set_cookie("session", after)
    replay = client.get("/office/")
    assert replay.status_code == 302 and replay.headers["Location"] == "/office/login"
    with app.app_context():
        rows = db.session.scalars(select(StaffSession)).all()
        assert len(rows) == 1 and rows[0].ended_at is not None


def test_each_login_gets_a_new_server_session(app, client, handler, clock):
    log_in(client, handler, clock)
    first = client.get_cookie("session").value
    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    clock.advance(seconds=30)
    log_in(client, handler, clock)
    assert client.get_cookie("session").value != first
    with app.app_context():
        hashes = db.session.scalars(select(StaffSession.token_hash)).all()
        assert len(set(hashes)) == 2


def test_idle_timeout(client, handler, clock):
    log_in(client, handler, clock)
    clock.advance(minutes=29)
    assert client.get("/office/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    assert client.get("/office/").headers["Location"] == "/office/login"


def test_absolute_timeout(client, handler, clock):
    log_in(client, handler, clock)
    for _ in range(12 * 3):  # busy all day, never idle for long
        clock.advance(minutes=20)
        assert client.get("/office/").status_code == 200
    clock.advance(minutes=1)  # 12 hours and a minute after logging in
    assert client.get("/office/").headers["Location"] == "/office/login"


def test_session_cookie_is_secure_httponly_samesite(app, client, handler, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    client.get("/office/login", base_url="https://localhost")
    first = client.post(
        "/office/login",
        base_url="https://localhost",
        data={
            "csrf_token": token(client),
            "email": handler.email,
            "password": handler.password,
        },
    )
    cookie = first.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(client, handler):
    """AU3."""
    page = client.post("/office/login", data={"email": handler.email, "password": handler.password})
    assert page.status_code == 400
    assert client.get("/office/").headers["Location"] == "/office/login"


# -- RL4: per-account limits -----------------------------------------------------------


def test_staff_requests_count_per_account_not_per_address(app, handler, clock, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_LIMIT_PER_ACCOUNT", "3 per minute")
    other = make_staff(app, "handler", office="dinsos-32.01")
    first, second = app.test_client(), app.test_client()
    log_in(first, handler, clock)
    log_in(second, other, clock)
    for _ in range(3):
        assert first.get("/office/").status_code == 200
    refused = first.get("/office/")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Terlalu banyak" in refused.text
    # the colleague at the same address has their own budget
    assert second.get("/office/").status_code == 200


def test_login_attempts_are_limited_per_account(app, client, handler, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_LOGIN_LIMIT_PER_ACCOUNT", "2 per hour")
    for _ in range(2):
        client.post(
            "/office/login",
            data={"csrf_token": token(client), "email": handler.email, "password": "salah"},
        )
    third = client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": handler.email.upper(), "password": "salah"},
    )
    assert third.status_code == 429
    other = client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": "someone@example.org", "password": "salah"},
    )
    assert other.status_code == 400


# -- races and leftovers ---------------------------------------------------------------


def _after_password(app, account):
    c = app.test_client()
    answer = c.post(
        "/office/login",
        data={"csrf_token": token(c), "email": account.email, "password": account.password},
    )
    assert answer.status_code == 303
    return c, token(c, "/office/login/code")


def test_one_code_sent_twice_at_once_logs_in_once(app, handler, clock):
    pairs = [_after_password(app, handler) for _ in range(2)]
    code = totp.current_code(handler.secret, clock.now)
    barrier, statuses = threading.Barrier(2), []

    def send(pair):
        c, csrf = pair
        barrier.wait()
        statuses.append(
            c.post("/office/login/code", data={"csrf_token": csrf, "code": code}).status_code
        )

    threads = [threading.Thread(target=send, args=(p,)) for p in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 400]
    with app.app_context():
        assert len(db.session.scalars(select(StaffSession)).all()) == 1


def test_demo_accounts_cannot_log_in_outside_development(app, client, clock, monkeypatch):
    demo = make_staff(app, "handler", office="dinsos-32.01")
    with app.app_context():
        db.session.get(StaffUser, demo.id).is_demo = True
        db.session.commit()
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    refused = client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": demo.email, "password": demo.password},
    )
    assert refused.status_code == 400
    monkeypatch.setitem(app.config, "ENV_NAME", "testing")
    assert log_in(client, demo, clock).status_code == 303


@pytest.mark.parametrize("lang", ["id", "en"])
def test_office_pages_have_the_shell(app, client, handler, clock, lang):
    """One h1, skip link first, language switch, no duplicate ids, scripts only as
    enhancements (the checks every public page passes)."""
    from tests.test_templates import _check_shell

    _check_shell(client.get(f"/office/login?lang={lang}").text, lang)
    client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": handler.email, "password": handler.password},
    )
    _check_shell(client.get("/office/login/code").text, lang)
    log_in_page = client.post(
        "/office/login/code",
        data={
            "csrf_token": token(client, "/office/login/code"),
            "code": totp.current_code(handler.secret, clock.now),
        },
    )
    assert log_in_page.status_code == 303
    _check_shell(client.get("/office/").text, lang)
    _check_shell(client.get("/submit/sent").text, lang)  # nothing sent: the "gone" page
