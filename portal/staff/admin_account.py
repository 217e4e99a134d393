"""What one account's page at ``/office/admin/<id>`` reads besides the
account: its latest invitation link and that link's state, and the history
of changes made to it (its ``account_changed`` audit rows)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import stored_utc
from portal.extensions import db
from portal.staff import invitations
from portal.staff.models import StaffInvitation, StaffUser

#: The history rows an account's page shows, newest first.
HISTORY_ROWS = 20


def latest_invitation(staff_id: int) -> StaffInvitation | None:
    return db.session.scalar(
        select(StaffInvitation)
        .where(StaffInvitation.staff_id == staff_id)
        .order_by(StaffInvitation.id.desc())
        .limit(1)
    )


def invitation_state(invitation: StaffInvitation | None, now: dt.datetime) -> str | None:
    """``invitations.OK``, ``USED`` or ``EXPIRED``; None without a link."""
    if invitation is None:
        return None
    if invitation.used_at is not None:
        return invitations.USED
    return invitations.OK if stored_utc(invitation.expires_at) > now else invitations.EXPIRED


def history(staff_id: int) -> list[tuple[dt.datetime, str | None, str | None]]:
    """(when, detail code, who made it: their display name) of the changes
    made to the account, newest first."""
    rows = db.session.execute(
        select(AuditEntry.at, AuditEntry.detail, StaffUser.display_name)
        .outerjoin(StaffUser, StaffUser.id == AuditEntry.staff_id)
        .where(AuditEntry.target_staff_id == staff_id, AuditEntry.kind == "account_changed")
        .order_by(AuditEntry.id.desc())
        .limit(HISTORY_ROWS)
    ).all()
    return [(at, detail, by) for at, detail, by in rows]
