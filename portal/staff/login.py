"""Logging a staff member in: password, then a TOTP code (SECURITY.md AU1, AU7).

Wrong passwords and codes are counted per account *and address*
(``LoginFailures``): ``PER_ADDRESS`` (5) from one address lock the account
from that address only, for 1 minute, the next 5 for 2, then 4, 8, … up to
an hour. A stranger guessing from one place therefore cannot keep the owner
out from another. From every address together, ``PER_ACCOUNT`` (50) failures
lock the whole account for 30 minutes: someone guessing from many addresses
is stopped too, far later. A successful login clears the account's count for
its address and for every address; failures a day old are forgotten, and
``flask staff unlock`` lifts every lock of an account.

A browser the owner has logged in with (a *known device*, ``remember_device``)
keeps a way in through that lock: it carries a cookie with a random device id
and an HMAC binding it to the account and its password hash (a new password
forgets every device). A known device is its own place: its failures are
counted and locked per (account, device), with the same growing delays, and
neither count towards nor are stopped by the whole account's lock. A stolen
cookie is therefore no more than one more slow place to guess from.

Counts are kept for unknown emails too, with the same limits and answers,
and an unknown email costs the same Argon2 work as a known one, so neither
the answers nor the locks tell which accounts exist. Demo accounts cannot
log in outside development and testing.

Counting a failure is one INSERT … ON CONFLICT DO UPDATE … RETURNING per
count, and accepting a code is one conditional UPDATE: parallel wrong
guesses are all counted, and of two parallel requests with the same code
only one logs in. The caller commits (failures count even when the answer
is no).

Every failure, lock and login also appends an audit row (``portal.audit``,
SECURITY.md LG3) in the same transaction: kinds ``login_failed`` (detail
``password``, ``code``, ``code:reused``, ``recovery``, ``password:locked``,
``code:locked``, ``code:inactive``), ``locked`` (``address``, ``device``,
``account``), ``recovery_code_used`` and ``login`` (which also sets
``StaffUser.last_login_at``); ``staff_id`` is the account's, or None when no
active account has the email (never the email).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hmac
import logging
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import case, delete, or_, select, update

from portal.audit.log import record
from portal.crypto import Keyring
from portal.db import is_sqlite, stored_utc
from portal.extensions import db
from portal.staff import recovery, totp
from portal.staff.accounts import hash_password, normalise_email, verify_password
from portal.staff.models import LoginFailures, StaffUser

PER_ADDRESS = 5
FIRST_LOCK = dt.timedelta(minutes=1)
LONGEST_LOCK = dt.timedelta(hours=1)
PER_ACCOUNT = 50
ACCOUNT_LOCK = dt.timedelta(minutes=30)
FORGET_AFTER = dt.timedelta(days=1)
#: ``address_key`` of the count over every address.
EVERY_ADDRESS = "*"
#: The known-device cookie: up to ``DEVICES_KEPT`` accounts' entries
#: ``<account id>.<device id>.<mac>``, joined by ``~`` (a shared office computer).
DEVICE_COOKIE = "staff_device"
DEVICE_DAYS = 365
DEVICES_KEPT = 5
log = logging.getLogger("portal.office")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown: the same Argon2 work either
    way. Made on first use, not at import (every worker and CLI command would
    pay an Argon2 hash at start-up)."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Attempt:
    """Who is logging in from where, as the keys of their failure counts:
    keyed digests, so the table holds neither emails nor addresses."""

    account_key: str
    address_key: str
    #: ``address_key`` is then the device's: outside the whole account's count.
    known_device: bool = False

    def places(self) -> tuple[str, ...]:
        return (self.address_key,) if self.known_device else (self.address_key, EVERY_ADDRESS)


def attempt(keyring: Keyring, email: str, address: str, device: str | None = None) -> Attempt:
    """``device``: the id of a known device of this account (``known_device``)."""
    account = _key(keyring, b"staff-login-account:" + normalise_email(email).encode("utf-8"))
    if device:
        return Attempt(account, _key(keyring, b"staff-login-device:" + device.encode()), True)
    return Attempt(account, _key(keyring, b"staff-login-address:" + address.encode("utf-8")))


def _key(keyring: Keyring, data: bytes) -> str:
    return base64.urlsafe_b64encode(keyring.content_digest(data)[:16]).rstrip(b"=").decode()


def _device_mac(keyring: Keyring, user: StaffUser, device: str) -> str:
    return _key(keyring, f"staff-device:{user.id}:{device}:{user.password_hash}".encode())


def known_device(keyring: Keyring, user: StaffUser | None, cookie: str) -> str | None:
    """The device id this browser's cookie proves for ``user``, if any."""
    for entry in cookie.split("~")[:DEVICES_KEPT] if user is not None else ():
        account, _, rest = entry.partition(".")
        device, _, mac = rest.partition(".")
        if (
            account == str(user.id)
            and device
            and hmac.compare_digest(mac.encode(), _device_mac(keyring, user, device).encode())
        ):
            return device
    return None


