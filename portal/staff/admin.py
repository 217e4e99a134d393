"""Staff administration (issue 12 §7): who may manage which accounts, and
the changes they may make. Every change is an audit row
(``account_changed``, ``staff_id`` the actor, ``target_staff_id`` the
account) in the caller's transaction.

Who manages whom, stated once (``scope``), and used both to list accounts
and to find one, so the two cannot drift:

- an admin: every account;
- a supervisor: the accounts of their region's offices, never an admin's.
  A national supervisor: every office. A province supervisor: the province
  office, the kab/kota offices of the province (with their field
  officers), and the operators of its villages. A kab/kota supervisor: their
  own office and the operators of its villages.

A supervisor can never create or promote an admin, nor reset the
authenticator and password of a supervisor's account (``may_reset``: the
reset shows the manager the new link), nor change a supervisor's role
(demote, reset, promote back would be the same takeover). The changes to an existing account
are in ``admin_actions``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable

from sqlalchemy import and_, false, func, or_, select, true

from portal.audit.log import record
from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import DISTRICT, VILLAGE, Office, Region
from portal.staff import invitations, login
from portal.staff.accounts import create_staff, normalise_email
from portal.staff.models import (
    ROLES,
    LoginFailures,
    StaffArea,
    StaffInvitation,
    StaffUser,
)

MANAGERS = ("admin", "supervisor")
#: Roles that work at an office (operators belong to a village instead).
OFFICE_ROLES = ("handler", "supervisor", "field_officer")


class AdminRefused(ValueError):
    """A change the actor may not make, or that breaks a rule; ``code`` says
    which, ``field`` which form field it concerns (None: the whole form)."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


@dataclasses.dataclass(frozen=True)
class Scope:
    """The actor's reach: ``everyone`` (an admin), or every account but
    admins' under ``prefix`` (a region code; "" for the whole country)."""

    everyone: bool
    prefix: str = ""

    def covers_code(self, code: str | None) -> bool:
        if self.everyone or self.prefix == "":
            return True
        return code is not None and (code == self.prefix or code.startswith(self.prefix + "."))


def scope(actor: StaffUser, office: Office | None) -> Scope | None:
    """None: the actor manages no account."""
    if actor.role == "admin":
        return Scope(everyone=True)
    if actor.role == "supervisor" and office is not None:
        return Scope(everyone=False, prefix=office.region_code or "")
    return None


def account_filter(reach: Scope | None):
    """The accounts ``reach`` covers (a query joined outer to their Office)."""
    if reach is None:
        return false()
    if reach.everyone:
        return true()
    not_admin = StaffUser.role != "admin"
    if reach.prefix == "":
        return not_admin
    p = reach.prefix
    return and_(
        not_admin,
        or_(
            Office.region_code == p,
            Office.region_code.like(p + ".%"),
            StaffUser.village_code.like(p + ".%"),
        ),
    )


def manageable(reach: Scope | None, staff_id: int) -> StaffUser | None:
    """The account ``staff_id`` when ``reach`` covers it, else None (a 404)."""
    return db.session.scalar(
        select(StaffUser)
        .outerjoin(Office, Office.id == StaffUser.office_id)
        .where(StaffUser.id == staff_id, account_filter(reach))
    )


#: The accounts a supervisor may reset (authenticator and password): a reset
#: shows the manager the new invitation link, so resetting a peer
#: supervisor's account would let them take it over; only an admin may.
SUPERVISOR_RESETS = ("handler", "operator", "field_officer")


def may_reset(actor: StaffUser, target: StaffUser) -> bool:
    """May ``actor`` (who reaches ``target``: ``manageable``) reset its
    authenticator and password: an admin any account, a supervisor only
    ``SUPERVISOR_RESETS``."""
    return actor.role == "admin" or (
        actor.role == "supervisor" and target.role in SUPERVISOR_RESETS
    )


def assignable_roles(reach: Scope) -> tuple[str, ...]:
    return ROLES if reach.everyone else tuple(r for r in ROLES if r != "admin")


