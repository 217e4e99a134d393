"""Logging a staff member in: password, then a TOTP code (SECURITY.md AU1).

Five wrong passwords or codes in a row lock the account for 15 minutes;
while locked even the right password is refused. An unknown email costs the
same Argon2 work as a known one and gets the same answer, so the login form
does not tell which accounts exist. The caller commits (failures count).
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from sqlalchemy import select

from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.staff import totp
from portal.staff.accounts import hash_password, normalise_email, verify_password
from portal.staff.models import StaffUser

MAX_FAILURES = 5
LOCK_MINUTES = 15


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def is_locked(user: StaffUser, now: dt.datetime) -> bool:
    return user.locked_until is not None and stored_utc(user.locked_until) > now


def _fail(user: StaffUser, now: dt.datetime) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0


def check_password(email: str, password: str, now: dt.datetime) -> StaffUser | None:
    """The active account whose password this is, unless it is locked."""
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.email == normalise_email(email), StaffUser.active)
    )
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if is_locked(user, now):
        verify_password(user.password_hash, password)
        return None
    if verify_password(user.password_hash, password):
        return user
    _fail(user, now)
    return None


def check_code(user: StaffUser, code: str, keyring: Keyring, now: dt.datetime) -> bool:
    """The second step: a TOTP code not used before. Success clears the failures."""
    if is_locked(user, now) or not user.active:
        return False
    secret = totp.secret_of(user, keyring)
    step = totp.accepted_step(secret, code, now, user.totp_last_step) if secret else None
    if step is None:
        _fail(user, now)
        return False
    user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    return True