def remember_device(keyring: Keyring, user: StaffUser, cookie: str) -> str:
    """The cookie after a login: this account's entry first (its device id
    kept if it had one), then other accounts' entries as they were."""
    device = known_device(keyring, user, cookie) or secrets.token_urlsafe(16)
    others = [e for e in cookie.split("~") if e and not e.startswith(f"{user.id}.")]
    entry = f"{user.id}.{device}.{_device_mac(keyring, user, device)}"
    return "~".join([entry, *others][:DEVICES_KEPT])


@dataclass(frozen=True)
class Lock:
    """Logging in is refused until ``until``: from this address, or from
    anywhere when ``whole_account``."""

    until: dt.datetime
    whole_account: bool

    def minutes_left(self, now: dt.datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds() / 60))


@dataclass(frozen=True)
class PasswordCheck:
    """``user`` when the password is right; ``lock`` when logging in is
    refused for a while (already, or from this failure on)."""

    user: StaffUser | None
    lock: Lock | None = None


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    lock: Lock | None = None
    #: After a login with a recovery code: how many unused codes are left.
    recovery_left: int | None = None


def lock_of(who: Attempt, now: dt.datetime) -> Lock | None:
    """The lock in force for this account from this address, if any (the
    longer one when both the address's and the whole account's are; a known
    device has only its own)."""
    t = LoginFailures
    rows = db.session.execute(
        select(t.address_key, t.locked_until).where(
            t.account_key == who.account_key,
            t.address_key.in_(who.places()),
            t.locked_until.is_not(None),
        )
    ).all()
    locks = [Lock(stored_utc(until), key == EVERY_ADDRESS) for key, until in rows]
    return max((lock for lock in locks if lock.until > now), key=lambda k: k.until, default=None)


def _insert(table):
    if is_sqlite():
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(table)


def _count(who: Attempt, address_key: str, now: dt.datetime, staff_id: int | None) -> Lock | None:
    """Count one failure in the database (never from a value read earlier);
    at the limit, lock and start the count afresh (and audit the lock)."""
    account_key = who.account_key
    t = LoginFailures.__table__
    stale = t.c.last_failure_at < now - FORGET_AFTER
    insert = _insert(t).values(
        account_key=account_key, address_key=address_key, failures=1, locks=0, last_failure_at=now
    )
    failures, locks = db.session.execute(
        insert.on_conflict_do_update(
            index_elements=[t.c.account_key, t.c.address_key],
            set_={
                "failures": case((stale, 1), else_=t.c.failures + 1),
                "locks": case((stale, 0), else_=t.c.locks),
                "last_failure_at": now,
            },
        ).returning(t.c.failures, t.c.locks)
    ).one()
    whole_account = address_key == EVERY_ADDRESS
    if failures < (PER_ACCOUNT if whole_account else PER_ADDRESS):
        return None
    # The row stays locked by this transaction since the upsert: no other
    # failure can count in between.
    length = ACCOUNT_LOCK if whole_account else min(FIRST_LOCK * 2**locks, LONGEST_LOCK)
    lock = Lock(now + length, whole_account)
    db.session.execute(
        update(t)
        .where(t.c.account_key == account_key, t.c.address_key == address_key)
        .values(failures=0, locks=locks + 1, locked_until=lock.until)
    )
    log.warning(
        "staff login locked",
        extra={"event": {"event": "staff_locked", "whole_account": whole_account}},
    )
    where = "account" if whole_account else "device" if who.known_device else "address"
    record("locked", staff_id=staff_id, detail=where, now=now)
    return lock


