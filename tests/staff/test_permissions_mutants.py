"""A supervisor attached to a kab/kota office (docs/testing.md, mutation testing).

The matrix in test_permissions.py has supervisors at province and national
offices only. A supervisor at a Dinas Sosial must not get a province-style
view of every village whose code starts with the office's region: a Bogor
ticket that was moved to Bandung's office is not Bogor's to see.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.staff.permissions import can_see_ticket, ticket_filter
from portal.tickets.models import Ticket
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BANDUNG, BOGOR_A
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")


def test_a_kabkota_supervisor_sees_no_ticket_of_another_office_in_its_region(app, app_ctx, keyring):
    bandung_office = db.session.scalar(select(Office).where(Office.code == "dinsos-32.73"))
    moved = submit(keyring, answers(village_code=BOGOR_A)).ticket_id
    with transaction():
        db.session.get(Ticket, moved).office_id = bandung_office.id
    elsewhere = submit(keyring, answers(village_code=BANDUNG)).ticket_id

    account = make_staff(app, "supervisor", office="dinsos-32.01")
    user = db.session.get(StaffUser, account.id)
    office = db.session.get(Office, user.office_id)
    assert office.level == "regency" and office.region_code == "32.01"
    for ticket_id in (moved, elsewhere):
        assert can_see_ticket(user, office, db.session.get(Ticket, ticket_id)) is False
    listed = db.session.scalars(select(Ticket.id).where(ticket_filter(user, office))).all()
    assert moved not in listed and elsewhere not in listed


def test_a_village_code_on_a_supervisor_does_not_narrow_the_list(app, app_ctx, keyring):
    """Only an operator's view is their village; the list and the one-ticket
    check must agree for any account the admin can create."""
    tickets = {v: submit(keyring, answers(village_code=v)).ticket_id for v in (BOGOR_A, BANDUNG)}
    account = make_staff(app, "supervisor", office="prov-32", village=BOGOR_A)
    user = db.session.get(StaffUser, account.id)
    office = db.session.get(Office, user.office_id)
    listed = db.session.scalars(select(Ticket.id).where(ticket_filter(user, office))).all()
    assert sorted(listed) == sorted(tickets.values())
    for ticket_id in tickets.values():
        assert can_see_ticket(user, office, db.session.get(Ticket, ticket_id)) is True
