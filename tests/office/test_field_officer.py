"""Field officers (issue 12 §3): a handler sends one to a ticket in the field
check; the officer sees the household only while the visit is theirs, records
it from the phone form, and sees nothing afterwards. Every assignment, opening
and record is an audit row."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets import field_assign
from portal.tickets.models import Evidence, FieldVisit, Ticket, TicketEvent
from portal.tickets.workflow import Actor, transition
from portal.web.office.field_assign import REFUSALS
from tests.factories import VILLAGE
from tests.office import visit_fixtures as vf
from tests.tickets.evidence_files import phone_jpeg

clean_limits, clock, scene = vf.clean_limits, vf.clock, vf.scene
log_in, make_staff = vf.log_in, vf.make_staff

DISTRICT = VILLAGE.rsplit(".", 1)[0]  # 32.01.01, the scene household's kecamatan
OTHER_DISTRICT = "32.01.02"
ADDRESS = "Jl. Melati No. 3"  # tests/factories.py: the household's address
MEMBER = "Siti Aminah"


def said(app, code: str) -> str:
    """The refusal as the page shows it (Indonesian, HTML-escaped)."""
    with app.test_request_context(), force_locale("id"):
        return str(escape(str(REFUSALS[code])))


def officer(app, office="dinsos-32.01", districts=(DISTRICT,)):
    return make_staff(app, "field_officer", office=office, districts=districts)


def logged_in(app, account, clock):
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    return client


def form_of(client, url: str) -> dict:
    return vf.visit_form_fields(client, url)


def assign(client, scene, officer_id=None, *, unassign=False):
    page = client.get(f"/office/tickets/{scene.reference}").text
    box = page.split('id="field-officer-title"')[1].split("</section>")[0]
    data = dict(vf.FORM_TOKEN.findall(box))  # the box's own csrf_token, key and version
    if unassign:
        data["unassign"] = "1"
    else:
        data["officer"] = str(officer_id)
    return client.post(f"/office/tickets/{scene.reference}/field-officer", data=data)


def ticket(app, scene) -> Ticket:
    with app.app_context():
        row = db.session.get(Ticket, scene.ticket_id)
        db.session.expunge(row)
        return row


def audit(app, kind: str) -> list[tuple]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.staff_id, AuditEntry.ticket_id, AuditEntry.target_staff_id)
                .where(AuditEntry.kind == kind)
                .order_by(AuditEntry.id)
            ).all()
        )


def visit_data(client, scene, officer_id, **over) -> dict:
    data = form_of(client, f"/office/visits/{scene.reference}/record")
    data.update(
        {
            "visited_on": scene.visited_on.isoformat(),
            "obs_floor_area_m2": "30",
            "obs_floor_material": "tanah",
            "obs_household_size": "3",
            "recommendation": "request_right",
            "notes": "Lantai tanah di dapur.",
        }
    )
    for name in ("wall", "roof"):
        data[f"obs_{name}_material"] = "same"
    for name in ("drinking_water", "lighting_source", "cooking_fuel", "toilet_facility"):
        data[f"obs_{name}"] = "same"
    data["obs_home_ownership"] = "unchecked"
    for i in range(1, 6):
        data[f"photo_{i}_type"] = "house_front"
    data.update(over)
    return data


def record(client, scene, data, files=None):
    body = dict(data)
    for name, (filename, content) in (files or {}).items():
        body[name] = (io.BytesIO(content), filename)
    return client.post(
        f"/office/visits/{scene.reference}/record", data=body, content_type="multipart/form-data"
    )


# Assignment rules ------------------------------------------------------------------------


def test_only_an_officer_who_covers_the_ticket_is_sent(app, scene, clock):
    good = officer(app)
    elsewhere = officer(app, districts=(OTHER_DISTRICT,))
    other_office = officer(app, office="dinsos-32.73", districts=("32.73.01",))
    inactive = officer(app)
    with app.app_context(), transaction():
        db.session.get(StaffUser, inactive.id).active = False
    handler = logged_in(app, scene.handler, clock)
    for wrong in (elsewhere, other_office, inactive, scene.handler):
        answer = assign(handler, scene, wrong.id)
        assert answer.status_code == 303
        page = handler.get(answer.headers["Location"]).text
        assert said(app, "not_covering") in page, wrong
        assert ticket(app, scene).field_officer_id is None
    assert audit(app, "field_assigned") == []
    # The select offers exactly the one who covers the ticket.
    page = handler.get(f"/office/tickets/{scene.reference}").text
    options = page.split('id="field-officer"')[1].split("</select>")[0]
    assert f'value="{good.id}"' in options
    for wrong in (elsewhere, other_office, inactive):
        assert f'value="{wrong.id}"' not in options

    version = ticket(app, scene).version
    assert assign(handler, scene, good.id).status_code == 303
    row = ticket(app, scene)
    assert (row.field_officer_id, row.version) == (good.id, version + 1)
    assert audit(app, "field_assigned") == [(scene.handler.id, scene.ticket_id, good.id)]
    with app.app_context():
        events = db.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == scene.ticket_id, TicketEvent.kind == "field_assigned"
            )
        ).all()
        assert [e.public for e in events] == [False]


def test_refused_outside_the_field_check_and_for_other_roles(app, scene, clock):
    good = officer(app)
    with app.app_context(), transaction():
        db.session.get(Ticket, scene.ticket_id).status = "in_review"
    handler = logged_in(app, scene.handler, clock)
    page = handler.get(f"/office/tickets/{scene.reference}").text
    assert 'id="field-officer-title"' not in page
    data = dict(vf.FORM_TOKEN.findall(page))
    data.update(officer=str(good.id), version=str(ticket(app, scene).version))
    answer = handler.post(f"/office/tickets/{scene.reference}/field-officer", data=data)
    assert said(app, "not_field_check") in handler.get(answer.headers["Location"]).text
    assert ticket(app, scene).field_officer_id is None
    with app.app_context():
        row = db.session.get(Ticket, scene.ticket_id)
        with pytest.raises(field_assign.FieldAssignRefused):
            field_assign.assign_field(row, db.session.get(StaffUser, good.id), _user(good))
    # A field officer or an operator may not send anyone.
    for role, place in (("field_officer", {"districts": (DISTRICT,)}), ("operator", {})):
        if role == "operator":
            account, home = make_staff(app, "operator", village=VILLAGE), "/office/"
        else:
            account = make_staff(app, role, office=scene.office_code, **place)
            home = "/office/visits"
        client = logged_in(app, account, clock)
        answer = client.post(
            f"/office/tickets/{scene.reference}/field-officer",
            data={**data, "csrf_token": vf.staff.token(client, home)},
        )
        assert answer.status_code == 403


def _user(account) -> StaffUser:
    return db.session.get(StaffUser, account.id)


def test_leaving_the_field_check_takes_the_visit_back(app, scene, clock):
    good = officer(app)
    handler = logged_in(app, scene.handler, clock)
    assign(handler, scene, good.id)
    with app.app_context(), transaction():
        row = db.session.get(Ticket, scene.ticket_id)
        transition(row, "needs_info", Actor.staff(scene.handler.id, "handler"), "Mohon KK.")
    assert ticket(app, scene).field_officer_id is None


# What the officer sees ------------------------------------------------------------------


def test_the_officer_sees_the_household_only_while_the_visit_is_theirs(app, scene, clock):
    first, second = officer(app), officer(app)
    neighbour = officer(app, districts=(OTHER_DISTRICT,))
    one, two = logged_in(app, first, clock), logged_in(app, second, clock)
    other = logged_in(app, neighbour, clock)
    page = f"/office/visits/{scene.reference}"

    assert one.get(page).status_code == 404  # not assigned yet
    assert one.get("/office/").headers["Location"].endswith("/office/visits")
    handler = logged_in(app, scene.handler, clock)
    assign(handler, scene, first.id)

    listing = one.get("/office/visits").text
    assert scene.reference in listing and "Kecamatan" in listing
    shown = one.get(page)
    assert shown.status_code == 200
    assert ADDRESS in shown.text and MEMBER in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    assert audit(app, "visit_opened") == [(first.id, scene.ticket_id, None)]
    for client in (two, other):  # not theirs; not their area
        assert client.get(page).status_code == 404
        assert scene.reference not in client.get("/office/visits").text
        assert client.get(f"{page}/record").status_code == 404

    assign(handler, scene, second.id)  # reassigned
    assert one.get(page).status_code == 404
    assert one.get(f"{page}/record").status_code == 404
    assert scene.reference not in one.get("/office/visits").text
    assert ADDRESS in two.get(page).text
    assert audit(app, "field_assigned")[-1] == (scene.handler.id, scene.ticket_id, second.id)

    answer = record(two, scene, visit_data(two, scene, second.id))
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/office/visits")
    for client in (one, two):
        assert client.get(page).status_code == 404
        assert client.get(f"{page}/record").status_code == 404
        assert scene.reference not in client.get("/office/visits").text
    row = ticket(app, scene)
    assert (row.status, row.field_officer_id) == ("field_check", None)
    assert audit(app, "visit_recorded") == [(second.id, scene.ticket_id, None)]
    with app.app_context():
        visit = db.session.scalar(select(FieldVisit))
        assert (visit.officer_id, visit.recorded_by_id) == (second.id, second.id)
    # The handler finds the visit on the ticket page and may verify.
    assert "Lantai tanah di dapur." in handler.get(f"/office/tickets/{scene.reference}").text
    with app.app_context(), transaction():
        row = db.session.get(Ticket, scene.ticket_id)
        transition(row, "verified", Actor.staff(scene.handler.id, "handler"))


def test_a_double_click_records_one_visit(app, scene, clock):
    good = officer(app)
    assign(logged_in(app, scene.handler, clock), scene, good.id)
    client = logged_in(app, good, clock)
    data = visit_data(client, scene, good.id)
    first = record(client, scene, data)
    second = record(client, scene, data)
    assert (first.status_code, second.status_code) == (303, 303)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FieldVisit)) == 1
    assert len(audit(app, "visit_recorded")) == 1


@pytest.mark.parametrize("keep", [True, False])
def test_the_visit_recorded_with_a_photo(app, scene, clock, keep):
    good = officer(app)
    assign(logged_in(app, scene.handler, clock), scene, good.id)
    client = logged_in(app, good, clock)
    form = client.get(f"/office/visits/{scene.reference}/record").text
    assert 'capture="environment"' in form and 'accept="image/*"' in form
    assert 'name="officer"' in form and "<select" in form  # no officer select: a hidden value
    assert 'id="officer"' not in form
    data = visit_data(client, scene, good.id, **({"keep_gps": "y"} if keep else {}))
    answer = record(client, scene, data, {"photo_1": ("rumah.jpg", phone_jpeg())})
    assert answer.status_code == 303, answer.text
    with app.app_context():
        photos = db.session.scalars(select(Evidence).where(Evidence.field_visit_id.is_not(None)))
        (photo,) = photos.all()
        assert photo.media_type == "image/jpeg"
        assert (photo.gps_enc is not None) is keep


def test_a_refused_photo_keeps_what_was_typed(app, scene, clock):
    good = officer(app)
    assign(logged_in(app, scene.handler, clock), scene, good.id)
    client = logged_in(app, good, clock)
    data = visit_data(client, scene, good.id, notes="Dinding retak di belakang.")
    answer = record(client, scene, data, {"photo_1": ("rumah.jpg", b"not an image at all")})
    assert answer.status_code == 400
    assert "Dinding retak di belakang." in answer.text
    assert 'value="30"' in answer.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FieldVisit)) == 0
    assert ticket(app, scene).field_officer_id == good.id


def test_the_handler_still_records_a_visit_and_may_name_the_officer(app, scene, clock):
    good = officer(app)
    handler = logged_in(app, scene.handler, clock)
    assign(handler, scene, good.id)
    url = f"/office/tickets/{scene.reference}/visit"
    data = vf.filled(handler, url, scene, officer=str(good.id))
    assert handler.post(url, data=data).status_code == 303
    with app.app_context():
        visit = db.session.scalar(select(FieldVisit))
        assert (visit.officer_id, visit.recorded_by_id) == (good.id, scene.handler.id)
    assert ticket(app, scene).field_officer_id is None
    assert audit(app, "field_visit") == [(scene.handler.id, scene.ticket_id, None)]


def test_a_double_click_assigns_once_and_the_visit_can_be_taken_back(app, scene, clock):
    good = officer(app)
    handler = logged_in(app, scene.handler, clock)
    page = handler.get(f"/office/tickets/{scene.reference}").text
    box = page.split('id="field-officer-title"')[1].split("</section>")[0]
    data = {**dict(vf.FORM_TOKEN.findall(box)), "officer": str(good.id)}
    url = f"/office/tickets/{scene.reference}/field-officer"
    first, second = handler.post(url, data=data), handler.post(url, data=data)
    assert (first.status_code, second.status_code) == (303, 303)
    assert audit(app, "field_assigned") == [(scene.handler.id, scene.ticket_id, good.id)]
    with handler.session_transaction() as flashed:  # the second click is not "changed since"
        assert all(category != "error" for category, _ in flashed.get("_flashes", []))

    client = logged_in(app, good, clock)
    assert client.get(f"/office/visits/{scene.reference}").status_code == 200
    answer = assign(handler, scene, unassign=True)
    assert answer.status_code == 303
    assert ticket(app, scene).field_officer_id is None
    assert audit(app, "field_unassigned") == [(scene.handler.id, scene.ticket_id, good.id)]
    assert client.get(f"/office/visits/{scene.reference}").status_code == 404


def test_opening_the_visit_form_is_an_audit_row(app, scene, clock):
    """The form shows the registry's reading of the household: each showing
    of it is a ``visit_form_opened`` row, none for an officer it is not for."""
    good, neighbour = officer(app), officer(app, districts=(OTHER_DISTRICT,))
    assign(logged_in(app, scene.handler, clock), scene, good.id)
    url = f"/office/visits/{scene.reference}/record"
    assert logged_in(app, neighbour, clock).get(url).status_code == 404
    assert audit(app, "visit_form_opened") == []
    client = logged_in(app, good, clock)
    assert client.get(url).status_code == 200
    assert audit(app, "visit_form_opened") == [(good.id, scene.ticket_id, None)]
    # A refused form is shown again, and so is one more opening.
    data = visit_data(client, scene, good.id, obs_floor_area_m2="lots")
    assert record(client, scene, data).status_code == 400
    assert audit(app, "visit_form_opened") == [(good.id, scene.ticket_id, None)] * 3
    assert audit(app, "visit_opened") == []
