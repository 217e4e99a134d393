"""A field officer moved out of a visit's area (another kecamatan list,
office or role) or deactivated sees the household no more, and the visit
goes back to nobody when a manager made the change (issue 12 §3 and §7):
``permissions.can_visit`` asks ``covers``; ``admin_actions.change`` and
``deactivate`` call ``field_assign.release_uncovered``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.accounts import set_districts
from portal.staff.models import StaffUser
from portal.tickets.models import TicketEvent
from tests.office import visit_fixtures as vf
from tests.office.test_field_officer import (
    ADDRESS,
    DISTRICT,
    OTHER_DISTRICT,
    assign,
    logged_in,
    officer,
    ticket,
)
from tests.staff.admin_helpers import act, csrf, field, manager, office_id

clean_limits, clock, scene = vf.clean_limits, vf.clock, vf.scene


def _unassigned(app, ticket_id: int) -> list[tuple]:
    """(staff_id, target_staff_id, detail) of the ``field_unassigned`` rows."""
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.staff_id, AuditEntry.target_staff_id, AuditEntry.detail)
                .where(AuditEntry.kind == "field_unassigned", AuditEntry.ticket_id == ticket_id)
                .order_by(AuditEntry.id)
            ).all()
        )


def _events(app, ticket_id: int) -> list[tuple]:
    with app.app_context():
        return list(
            db.session.execute(
                select(TicketEvent.actor, TicketEvent.public)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "field_unassigned")
                .order_by(TicketEvent.id)
            ).all()
        )


def _sent(app, scene, clock):
    """A covering officer, logged in, with the scene's visit assigned and open."""
    account = officer(app)
    client = logged_in(app, account, clock)
    assign(logged_in(app, scene.handler, clock), scene, account.id)
    page = client.get(f"/office/visits/{scene.reference}")
    assert page.status_code == 200 and ADDRESS in page.text
    return account, client


def _hidden_from(client, scene) -> None:
    page = f"/office/visits/{scene.reference}"
    for url in (page, f"{page}/record"):
        answer = client.get(url)
        assert answer.status_code in (302, 303, 403, 404), url
        assert ADDRESS not in answer.text
    listing = client.get("/office/visits")
    assert scene.reference not in listing.text


def _change(client, staff_id: int, **data):
    page = client.get(f"/office/admin/{staff_id}/change").text
    body = {"csrf_token": csrf(page), "seen": field(page, "seen"), **data}
    return client.post(f"/office/admin/{staff_id}/change", data=body)


def test_an_officer_whose_kecamatan_list_changed_sees_nothing(app, scene, clock):
    """Changed outside the admin pages (``set_districts``): the visit stays
    named on the ticket, but ``can_visit`` no longer lets the officer in."""
    account, client = _sent(app, scene, clock)
    with app.app_context(), transaction():
        user = db.session.get(StaffUser, account.id)
        set_districts(user, db.session.get(Office, user.office_id), [OTHER_DISTRICT])
    _hidden_from(client, scene)
    assert ticket(app, scene).field_officer_id == account.id


@pytest.mark.parametrize(
    "change",
    [
        {"role": "field_officer", "office": "dinsos-32.01", "districts": OTHER_DISTRICT},
        {"role": "field_officer", "office": "dinsos-32.73", "districts": "32.73.01"},
        {"role": "handler", "office": "dinsos-32.01", "districts": ""},
    ],
    ids=["kecamatan", "office", "role"],
)
def test_a_manager_moving_the_officer_takes_the_visit_back(app, scene, clock, change):
    account, client = _sent(app, scene, clock)
    admin_client, admin = manager(app, clock)
    data = {**change, "office": str(office_id(app, change["office"])), "village": ""}
    answer = _change(admin_client, account.id, **data)
    assert answer.status_code == 303, answer.text
    row = ticket(app, scene)
    assert (row.status, row.field_officer_id, row.field_assigned_at) == ("field_check", None, None)
    assert _unassigned(app, scene.ticket_id) == [(admin.id, account.id, "account_changed")]
    assert _events(app, scene.ticket_id) == [(f"staff:{admin.id}", False)]
    _hidden_from(client, scene)


def test_deactivating_the_officer_takes_the_visit_back(app, scene, clock):
    account, client = _sent(app, scene, clock)
    admin_client, admin = manager(app, clock)
    assert act(admin_client, account.id, "deactivate").status_code == 303
    assert ticket(app, scene).field_officer_id is None
    assert _unassigned(app, scene.ticket_id) == [(admin.id, account.id, "account_changed")]
    assert _events(app, scene.ticket_id) == [(f"staff:{admin.id}", False)]
    _hidden_from(client, scene)
    # Reactivated, the officer gets nothing back by themselves.
    assert act(admin_client, account.id, "reactivate").status_code == 303
    assert ticket(app, scene).field_officer_id is None


def test_a_change_that_still_covers_the_visit_keeps_it(app, scene, clock):
    account, client = _sent(app, scene, clock)
    admin_client, _ = manager(app, clock)
    data = {
        "role": "field_officer",
        "office": str(office_id(app, "dinsos-32.01")),
        "village": "",
        "districts": f"{OTHER_DISTRICT}, {DISTRICT}",
    }
    assert _change(admin_client, account.id, **data).status_code == 303
    assert ticket(app, scene).field_officer_id == account.id
    assert _unassigned(app, scene.ticket_id) == []
    assert ADDRESS in client.get(f"/office/visits/{scene.reference}").text
