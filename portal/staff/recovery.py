"""Recovery codes: ten single-use codes given once at TOTP enrolment, for a
lost phone (SECURITY.md AU1).

A code is 10 characters from an alphabet without look-alikes (50 random
bits), shown in two groups of five (``ABCDE-FGH23``). Only a keyed digest of
it, bound to the account, is stored (``RecoveryCode.code_hash``): the codes
are random, so a keyed hash is enough, and a code is found by its digest
without trying every row. A code works once: the claim is one conditional
UPDATE (``used_at``), so two parallel logins with the same code log in once.
A wrong code counts towards the lockout like a wrong TOTP code
(``portal.staff.login.check_code``).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, func, select, update

from portal.crypto import Keyring
from portal.extensions import db
from portal.staff.models import RecoveryCode, StaffUser

COUNT = 10
LENGTH = 10
#: No 0/O, 1/I: read off paper and typed back.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_codes(count: int = COUNT) -> list[str]:
    """``count`` random codes as shown to the person (``ABCDE-FGH23``)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise(code: str) -> str:
    """What was typed, as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def looks_like_code(typed: str) -> bool:
    """True for something shaped like a recovery code (not a 6-digit TOTP code)."""
    code = normalise(typed)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def _digest(keyring: Keyring, staff_id: int, code: str) -> bytes:
    return keyring.content_digest(f"staff-recovery:{staff_id}:{normalise(code)}".encode())


def store(user: StaffUser, codes: list[str], now: dt.datetime, keyring: Keyring) -> None:
    """Replace the account's codes with ``codes`` (their digests). Flushes."""
    clear(user)
    db.session.add_all(
        RecoveryCode(staff_id=user.id, code_hash=_digest(keyring, user.id, c), created_at=now)
        for c in codes
    )
    db.session.flush()


def clear(user: StaffUser) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))


def use(user: StaffUser, typed: str, now: dt.datetime, keyring: Keyring) -> bool:
    """Claim an unused code of ``user``: True once per code, False otherwise."""
    if not looks_like_code(typed):
        return False
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_id == user.id,
            RecoveryCode.code_hash == _digest(keyring, user.id, typed),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def remaining(staff_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))
    )
