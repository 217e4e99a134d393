"""portal.staff.login called directly (docs/testing.md, mutation testing):
what the pages of tests/staff/test_login.py and test_lockout.py do not pin on
their own. Expected values come from the rules in the module's docstring
(SECURITY.md AU1, AU7: 5 failures from one address lock it for 1 minute;
counts a day old start afresh), not from the code."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from portal.db import transaction
from portal.extensions import db
from portal.staff import login, totp
from portal.staff.models import LoginFailures, StaffUser
from tests.staff.conftest import make_staff
from tests.staff.test_lockout import cheap_argon2  # noqa: F401 - autouse here too

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")

NOW = dt.datetime(2026, 3, 16, 3, 0, tzinfo=dt.UTC)
HERE = "203.0.113.7"


@pytest.fixture
def account(app):
    return make_staff(app, "handler", office="dinsos-32.01")


def user_of(account) -> StaffUser:
    return db.session.get(StaffUser, account.id)


def password(keyring, email: str, secret: str, now: dt.datetime = NOW, address: str = HERE):
    with transaction():
        return login.check_password(
            email, secret, now, keyring=keyring, address=address, allow_demo=False
        )


def code(keyring, account, now: dt.datetime = NOW, *, typed: str | None = None):
    with transaction():
        typed = typed or totp.current_code(account.secret, now)
        return login.check_code(user_of(account), typed, keyring, now, address=HERE)


def failures(account) -> dict[str, tuple[int, int]]:
    """(failures, locks) of the account, this address's row and ``*``'s."""
    rows = db.session.execute(select(LoginFailures)).scalars().all()
    return {("*" if r.address_key == "*" else "here"): (r.failures, r.locks) for r in rows}


def deactivate(account) -> None:
    with transaction():
        user_of(account).active = False


def test_a_deactivated_accounts_right_password_is_refused(keyring, account):
    assert password(keyring, account.email, account.password).user is not None
    deactivate(account)
    refused = password(keyring, account.email, account.password)
    assert refused.user is None and refused.lock is None
    assert failures(account) == {"here": (1, 0), "*": (1, 0)}  # counted like a wrong one


def test_the_code_step_refuses_a_deactivated_account(keyring, account):
    deactivate(account)
    refused = code(keyring, account)
    assert (refused.ok, refused.lock) == (False, None)
    db.session.expire_all()
    assert user_of(account).totp_last_step is None  # the step was not used up


def test_the_code_step_refuses_a_locked_address(keyring, account):
    for _ in range(5):
        password(keyring, account.email, "salah sekali")
    refused = code(keyring, account, NOW + dt.timedelta(seconds=30))
    assert refused.ok is False
    assert refused.lock == login.Lock(NOW + dt.timedelta(minutes=1), False)
    # once the minute is over the same account logs in with a new code
    assert code(keyring, account, NOW + dt.timedelta(minutes=1, seconds=30)).ok is True


def test_a_right_code_clears_the_counts_of_this_address_and_every_address(keyring, account):
    for _ in range(4):
        password(keyring, account.email, "salah sekali")
    password(keyring, account.email, "salah sekali", address="198.51.100.20")
    assert code(keyring, account).ok is True
    rows = {r.address_key for r in db.session.scalars(select(LoginFailures))}
    assert len(rows) == 1 and "*" not in rows  # only the other address's count is left
    for _ in range(4):  # four more are not five
        assert password(keyring, account.email, "salah sekali").lock is None


def test_a_code_used_once_counts_as_a_failure_the_second_time(keyring, account):
    assert code(keyring, account).ok is True
    again = code(keyring, account, NOW + dt.timedelta(seconds=5))
    assert (again.ok, again.lock) == (False, None)
    assert failures(account) == {"here": (1, 0), "*": (1, 0)}


def test_an_account_without_a_totp_secret_cannot_pass_the_code_step(keyring, account):
    with transaction():
        user_of(account).totp_secret_enc = None
    refused = code(keyring, account, typed="123456")
    assert (refused.ok, refused.lock) == (False, None)
    assert failures(account) == {"here": (1, 0), "*": (1, 0)}


def test_the_fifth_failure_locks_and_the_count_starts_afresh(keyring, account):
    for n in range(4):
        assert password(keyring, account.email, "salah sekali").lock is None
        assert failures(account)["here"] == (n + 1, 0)
    lock = password(keyring, account.email, "salah sekali").lock
    assert lock == login.Lock(NOW + dt.timedelta(minutes=1), False)
    assert failures(account) == {"here": (0, 1), "*": (5, 0)}
    later = NOW + dt.timedelta(minutes=2)
    assert password(keyring, account.email, "salah sekali", later).lock is None
    assert failures(account)["here"] == (1, 1)
    row = db.session.scalar(select(LoginFailures).where(LoginFailures.address_key != "*"))
    assert row.locked_until is not None  # a failure below the limit leaves the old lock be


def test_a_lock_ends_at_its_instant(keyring, account):
    for _ in range(5):
        password(keyring, account.email, "salah sekali")
    who = login.attempt(keyring, account.email, HERE)
    end = NOW + dt.timedelta(minutes=1)
    assert login.lock_of(who, end - dt.timedelta(microseconds=1)) is not None
    assert login.lock_of(who, end) is None


def test_failures_a_day_old_are_counted_afresh(keyring, account):
    for _ in range(4):
        password(keyring, account.email, "salah sekali")
    day_later = NOW + dt.timedelta(days=1, seconds=1)
    assert password(keyring, account.email, "salah sekali", day_later).lock is None
    assert failures(account)["here"] == (1, 0)
    # exactly a day later is not yet a day old
    for _ in range(3):
        password(keyring, account.email, "salah sekali", day_later)
    just = day_later + dt.timedelta(days=1)
    assert password(keyring, account.email, "salah sekali", just).lock is not None


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 1), (1, 1), (60, 1), (61, 2), (3600, 60), (-5, 1)]
)
def test_minutes_left_round_up_and_never_say_zero(seconds, minutes):
    lock = login.Lock(NOW + dt.timedelta(seconds=seconds), False)
    assert lock.minutes_left(NOW) == minutes


def test_unlock_removes_every_count_of_the_account_only(keyring, account, app):
    other = make_staff(app, "handler", office="dinsos-32.01")
    for n in range(3):
        password(keyring, account.email, "salah sekali", address=f"192.0.2.{n}")
    password(keyring, other.email, "salah sekali")
    with transaction():
        removed = login.unlock(keyring, account.email.upper())
    assert removed == 4  # three addresses and "*"
    assert db.session.scalar(select(func.count()).select_from(LoginFailures)) == 2


def test_old_counts_are_purged_only_when_old_and_unlocked(keyring, account):
    password(keyring, account.email, "salah sekali")
    day = NOW + login.FORGET_AFTER
    with transaction():
        assert login.forget_old_failures(day) == 0  # a day old exactly: kept
    with transaction():
        assert login.forget_old_failures(day + dt.timedelta(seconds=1)) == 2


def test_the_keys_tell_accounts_and_addresses_apart(keyring):
    a = login.attempt(keyring, "Budi@Dinsos.example.go.id", HERE)
    assert a == login.attempt(keyring, "budi@dinsos.example.go.id", HERE)
    assert a.account_key != login.attempt(keyring, "siti@dinsos.example.go.id", HERE).account_key
    assert a.address_key != login.attempt(keyring, "budi@x", "203.0.113.8").address_key
    assert a.account_key != a.address_key
    assert len(a.account_key) == len(a.address_key) == 22


def test_a_lock_and_a_login_leave_other_accounts_at_the_address_alone(keyring, account, app):
    other = make_staff(app, "handler", office="dinsos-32.01")
    for _ in range(2):
        password(keyring, other.email, "salah sekali")
    for _ in range(5):
        password(keyring, account.email, "salah sekali")
    assert code(keyring, account, NOW + dt.timedelta(minutes=2)).ok is True
    them = login.attempt(keyring, other.email, HERE)
    rows = db.session.scalars(
        select(LoginFailures).where(LoginFailures.account_key == them.account_key)
    ).all()
    assert sorted((r.address_key == "*", r.failures, r.locked_until) for r in rows) == [
        (False, 2, None),
        (True, 2, None),
    ]


def test_old_counts_whose_lock_is_over_are_purged(keyring, account):
    for _ in range(5):  # the address row locked until NOW + 1 minute
        password(keyring, account.email, "salah sekali")
    with transaction():
        assert login.forget_old_failures(NOW + login.FORGET_AFTER + dt.timedelta(seconds=1)) == 2
    assert db.session.scalar(select(func.count()).select_from(LoginFailures)) == 0


def test_a_lock_is_logged_without_who_or_where(keyring, account, caplog):
    caplog.set_level("WARNING", logger="portal.office")
    for _ in range(5):
        password(keyring, account.email, "salah sekali")
    [record] = [r for r in caplog.records if r.name == "portal.office"]
    assert record.getMessage() == "staff login locked"
    assert record.event == {"event": "staff_locked", "whole_account": False}


def test_a_code_claimed_by_another_request_in_between_is_refused_and_counted(keyring, account):
    """The account was read before another request used the same code (the
    race of two parallel requests, made in one transaction here)."""
    typed = totp.current_code(account.secret, NOW)
    with transaction():
        user = user_of(account)
        assert user.totp_last_step is None  # loaded: this request's view
        step = totp.accepted_step(account.secret, typed, NOW, None)
        db.session.execute(
            update(StaffUser)
            .where(StaffUser.id == account.id)
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        refused = login.check_code(user, typed, keyring, NOW, address=HERE)
    assert refused.ok is False and refused.lock is None
    assert failures(account) == {"here": (1, 0), "*": (1, 0)}


def test_the_keys_are_labelled_digests_of_the_email_and_the_address(keyring):
    """Written out by hand: a changed label would orphan every stored count."""

    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(keyring.content_digest(data)[:16]).decode()[:22]

    who = login.attempt(keyring, " Budi@Dinsos.example.go.id ", HERE)
    assert who.account_key == digest(b"staff-login-account:budi@dinsos.example.go.id")
    assert who.address_key == digest(b"staff-login-address:203.0.113.7")


def test_another_accounts_lock_at_the_address_does_not_lock_this_one(keyring, account, app):
    other = make_staff(app, "handler", office="dinsos-32.01")
    for _ in range(5):
        password(keyring, other.email, "salah sekali")
    assert login.lock_of(login.attempt(keyring, other.email, HERE), NOW) is not None
    assert login.lock_of(login.attempt(keyring, account.email, HERE), NOW) is None


def test_the_longer_of_two_locks_is_the_one_in_force(keyring, account):
    for n in range(9):  # 45 failures from elsewhere
        for _ in range(5):
            password(keyring, account.email, "salah sekali", address=f"192.0.2.{n}")
    for _ in range(5):  # the 50th locks this address for 1 minute and the account for 30
        password(keyring, account.email, "salah sekali")
    whole = login.Lock(NOW + dt.timedelta(minutes=30), True)
    assert login.lock_of(login.attempt(keyring, account.email, HERE), NOW) == whole
    assert login.lock_of(login.attempt(keyring, account.email, "198.51.100.1"), NOW) == whole
