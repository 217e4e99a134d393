"""The route matrix's probes for the field officers' routes (issue 12 §3),
used by ``tests/office/route_probes.py``. The world's "field officer Bogor"
covers Bogor A's kecamatan; sending them to the Bogor A ticket is set-up."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.permissions import district_of
from portal.tickets.models import Ticket
from tests.office import route_permission_fixtures as fx
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BOGOR_A

_serial = itertools.count(1)
OFFICER = "field officer Bogor"


@fx.in_ctx
def send(world, reference: str, officer_id: int | None) -> None:
    """Set-up, not an assignment: the ticket in the field check, the visit
    assigned to ``officer_id`` (None: to nobody)."""
    with transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        ticket.status = "field_check"
        ticket.assignee_id = None
        ticket.field_officer_id = officer_id


@fx.in_ctx
def officer_of(world, reference: str) -> int | None:
    return db.session.scalar(select(Ticket.field_officer_id).where(Ticket.reference == reference))


def bogor_officer(w) -> int:
    return w.clients[OFFICER][1].id


def covering(w, village: str) -> int:
    """A field officer of the ticket's office covering its kecamatan (made once)."""
    made = w.__dict__.setdefault("field_officers", {})
    if village not in made:
        with w.app.app_context():
            office_id = fx.ticket_office_id(w, w.refs[village])
            code = db.session.get(Office, office_id).code
        account = make_staff(w.app, "field_officer", office=code, districts=(district_of(village),))
        made[village] = account.id
    return made[village]


def assign_probe(w, client, csrf, account, village):
    ref = w.refs[village]
    officer = covering(w, village)
    send(w, ref, None)
    data = {"csrf_token": csrf, "version": fx.snapshot(w, ref)["version"]}
    data.update(officer=str(officer), key=f"probe-{next(_serial)}")
    response = client.post(f"/office/tickets/{ref}/field-officer", data=data)
    took = officer_of(w, ref) == officer
    return response, took, [("field_assigned", fx.ticket_id(w, ref), None)]


def list_probe(w, client, csrf, account, village):
    ref = w.refs[BOGOR_A]
    send(w, ref, bogor_officer(w))
    response = client.get("/office/visits")
    return response, response.status_code != 200 or ref in response.text, []


def _hidden_then(w, client, path: str):
    """The page while the ticket is not assigned (must not show), then while it is."""
    ref = w.refs[BOGOR_A]
    send(w, ref, None)
    unassigned = client.get(path.format(ref=ref))
    send(w, ref, bogor_officer(w))
    response = client.get(path.format(ref=ref))
    return ref, response, unassigned.status_code != 200


def page_probe(w, client, csrf, account, village):
    ref, response, hidden = _hidden_then(w, client, "/office/visits/{ref}")
    return response, hidden, [("visit_opened", fx.ticket_id(w, ref), None)]


def record_page_probe(w, client, csrf, account, village):
    ref, response, hidden = _hidden_then(w, client, "/office/visits/{ref}/record")
    return response, hidden, [("visit_form_opened", fx.ticket_id(w, ref), None)]


def record_probe(w, client, csrf, account, village):
    ref = w.refs[BOGOR_A]
    send(w, ref, bogor_officer(w))
    before = fx.snapshot(w, ref)
    page = client.get(f"/office/visits/{ref}/record")
    text = page.text if page.status_code == 200 else f'name="version" value="{before["version"]}"'
    data = {"csrf_token": csrf, **fx.visit_form_data(text, account.id, w.clock.now.date())}
    data.setdefault("key", f"probe-{next(_serial)}")
    response = client.post(f"/office/visits/{ref}/record", data=data)
    took = fx.snapshot(w, ref)["visits"] == before["visits"] + 1 and officer_of(w, ref) is None
    # Once recorded, the officer sees nothing of it.
    gone = client.get(f"/office/visits/{ref}").status_code != 200
    # The form's GET above is an opening of its own.
    rows = [("visit_form_opened", fx.ticket_id(w, ref), None)] if page.status_code == 200 else []
    return response, took and gone, [*rows, ("visit_recorded", fx.ticket_id(w, ref), None)]
