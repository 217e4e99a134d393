from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import BigId

ROLES = ("admin", "supervisor", "handler", "operator", "field_officer")


class StaffUser(db.Model):
    """A logged-in user of the back office. Operators belong to a village,
    handlers and supervisors to an office; field officers to a kab/kota
    office and the kecamatan they cover (``StaffArea``)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    village_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The TOTP secret (AES-GCM, bound to the account); no secret, no login.
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The last 30-second step a code was accepted for: a code works once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: The last completed login (password and code), for the admin's list.
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class StaffArea(db.Model):
    """A kecamatan a field officer covers (``regions.code`` at level 3,
    ``PP.RR.DD``): they may be sent to any village in it, and only there."""

    __tablename__ = "staff_areas"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    district_code: Mapped[str] = mapped_column(
        ForeignKey("regions.code"), primary_key=True, index=True
    )


class StaffInvitation(db.Model):
    """A link that lets a new (or reset) account set its own password and
    enrol TOTP. Only the SHA-256 of the link's random token is stored; it
    works once (``used_at``) and until ``expires_at`` (72 hours)."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(db.Model):
    """One of the 10 single-use codes given at TOTP enrolment, for a lost
    phone. Stored as a keyed digest (the codes are random, so a keyed hash is
    enough and lets a code be found without trying every row)."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(db.Model):
    """A logged-in browser. The cookie carries a random token; only its SHA-256
    is stored, so a database leak gives no usable session. Ending a session
    (logout, timeout) is recorded here, so a copied cookie dies with it."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailures(db.Model):
    """Failed logins (wrong passwords and codes) of one account from one
    address, or from every address (``address_key`` ``"*"``); see
    ``portal.staff.login``. Keyed by digests, not by the email or the
    address, and kept for unknown emails too, so a lock says nothing about
    whether an account exists."""

    __tablename__ = "staff_login_failures"

    account_key: Mapped[str] = mapped_column(String(22), primary_key=True)
    address_key: Mapped[str] = mapped_column(String(22), primary_key=True)
    #: Failures since the last lock (or success): the next lock comes at the limit.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: Locks so far: each one from an address lasts twice as long as the last.
    locks: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
