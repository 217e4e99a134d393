"""TOTP second factor (RFC 6238: 6 digits, 30-second steps, SHA-1, as every
authenticator app expects), through ``pyotp``.

A code is accepted for the current step or one step either side (clock
drift), and only for a step later than the last one accepted, so an
overheard code cannot be replayed.
"""

from __future__ import annotations

import datetime as dt

import pyotp

from portal.audit.log import record
from portal.crypto import Keyring
from portal.staff.models import StaffUser

ISSUER = "Portal DTSEN"
STEP_SECONDS = 30


def new_secret() -> str:
    """A random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans (shown as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def current_code(secret: str, now: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(now)


def accepted_step(secret: str, code: str, now: dt.datetime, last_step: int | None) -> int | None:
    """The step ``code`` is valid for (now ± one step, later than ``last_step``), else None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step_now = int(now.timestamp()) // STEP_SECONDS
    for step in (step_now - 1, step_now, step_now + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


# The enrolled secret, encrypted and bound to its account ------------------------


def _purpose(user: StaffUser) -> bytes:
    return b"staff_users.totp_secret:" + str(user.id).encode("ascii")


def enrol(user: StaffUser, secret: str, keyring: Keyring) -> None:
    """Store ``secret`` for ``user`` (flushed, so it has an id)."""
    user.totp_secret_enc = keyring.encrypt(secret, _purpose(user))
    user.totp_last_step = None
    record("account_changed", target_staff_id=user.id, detail="totp_enrolled")


def secret_of(user: StaffUser, keyring: Keyring) -> str | None:
    if user.totp_secret_enc is None:
        return None
    return keyring.decrypt(user.totp_secret_enc, _purpose(user))
