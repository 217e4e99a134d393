"""Staff sessions, held server-side (SECURITY.md AU2).

The browser's signed cookie carries a random 256-bit token, made new at every
login; the database keeps its SHA-256 with the start and last-seen times. A
session ends at logout, after ``STAFF_IDLE_MINUTES`` without a request, or
``STAFF_SESSION_HOURS`` after login, whichever comes first; an ended session's
cookie, replayed, opens nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from portal.audit.log import record
from portal.db import stored_utc
from portal.extensions import db
from portal.staff.models import StaffSession, StaffUser

#: Write ``last_seen_at`` at most this often (not on every request).
SEEN_RESOLUTION = dt.timedelta(seconds=60)


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def start_session(user: StaffUser, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(token_hash=_hash(token), staff_id=user.id, created_at=now, last_seen_at=now)
    )
    db.session.flush()
    return token


def resolve_session(
    token: str | None, now: dt.datetime, *, idle: dt.timedelta, absolute: dt.timedelta
) -> StaffUser | None:
    """The staff member of a live session, or None (the session is ended if it timed out)."""
    if not token:
        return None
    row = db.session.scalar(
        select(StaffSession).where(
            StaffSession.token_hash == _hash(token), StaffSession.ended_at.is_(None)
        )
    )
    if row is None:
        return None
    user = db.session.get(StaffUser, row.staff_id)
    last_seen, created = stored_utc(row.last_seen_at), stored_utc(row.created_at)
    if now - last_seen > idle or now - created > absolute or user is None or not user.active:
        row.ended_at = now
        return None
    if now - last_seen >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return user


def end_session(token: str | None, now: dt.datetime) -> None:
    if token:
        row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
        if row is not None and row.ended_at is None:
            row.ended_at = now
            record("logout", staff_id=row.staff_id, now=now)
