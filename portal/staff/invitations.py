"""Invitation links: how a new account (or one whose TOTP was reset) gets
its own password and authenticator (SECURITY.md AU1).

An administrator or supervisor creates the account without a usable
password or TOTP secret and is shown a link once, ``/office/invite/<token>``,
to pass on. The token is 128 random bits; only its SHA-256 is stored
(``StaffInvitation.token_hash``), so the database cannot give a working link.
A link works until ``expires_at`` (``STAFF_INVITATION_HOURS``, 72) and once:
``complete`` claims it with one conditional UPDATE, so a second use, or two
at once, is refused. Issuing a new link for an account ends its earlier ones;
deactivating the account ends them too, and a link of an inactive account
is refused as an expired one (``find``).

The person's steps: a password (``passwords.password_problem``), set at
once (the account still cannot log in: it has no TOTP secret); then the
authenticator, confirmed with one code; then the ten recovery codes,
shown once (``portal.staff.recovery``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from portal.audit.log import record
from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.staff import recovery, totp
from portal.staff.accounts import hash_password
from portal.staff.models import StaffInvitation, StaffUser
from portal.staff.passwords import password_problem

TOKEN_BYTES = 16
#: The states of a link, for the page that explains them.
OK, EXPIRED, USED, UNKNOWN = "ok", "expired", "used", "unknown"


class InvitationRefused(ValueError):
    """The link cannot do what was asked; ``code`` says why."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        #: For ``password``: ``password_problem``'s reason (English, for a label lookup).
        self.detail = detail


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def token_for(keyring: Keyring, key: str) -> str:
    """The token of the link made for a form's random ``key``: 128 bits no
    one can work out without the server's key, and the same for a second
    click of the same form, which then finds the link the first click made
    (``made_for``) instead of making another."""
    digest = keyring.content_digest(b"staff-invitation:" + key.encode("utf-8"))[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def made_for(token: str, created_by_id: int) -> StaffInvitation | None:
    """The invitation with this token, if ``created_by_id`` made it."""
    return db.session.scalar(
        select(StaffInvitation).where(
            StaffInvitation.token_hash == _hash(token),
            StaffInvitation.created_by_id == created_by_id,
        )
    )


def issue(
    user: StaffUser,
    created_by_id: int | None,
    now: dt.datetime,
    hours: int,
    token: str | None = None,
) -> str:
    """A new link for ``user`` (earlier unused ones end now); the token
    (``token``, else a random one), to show once. Flushes; the caller
    records the action and commits."""
    end_unused(user, now)
    token = token or secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        StaffInvitation(
            staff_id=user.id,
            token_hash=_hash(token),
            created_by_id=created_by_id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    db.session.flush()
    return token


def end_unused(user: StaffUser, now: dt.datetime) -> None:
    """The account's unused links end now (a new link, or the account
    deactivated)."""
    db.session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.staff_id == user.id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Found:
    state: str
    invitation: StaffInvitation | None = None
    user: StaffUser | None = None


def find(token: str, now: dt.datetime) -> Found:
    """The link's invitation and account, and whether it still works."""
    if not token or len(token) > 64:
        return Found(UNKNOWN)
    invitation = db.session.scalar(
        select(StaffInvitation).where(StaffInvitation.token_hash == _hash(token))
    )
    if invitation is None:
        return Found(UNKNOWN)
    user = db.session.get(StaffUser, invitation.staff_id)
    if invitation.used_at is not None:
        return Found(USED, invitation, user)
    if stored_utc(invitation.expires_at) <= now or user is None or not user.active:
        # A deactivated account's link is over, as an expired one is.
        return Found(EXPIRED, invitation, user)
    return Found(OK, invitation, user)


def set_password(found: Found, password: str) -> None:
    """The person's own password (AU1). Raises ``InvitationRefused``
    (``password``, with ``password_problem``'s reason)."""
    user = found.user
    problem = password_problem(password, user.email)
    if problem:
        raise InvitationRefused("password", problem)
    user.password_hash = hash_password(password)
    record("account_changed", staff_id=user.id, target_staff_id=user.id, detail="password_set")


def complete(
    found: Found, secret: str, code: str, codes: list[str], now: dt.datetime, keyring: Keyring
) -> None:
    """Enrol ``secret`` once ``code`` proves the app holds it, store the
    recovery ``codes``, and use the link up. Raises ``InvitationRefused``:
    ``code`` (a wrong code: nothing changes), ``used`` (the link was used or
    expired in between)."""
    step = totp.accepted_step(secret, code, now, None)
    if step is None:
        raise InvitationRefused("code")
    claimed = db.session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.id == found.invitation.id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise InvitationRefused("used")
    user = found.user
    totp.enrol(user, secret, keyring)
    user.totp_last_step = step  # the code just typed cannot log in again
    recovery.store(user, codes, now, keyring)
    record("account_changed", staff_id=user.id, target_staff_id=user.id, detail="invitation_used")


def enrolled_with(found: Found, secret: str, keyring: Keyring) -> bool:
    """True when the account's TOTP secret is ``secret``: the same browser
    sending the last step twice (a double click) after it succeeded."""
    return found.user is not None and totp.secret_of(found.user, keyring) == secret
