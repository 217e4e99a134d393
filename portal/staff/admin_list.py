"""The list of accounts at ``/office/admin``: the accounts the manager's
reach covers (``portal.staff.admin.account_filter``), filtered, a page at a
time, with whether each is locked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.admin import Scope, account_filter, locked_until
from portal.staff.models import StaffUser

PER_PAGE = 50


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    role: str = ""
    #: "1" active, "0" deactivated, "" both.
    active: str = ""
    office_id: int | None = None


@dataclass(frozen=True)
class Row:
    user: StaffUser
    office: Office | None
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    page: int
    has_next: bool


def fetch(
    reach: Scope, filters: AccountFilters, page: int, keyring: Keyring, now: dt.datetime
) -> Page:
    query = (
        select(StaffUser, Office)
        .outerjoin(Office, Office.id == StaffUser.office_id)
        .where(account_filter(reach))
    )
    if filters.q:
        needle = filters.q.lower()
        query = query.where(
            or_(
                func.lower(StaffUser.email).contains(needle, autoescape=True),
                func.lower(StaffUser.display_name).contains(needle, autoescape=True),
            )
        )
    if filters.role:
        query = query.where(StaffUser.role == filters.role)
    if filters.active in ("0", "1"):
        query = query.where(StaffUser.active.is_(filters.active == "1"))
    if filters.office_id:
        query = query.where(StaffUser.office_id == filters.office_id)
    rows = db.session.execute(
        query.order_by(func.lower(StaffUser.display_name), StaffUser.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    shown = rows[:PER_PAGE]
    locks = locked_until(keyring, [u for u, _ in shown], now)
    return Page(
        [Row(u, o, locks.get(u.id)) for u, o in shown],
        page,
        len(rows) > PER_PAGE,
    )