def _fail(who: Attempt, now: dt.datetime, staff_id: int | None, step: str) -> Lock | None:
    """Count a failure from this address and from every address (in this
    order in every transaction, so two never wait on each other), and audit
    it: ``staff_id`` None when no account has that email (never the email)."""
    record("login_failed", staff_id=staff_id, detail=step, now=now)
    locks = [_count(who, key, now, staff_id) for key in who.places()]
    return max((k for k in locks if k), key=lambda k: k.until, default=None)


def _succeed(who: Attempt) -> None:
    """A login: the account's counts for this address and every address end."""
    db.session.execute(
        delete(LoginFailures).where(
            LoginFailures.account_key == who.account_key,
            LoginFailures.address_key.in_(who.places()),
        )
    )


def check_password(
    email: str,
    password: str,
    now: dt.datetime,
    *,
    keyring: Keyring,
    address: str,
    allow_demo: bool,
    device_cookie: str = "",
) -> PasswordCheck:
    """The active account whose password this is, unless a lock is in force."""
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.email == normalise_email(email), StaffUser.active)
    )
    if user is not None and user.is_demo and not allow_demo:
        user = None
    who = attempt(keyring, email, address, known_device(keyring, user, device_cookie))
    staff_id = user.id if user is not None else None  # never the email
    lock = lock_of(who, now)
    if lock is not None:
        record("login_failed", staff_id=staff_id, detail="password:locked", now=now)
        return PasswordCheck(None, lock)
    if user is None:
        verify_password(_dummy_hash(), password)
    elif verify_password(user.password_hash, password):
        return PasswordCheck(user)
    return PasswordCheck(None, _fail(who, now, staff_id, "password"))


def check_code(
    user: StaffUser,
    code: str,
    keyring: Keyring,
    now: dt.datetime,
    *,
    address: str,
    device_cookie: str = "",
) -> CodeCheck:
    """The second step: a TOTP code for a step later than any used before,
    or one of the account's unused recovery codes (``portal.staff.recovery``).

    The step is claimed with one conditional UPDATE, so a code sent twice at
    once logs in once. A lock that began after the password step refuses the
    right code too."""
    who = attempt(keyring, user.email, address, known_device(keyring, user, device_cookie))
    lock = lock_of(who, now)
    if lock is not None or not user.active:
        step = "code:locked" if lock is not None else "code:inactive"
        record("login_failed", staff_id=user.id, detail=step, now=now)
        return CodeCheck(False, lock)
    secret = totp.secret_of(user, keyring)
    if secret and recovery.looks_like_code(code):
        return _recovery(user, who, code, keyring, now)
    step = totp.accepted_step(secret, code, now, user.totp_last_step) if secret else None
    if step is None:
        return CodeCheck(False, _fail(who, now, user.id, "code"))
    claimed = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(user)
    if claimed != 1:
        return CodeCheck(False, _fail(who, now, user.id, "code:reused"))
    return _logged_in(user, who, now)


def _recovery(user: StaffUser, who: Attempt, code: str, keyring: Keyring, now) -> CodeCheck:
    """A recovery code instead of a TOTP code: each works once; a wrong or
    used one is a failure like a wrong code (``login_failed``, ``recovery``)."""
    if not recovery.use(user, code, now, keyring):
        return CodeCheck(False, _fail(who, now, user.id, "recovery"))
    record("recovery_code_used", staff_id=user.id, now=now)
    return _logged_in(user, who, now, recovery_left=recovery.remaining(user.id))


def _logged_in(user: StaffUser, who: Attempt, now, recovery_left: int | None = None) -> CodeCheck:
    _succeed(who)
    user.last_login_at = now
    record("login", staff_id=user.id, now=now)
    return CodeCheck(True, recovery_left=recovery_left)


def unlock(keyring: Keyring, email: str) -> int:
    """Lift every lock and count of the account, from every address."""
    account_key = attempt(keyring, email, "").account_key
    return db.session.execute(
        delete(LoginFailures).where(LoginFailures.account_key == account_key)
    ).rowcount


def forget_old_failures(now: dt.datetime) -> int:
    """Remove counts a day old whose lock (if any) is over: they would be
    started afresh anyway (``FORGET_AFTER``)."""
    t = LoginFailures
    return db.session.execute(
        delete(t).where(
            t.last_failure_at < now - FORGET_AFTER,
            or_(t.locked_until.is_(None), t.locked_until <= now),
        )
    ).rowcount
