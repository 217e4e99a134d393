"""Probes of the partner API keys page (``/office/admin/partners``) for the
route matrix (tests/office/test_route_permissions.py): admins only. Each
probe makes the partner it acts on, active, so every account meets the
same state."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.partners.manage import create_partner
from portal.partners.models import Partner
from tests.office import route_permission_fixtures as fx

_serial = itertools.count(1)


def _partner(w) -> int:
    with w.app.app_context(), transaction():
        partner, _ = create_partner(f"probe-{next(_serial)}", now=dt.datetime.now(dt.UTC))
        return partner.id


@fx.in_ctx
def _revoked(w, partner_id: int) -> bool:
    return db.session.get(Partner, partner_id).revoked_at is not None


def partners_list(w, client, csrf, account, village):
    return client.get("/office/admin/partners"), True, []


def partner_new_page(w, client, csrf, account, village):
    return client.get("/office/admin/partners/new"), True, []


def partner_new(w, client, csrf, account, village):
    name = f"probe-new-{next(_serial)}"
    response = client.post("/office/admin/partners/new", data={"csrf_token": csrf, "name": name})
    with w.app.app_context():
        took = db.session.scalar(select(Partner.id).where(Partner.name == name)) is not None
    return response, took, [("partner_created", None, None)]


def partner_revoke_page(w, client, csrf, account, village):
    return client.get(f"/office/admin/partners/{_partner(w)}/revoke"), True, []


def partner_revoke(w, client, csrf, account, village):
    partner_id = _partner(w)
    response = client.post(f"/office/admin/partners/{partner_id}/revoke", data={"csrf_token": csrf})
    return response, _revoked(w, partner_id), [("partner_revoked", None, None)]


PROBES = {
    ("GET", "/office/admin/partners"): partners_list,
    ("GET", "/office/admin/partners/new"): partner_new_page,
    ("POST", "/office/admin/partners/new"): partner_new,
    ("GET", "/office/admin/partners/<int:partner_id>/revoke"): partner_revoke_page,
    ("POST", "/office/admin/partners/<int:partner_id>/revoke"): partner_revoke,
}
