"""Logging a staff member in: password, then a TOTP code (SECURITY.md AU1).

Five wrong passwords or codes in a row lock the account for 15 minutes;
while locked even the right password is refused (``flask staff unlock``
lifts it). An unknown email costs the same Argon2 work as a known one and
gets the same answer, so the login form does not tell which accounts exist.
Demo accounts cannot log in outside development and testing.

Counting a failure and accepting a code are single UPDATE statements that
decide under the row's lock: parallel wrong guesses are all counted, and of
two parallel requests with the same code only one logs in. The caller
commits (failures count even when the answer is no).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets

from sqlalchemy import case, or_, select, update

from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.staff import totp
from portal.staff.accounts import hash_password, normalise_email, verify_password
from portal.staff.models import StaffUser

MAX_FAILURES = 5
LOCK_MINUTES = 15
log = logging.getLogger("portal.office")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown: the same Argon2 work either
    way. Made on first use, not at import (every worker and CLI command would
    pay an Argon2 hash at start-up)."""
    return hash_password(secrets.token_urlsafe(16))


def is_locked(user: StaffUser, now: dt.datetime) -> bool:
    return user.locked_until is not None and stored_utc(user.locked_until) > now


def _fail(user: StaffUser, now: dt.datetime) -> None:
    """Count a failure in the database (not from the value read earlier)."""
    reaches_limit = StaffUser.failed_logins + 1 >= MAX_FAILURES
    locked_until = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(
            failed_logins=case((reaches_limit, 0), else_=StaffUser.failed_logins + 1),
            locked_until=case(
                (reaches_limit, now + dt.timedelta(minutes=LOCK_MINUTES)),
                else_=StaffUser.locked_until,
            ),
        )
        .returning(StaffUser.locked_until)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(user)
    if locked_until is not None and stored_utc(locked_until) > now:
        log.warning(
            "staff account locked",
            extra={"event": {"event": "staff_locked", "staff_id": user.id}},
        )


def check_password(
    email: str, password: str, now: dt.datetime, *, allow_demo: bool
) -> StaffUser | None:
    """The active account whose password this is, unless it is locked."""
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.email == normalise_email(email), StaffUser.active)
    )
    if user is None or (user.is_demo and not allow_demo):
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
    """The second step: a TOTP code for a step later than any used before.

    The step is claimed with one conditional UPDATE, so a code sent twice at
    once logs in once."""
    if is_locked(user, now) or not user.active:
        return False
    secret = totp.secret_of(user, keyring)
    step = totp.accepted_step(secret, code, now, user.totp_last_step) if secret else None
    if step is None:
        _fail(user, now)
        return False
    claimed = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step, failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(user)
    if claimed != 1:
        _fail(user, now)
        return False
    return True


def unlock(user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None
