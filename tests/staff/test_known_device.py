"""A stranger cannot keep the owner out (SECURITY.md AU7): past the whole
account's lock (50 failures from anywhere, 30 minutes), a browser the owner
logged in with before still logs in; others are refused with the wait. The
known device has its own count with growing delays (5 → 1 minute), so a
stolen cookie is no unlimited oracle."""

from __future__ import annotations

import pytest

from portal.staff import totp
from portal.staff.login import DEVICE_COOKIE
from tests.staff.conftest import log_in, make_staff, token
from tests.staff.test_lockout import at, cheap_argon2, fail, password, retry_after  # noqa: F401

pytestmark = pytest.mark.usefixtures("db_clean")
PATH = "/office/login"


@pytest.fixture
def handler(app, cheap_argon2):  # noqa: F811
    return make_staff(app, "handler", office="dinsos-32.01")


def known(app, account, clock, address: str = "198.51.100.20"):
    """A browser that has logged in as ``account`` once, then logged out."""
    client = at(app, address)
    assert log_in(client, account, clock).status_code == 303
    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    assert client.get_cookie(DEVICE_COOKIE, path=PATH) is not None
    clock.advance(seconds=31)  # a code works once: the next login needs the next one
    return client


def lock_the_account(app, account):
    for n in range(10):  # 10 addresses × 5 wrong passwords
        fail(at(app, f"203.0.113.{n}"), account.email, 5)


def test_past_the_account_lock_the_owner_logs_in_from_a_known_device(app, handler, clock):
    owner = known(app, handler, clock)
    lock_the_account(app, handler)
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.44"  # at home now: another address too
    assert log_in(owner, handler, clock).status_code == 303
    # any other browser is refused, with how long and the way in
    refused = password(at(app, "192.0.2.45"), handler.email, handler.password)
    assert retry_after(refused) == 30 * 60
    assert "30 menit" in refused.text and "minta administrator" in refused.text
    assert "Peramban yang pernah Anda pakai untuk masuk" in refused.text


def test_the_code_step_of_a_known_device_passes_a_lock_that_began_after_the_password(
    app, handler, clock
):
    owner = known(app, handler, clock)
    assert password(owner, handler.email, handler.password).status_code == 303
    lock_the_account(app, handler)
    code = totp.current_code(handler.secret, clock.now)
    answer = owner.post(
        "/office/login/code", data={"csrf_token": token(owner, PATH + "/code"), "code": code}
    )
    assert answer.status_code == 303


def _with_cookie(app, value: str, address: str = "192.0.2.45"):
    client = at(app, address)
    client.set_cookie(DEVICE_COOKIE, value, path=PATH)
    return client


def test_a_forged_or_other_accounts_cookie_does_not_exempt(app, handler, clock):
    other = make_staff(app, "handler", office="dinsos-32.01")
    theirs = known(app, other, clock).get_cookie(DEVICE_COOKIE, path=PATH).value
    mine = known(app, handler, clock).get_cookie(DEVICE_COOKIE, path=PATH).value
    lock_the_account(app, handler)
    account, device, mac = mine.split(".")
    _, their_device, their_mac = theirs.split(".")
    forged = [
        theirs,  # another account's device
        f"{account}.{their_device}.{their_mac}",  # … relabelled as this account
        f"{account}.{device}.{mac[:-2]}AA",  # a wrong MAC
        f"{account}.{device[:-2]}AA.{mac}",  # another device id
        f"{account}.{device}",
        f"{account}.{device}.{mac[:-1]}é",  # not ASCII: refused, not a 500
    ]
    for value in forged:
        refused = password(_with_cookie(app, value), handler.email, handler.password)
        assert retry_after(refused) == 30 * 60, value
    # the genuine cookie, copied to the same kind of fresh browser, passes
    assert log_in(_with_cookie(app, mine), handler, clock).status_code == 303


def test_a_known_device_has_its_own_count_with_growing_delays(app, handler, clock):
    owner = known(app, handler, clock)
    for n in range(4):  # from four places: the device is counted, not the address
        owner.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        assert fail(owner, handler.email).status_code == 400
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.5"
    assert retry_after(fail(owner, handler.email)) == 60
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.6"
    assert retry_after(password(owner, handler.email, handler.password)) == 60
    clock.advance(minutes=1, seconds=1)
    fail(owner, handler.email, 4)
    assert retry_after(fail(owner, handler.email)) == 120  # the second lock doubles
    # the device's mistakes neither locked this address for others …
    assert log_in(at(app, "192.0.2.6"), handler, clock).status_code == 303


def test_one_browser_remembers_several_accounts(app, handler, clock):
    other = make_staff(app, "handler", office="dinsos-32.01")
    shared = known(app, handler, clock)
    assert log_in(shared, other, clock).status_code == 303
    shared.post("/office/logout", data={"csrf_token": token(shared, "/office/")})
    lock_the_account(app, handler)
    assert log_in(shared, handler, clock).status_code == 303


def test_the_cookie_is_for_the_login_pages_only_and_hidden_from_scripts(app, handler, clock):
    client = at(app, "198.51.100.20")
    answer = log_in(client, handler, clock)
    header = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in header and "SameSite=Lax" in header and f"Path={PATH}" in header
    assert "Max-Age=31536000" in header  # a year
    assert "Secure" not in header  # the test app is plain http


def test_the_cookie_is_secure_where_the_session_cookie_is(app, handler, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)  # as in production
    answer = log_in(at(app, "198.51.100.20"), handler, clock)
    header = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE))
    assert "; Secure" in header