def offices_in(reach: Scope) -> list[Office]:
    """The offices ``reach`` covers: the national office, then provinces, then
    kab/kota offices, each by region code."""
    rows = db.session.scalars(select(Office)).all()
    order = {"national": 0, "province": 1}
    rows = sorted(rows, key=lambda o: (order.get(o.level, 2), o.region_code or ""))
    return [o for o in rows if reach.covers_code(o.region_code)]


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where an account works: checked by ``place``."""

    role: str
    office: Office | None
    village_code: str | None
    districts: tuple[str, ...]


def place(
    reach: Scope,
    role: str,
    office_id: int | None,
    village_code: str | None,
    districts: Iterable[str],
) -> Placement:
    """The placement asked for, checked against the rules of ``create_staff``
    and the actor's reach; raises ``AdminRefused`` (code, field)."""
    if role not in assignable_roles(reach):
        raise AdminRefused("role", "role")
    office = db.session.get(Office, office_id) if office_id else None
    if office is not None and not reach.covers_code(office.region_code):
        raise AdminRefused("office_scope", "office")
    if role == "operator":
        code = (village_code or "").strip()
        if not code:
            raise AdminRefused("village_needed", "village")
        level = db.session.scalar(select(Region.level).where(Region.code == code))
        if level != VILLAGE:
            raise AdminRefused("village_unknown", "village")
        if not reach.covers_code(code):
            raise AdminRefused("village_scope", "village")
        return Placement(role, None, code, ())
    if role in OFFICE_ROLES and office is None:
        raise AdminRefused("office_needed", "office")
    if role != "field_officer":
        return Placement(role, office, None, ())
    if office.level != "regency" or not office.region_code:
        raise AdminRefused("office_regency", "office")
    codes = tuple(sorted({c.strip() for c in districts if c.strip()}))
    if not codes:
        raise AdminRefused("districts_needed", "districts")
    known = set(
        db.session.scalars(
            select(Region.code).where(Region.code.in_(codes), Region.level == DISTRICT)
        )
    )
    if any(c not in known or not c.startswith(office.region_code + ".") for c in codes):
        raise AdminRefused("district_bad", "districts")
    return Placement(role, office, None, codes)


def create_account(
    actor: StaffUser,
    email: str,
    name: str,
    placement: Placement,
    now: dt.datetime,
    hours: int,
    token: str,
) -> StaffUser:
    """A new account without a usable password or TOTP, and an invitation
    link with ``token`` (``invitations.token_for``). Raises
    ``AdminRefused("email_taken", "email")``."""
    email = normalise_email(email)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise AdminRefused("email_taken", "email")
    user = create_staff(
        email=email,
        display_name=name,
        role=placement.role,
        password=None,
        office=placement.office,
        village_code=placement.village_code,
        districts=placement.districts,
        created_by=actor.id,
    )
    invitations.issue(user, actor.id, now, hours, token)
    record("account_changed", staff_id=actor.id, target_staff_id=user.id, detail="invited")
    return user


def districts_of(staff_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(StaffArea.district_code)
            .where(StaffArea.staff_id == staff_id)
            .order_by(StaffArea.district_code)
        )
    )


def fingerprint(user: StaffUser, keyring: Keyring) -> str:
    """The account as a page showed it: an action sent with an older
    fingerprint (a second click, or another manager's change in between)
    changes nothing."""
    invitation = db.session.scalar(
        select(func.max(StaffInvitation.id)).where(StaffInvitation.staff_id == user.id)
    )
    failures = db.session.scalar(
        select(func.count())
        .select_from(LoginFailures)
        .where(LoginFailures.account_key == login.attempt(keyring, user.email, "").account_key)
    )
    state = (
        user.role,
        user.office_id,
        user.village_code,
        bool(user.active),
        user.totp_secret_enc is not None,
        districts_of(user.id),
        invitation,
        failures,
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:32]


def locked_until(
    keyring: Keyring, users: list[StaffUser], now: dt.datetime
) -> dict[int, dt.datetime]:
    """Account id → the end of its longest lock in force (from any address)."""
    keys = {login.attempt(keyring, u.email, "").account_key: u.id for u in users}
    rows = db.session.execute(
        select(LoginFailures.account_key, func.max(LoginFailures.locked_until))
        .where(LoginFailures.account_key.in_(keys), LoginFailures.locked_until > now)
        .group_by(LoginFailures.account_key)
    ).all()
    return {keys[key]: until for key, until in rows}
