"""Probes of the staff administration routes for the route matrix
(tests/office/test_route_permissions.py): each account-page route acts on
a village operator of the probe's village, so a supervisor's reach over
accounts follows the same villages as their reach over tickets (an admin
reaches every account, as no ticket)."""

from __future__ import annotations

import itertools
import re

from lokal import wilayah
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from tests.office import route_permission_fixtures as fx
from tests.staff.conftest import make_staff

_serial = itertools.count(1)
CHANGED = [("account_changed", None, None)]


def _sibling(village: str) -> str:
    """Another village of the same kab/kota (a change that stays in the region)."""
    regency = village[:5] + "."
    return next(v for v in sorted(wilayah._desa()) if v.startswith(regency) and v != village)


def _operator(w, village: str) -> int:
    """The village's operator, made once per world, reset to active in ``village``."""
    made = w.__dict__.setdefault("operators", {})
    if village not in made:
        made[village] = make_staff(w.app, "operator", village=village).id
    with w.app.app_context(), transaction():
        user = db.session.get(StaffUser, made[village])
        user.active, user.role, user.village_code, user.office_id = True, "operator", village, None
    return made[village]


@fx.in_ctx
def _state(w, staff_id: int) -> tuple:
    user = db.session.get(StaffUser, staff_id)
    return user.active, user.village_code


def _seen(client, staff_id: int) -> str:
    page = client.get(f"/office/admin/{staff_id}")
    found = re.search(r'name="seen"[^>]*?value="([^"]*)"', page.text)
    return found.group(1) if found else ""


def admin_list(w, client, csrf, account, village):
    return client.get("/office/admin"), True, []


def admin_new_page(w, client, csrf, account, village):
    return client.get("/office/admin/new"), True, []


@fx.in_ctx
def _village_in_reach(w, staff_id: int) -> str:
    """A probe village inside the account's region (any for others)."""
    user = db.session.get(StaffUser, staff_id) if staff_id else None
    office = db.session.get(Office, user.office_id) if user and user.office_id else None
    prefix = office.region_code if office is not None and office.region_code else ""
    return next(v for v in fx.VILLAGES if v.startswith(prefix))


def admin_new(w, client, csrf, account, village):
    email = f"probe{next(_serial)}@example.go.id"
    data = {"csrf_token": csrf, "key": f"probe-key-{next(_serial):08d}", "email": email}
    data.update(name="Operator Uji", role="operator", village=_village_in_reach(w, account.id))
    response = client.post("/office/admin/new", data=data)
    with w.app.app_context():
        took = db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None
    return response, took, CHANGED * 2  # created:operator, invited


def admin_account(w, client, csrf, account, village):
    return client.get(f"/office/admin/{_operator(w, village)}"), True, []


def admin_change_page(w, client, csrf, account, village):
    return client.get(f"/office/admin/{_operator(w, village)}/change"), True, []


def admin_change(w, client, csrf, account, village):
    target, elsewhere = _operator(w, village), _sibling(village)
    data = {"csrf_token": csrf, "seen": _seen(client, target), "role": "operator"}
    data.update(village=elsewhere, office="")
    response = client.post(f"/office/admin/{target}/change", data=data)
    return response, _state(w, target) == (True, elsewhere), CHANGED


def admin_action(w, client, csrf, account, village):
    target = _operator(w, village)
    data = {"csrf_token": csrf, "seen": _seen(client, target)}
    response = client.post(f"/office/admin/{target}/deactivate", data=data)
    return response, _state(w, target)[0] is False, CHANGED


PROBES = {
    ("GET", "/office/admin"): admin_list,
    ("GET", "/office/admin/new"): admin_new_page,
    ("POST", "/office/admin/new"): admin_new,
    ("GET", "/office/admin/<int:staff_id>"): admin_account,
    ("GET", "/office/admin/<int:staff_id>/change"): admin_change_page,
    ("POST", "/office/admin/<int:staff_id>/change"): admin_change,
    ("POST", "/office/admin/<int:staff_id>/<action>"): admin_action,
}
