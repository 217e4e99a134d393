"""The changes a manager makes to an account (``/office/admin``), each an
audit row (``account_changed``: ``staff_id`` the actor, ``target_staff_id``
the account) in the caller's transaction. Who may change which account is
``portal.staff.admin`` (the view finds the account through ``manageable``
first); the rules kept here: nobody acts on their own account, the last
active admin stays an active admin, and a field officer who is moved or
deactivated loses the visits they no longer cover
(``field_assign.release_uncovered``). Deactivating also ends the account's
sessions and unused invitation links.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select, update

from portal.audit.log import record
from portal.crypto import Keyring
from portal.extensions import db
from portal.staff import invitations, login, recovery
from portal.staff.accounts import hash_password, set_districts
from portal.staff.admin import AdminRefused, Placement, districts_of, may_reset
from portal.staff.models import StaffArea, StaffSession, StaffUser
from portal.tickets import field_assign


def _audit(actor: StaffUser, target: StaffUser, detail: str, now: dt.datetime) -> None:
    record("account_changed", staff_id=actor.id, target_staff_id=target.id, detail=detail, now=now)


def _not_self(actor: StaffUser, target: StaffUser) -> None:
    if actor.id == target.id:
        raise AdminRefused("self")


def _keep_an_admin(target: StaffUser) -> None:
    """Refuse when ``target`` is the only active admin (the rows locked on
    PostgreSQL, so two admins removing each other cannot both succeed)."""
    if target.role != "admin" or not target.active:
        return
    admins = db.session.scalars(
        select(StaffUser.id)
        .where(StaffUser.role == "admin", StaffUser.active)
        .order_by(StaffUser.id)
        .with_for_update()
    ).all()
    if [i for i in admins if i != target.id] == []:
        raise AdminRefused("last_admin")


def end_sessions(staff_id: int, now: dt.datetime) -> None:
    """Every open session of the account ends: its cookies open nothing."""
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def deactivate(actor: StaffUser, target: StaffUser, now: dt.datetime) -> None:
    _not_self(actor, target)
    _keep_an_admin(target)
    target.active = False
    end_sessions(target.id, now)
    invitations.end_unused(target, now)
    field_assign.release_uncovered(target, actor, now)
    _audit(actor, target, "deactivated", now)


def reactivate(actor: StaffUser, target: StaffUser, now: dt.datetime) -> None:
    _not_self(actor, target)
    target.active = True
    _audit(actor, target, "reactivated", now)


def reset_totp(
    actor: StaffUser, target: StaffUser, now: dt.datetime, hours: int, token: str
) -> None:
    """The authenticator and recovery codes are forgotten and the password
    too (a random one nobody knows); the sessions end. The person sets both
    again through a new invitation link with ``token``. Only an admin
    resets a supervisor's account (``admin.may_reset``)."""
    _not_self(actor, target)
    if not may_reset(actor, target):
        raise AdminRefused("reset_supervisor")
    target.totp_secret_enc = None
    target.totp_last_step = None
    target.password_hash = hash_password(secrets.token_urlsafe(32))
    recovery.clear(target)
    end_sessions(target.id, now)
    invitations.issue(target, actor.id, now, hours, token)
    _audit(actor, target, "totp_reset", now)


def unlock(actor: StaffUser, target: StaffUser, keyring: Keyring, now: dt.datetime) -> None:
    login.unlock(keyring, target.email)
    _audit(actor, target, "unlocked", now)


def change(actor: StaffUser, target: StaffUser, placement: Placement, now: dt.datetime) -> bool:
    """Move the account to ``placement`` (already checked by ``place``):
    one audit row for a new role (``role:<role>``), one for a new office,
    village or kecamatan list (``office``). False when nothing changed."""
    _not_self(actor, target)
    new_role = placement.role != target.role
    if new_role and actor.role != "admin" and target.role == "supervisor":
        # Demoting a peer, resetting them (``may_reset``) and promoting them
        # back would hand a supervisor the peer's account: an admin's call.
        raise AdminRefused("supervisor_role")
    if new_role and target.role == "admin":
        _keep_an_admin(target)
    office_id = placement.office.id if placement.office is not None else None
    new_place = (
        office_id != target.office_id
        or placement.village_code != target.village_code
        or list(placement.districts) != districts_of(target.id)
    )
    target.role = placement.role
    target.office_id = office_id
    target.village_code = placement.village_code
    if placement.role == "field_officer":
        set_districts(target, placement.office, placement.districts)
    elif new_place or new_role:
        db.session.execute(delete(StaffArea).where(StaffArea.staff_id == target.id))
    # A field officer's visits they no longer cover go back to nobody.
    field_assign.release_uncovered(target, actor, now)
    if new_role:
        _audit(actor, target, f"role:{placement.role}", now)
    if new_place:
        _audit(actor, target, "office", now)
    db.session.flush()
    return new_role or new_place
