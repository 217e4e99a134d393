"""Recording a field visit through the office page (issue 10 §4, field check):
findings registry vs observed, photos through the residents' upload checks,
the refusals, idempotency, permissions, the audit row and the ticket page's
section; and the guard that objections need a visit before verified."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.tickets import evidence, visits
from portal.tickets.models import Evidence, FieldVisit, Ticket, TicketEvent
from portal.tickets.workflow import Actor, InvalidTransition, transition
from portal.web.office.tickets import sections_for
from tests.factories import VILLAGE
from tests.office import visit_fixtures as vf
from tests.tickets.evidence_files import phone_jpeg

# The fixtures this module uses (tests/office/visit_fixtures.py).
clean_limits, clock, scene = vf.clean_limits, vf.clock, vf.scene
filled, log_in, make_staff = vf.filled, vf.log_in, vf.make_staff


def utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def url(scene) -> str:
    return f"/office/tickets/{scene.reference}/visit"


def logged_in(client, account, clock):
    assert log_in(client, account, clock).status_code == 303
    return client


def send(client, scene, data: dict, files: dict | None = None):
    body = dict(data)
    for name, (filename, content) in (files or {}).items():
        body[name] = (io.BytesIO(content), filename)
    return client.post(url(scene), data=body, content_type="multipart/form-data")


def visit_rows(app):
    with app.app_context():
        return list(db.session.scalars(select(FieldVisit)))


def test_a_visit_is_recorded_with_its_findings_and_photos(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    data = filled(client, url(scene), scene)
    version = int(data["version"])

    answer = send(client, scene, data, {"photo_1": ("rumah.jpg", phone_jpeg())})

    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/office/tickets/{scene.reference}"
    [visit] = visit_rows(app)
    with app.app_context():
        assert visit.visited_on == scene.visited_on
        assert (visit.officer_id, visit.recorded_by_id) == (scene.handler.id, scene.handler.id)
        assert visit.recommendation == "request_right"
        assert utc(visit.created_at) == clock.now  # the office's clock
        findings = {f.variable: f for f in visits.findings_of(visit)}
        # By hand: the registry CSV (tests/factories.person) says 36 m², cement, 3 members.
        assert (findings["floor_area_m2"].registry, findings["floor_area_m2"].observed) == (36, 30)
        assert findings["floor_area_m2"].matches is False
        assert (findings["floor_material"].registry, findings["floor_material"].observed) == (
            "semen",
            "tanah",
        )
        assert findings["floor_material"].matches is False
        assert (findings["wall_material"].observed, findings["wall_material"].matches) == (
            "tembok",
            True,
        )
        assert (findings["home_ownership"].observed, findings["home_ownership"].matches) == (
            None,
            None,
        )
        assert (findings["household_size"].registry, findings["household_size"].matches) == (
            3,
            True,
        )
        assert visits.notes_of(visit) == "Lantai tanah di dapur dan kamar."
        assert b"tanah" not in visit.findings_enc  # stored encrypted

        [photo] = db.session.scalars(select(Evidence).where(Evidence.ticket_id == scene.ticket_id))
        assert (photo.field_visit_id, photo.doc_type, photo.media_type) == (
            visit.id,
            "house_front",
            "image/jpeg",
        )
        stored = evidence.read_stored(photo.stored_name)
        assert b"BudiPhone" not in stored and b"XMP-SECRET" not in stored
        assert not Image.open(io.BytesIO(stored)).getexif()
        assert photo.gps_enc is None

        ticket = db.session.get(Ticket, scene.ticket_id)
        assert ticket.version == version + 1
        [event] = db.session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "field_visit")
        ).all()
        assert (event.public, event.actor) == (False, f"staff:{scene.handler.id}")
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "field_visit"))
        assert (entry.staff_id, entry.ticket_id) == (scene.handler.id, scene.ticket_id)


def test_the_form_shows_the_registry_and_preselects_it(client, scene, clock):
    logged_in(client, scene.handler, clock)
    page = client.get(url(scene)).text
    assert '<option selected value="same">Sama dengan data DTSEN (Semen/bata merah)' in page
    assert 'name="obs_floor_area_m2" type="text" value="36"' in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page
    assert page.count('type="file"') == 5  # MAX_FILES_PER_TICKET, as for residents
    today = (scene.visited_on + dt.timedelta(days=1)).isoformat()
    assert f'name="visited_on" required type="date" value="{today}"' in page


def test_outside_the_field_check_nothing_is_recorded(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    data = filled(client, url(scene), scene)
    with app.app_context(), transaction():
        db.session.get(Ticket, scene.ticket_id).status = "in_review"

    answer = send(client, scene, data)

    assert answer.status_code == 409
    assert "field check" in answer.text or "pemeriksaan lapangan" in answer.text
    assert visit_rows(app) == []
    assert client.get(url(scene)).status_code == 409


def test_a_refused_photo_keeps_everything_typed_and_stores_nothing(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    data = filled(client, url(scene), scene, notes="Dinding retak di sisi timur.")

    answer = send(
        client,
        scene,
        data,
        {"photo_1": ("a.jpg", phone_jpeg()), "photo_2": ("b.jpg", b"not a picture at all")},
    )

    assert answer.status_code == 400
    page = answer.text
    assert 'class="error-summary"' in page and 'href="#photo_2"' in page
    assert "Dinding retak di sisi timur." in page
    assert f'value="{scene.visited_on.isoformat()}"' in page
    assert '<option selected value="tanah">' in page
    assert 'name="obs_floor_area_m2" type="text" value="30"' in page
    assert f'name="key" type="hidden" value="{data["key"]}"' in page  # the same send
    assert visit_rows(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visited_on", "tomorrow"),
        ("obs_floor_area_m2", "-3"),
        ("obs_floor_material", "emas"),
        ("recommendation", "maybe"),
    ],
)
def test_bad_answers_are_refused_on_the_page(app, client, scene, clock, field, value):
    logged_in(client, scene.handler, clock)
    answer = send(client, scene, filled(client, url(scene), scene, **{field: value}))
    assert answer.status_code == 400
    assert f'href="#{field}"' in answer.text
    assert visit_rows(app) == []


def test_a_date_in_the_future_or_before_the_request_is_refused(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    tomorrow = scene.visited_on + dt.timedelta(days=2)
    before = scene.visited_on - dt.timedelta(days=5)
    for day in (tomorrow, before):
        answer = send(client, scene, filled(client, url(scene), scene, visited_on=day.isoformat()))
        assert answer.status_code == 400
        assert 'href="#visited_on"' in answer.text
    assert visit_rows(app) == []


def noisy_jpeg(side: int = 300) -> bytes:
    """A photo that JPEG cannot squeeze: about 100 KB or more."""
    picture = Image.frombytes(
        "RGB", (side, side), bytes(random.Random(7).randbytes(side * side * 3))
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_several_photos_may_together_exceed_the_general_body_limit(
    app, client, scene, clock, monkeypatch
):
    photo = noisy_jpeg()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(photo) + 64 * 1024)
    logged_in(client, scene.handler, clock)
    data = filled(client, url(scene), scene)
    files = {"photo_1": ("a.jpg", photo), "photo_2": ("b.jpg", photo)}
    answer = send(client, scene, data, files)
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 2


def test_the_office_clock_says_which_day_is_today(app, client, scene, clock):
    clock.advance(days=5)
    logged_in(client, scene.handler, clock)
    later = (scene.visited_on + dt.timedelta(days=5)).isoformat()  # after the real today
    answer = send(client, scene, filled(client, url(scene), scene, visited_on=later))
    assert answer.status_code == 303
    assert [v.visited_on.isoformat() for v in visit_rows(app)] == [later]


def test_a_double_submit_records_one_visit(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    data = filled(client, url(scene), scene)

    first = send(client, scene, data)
    second = send(client, scene, data)  # same key, now-stale version

    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == f"/office/tickets/{scene.reference}"
    assert len(visit_rows(app)) == 1
    with client.session_transaction() as session:
        flashed = [category for category, _ in session.get("_flashes", [])]
    # Found by its key: no "this ticket changed" error for the second click.
    assert flashed == ["message"]


def test_an_operator_is_refused_and_another_office_gets_404(app, client, scene, clock):
    operator = make_staff(app, "operator", village=VILLAGE)
    logged_in(client, operator, clock)
    assert client.get(url(scene)).status_code == 403

    with app.app_context():
        other = db.session.scalar(
            select(Office.code).where(Office.level == "regency", Office.code != scene.office_code)
        )
    stranger = make_staff(app, "handler", office=other)
    other_client = app.test_client()
    logged_in(other_client, stranger, clock)
    assert other_client.get(url(scene)).status_code == 404
    assert other_client.post(url(scene), data={}).status_code in (400, 404)


def test_a_supervisor_of_the_office_may_record_and_name_another_officer(app, client, scene, clock):
    supervisor = make_staff(app, "supervisor", office=scene.office_code)
    logged_in(client, supervisor, clock)
    answer = send(client, scene, filled(client, url(scene), scene))
    assert answer.status_code == 303
    [visit] = visit_rows(app)
    assert (visit.officer_id, visit.recorded_by_id) == (scene.handler.id, supervisor.id)


def test_an_officer_of_another_office_cannot_be_named(app, client, scene, clock):
    with app.app_context():
        other = db.session.scalar(
            select(Office.code).where(Office.level == "regency", Office.code != scene.office_code)
        )
    stranger = make_staff(app, "handler", office=other)
    logged_in(client, scene.handler, clock)
    answer = send(client, scene, filled(client, url(scene), scene, officer=str(stranger.id)))
    assert answer.status_code == 400
    assert 'href="#officer"' in answer.text
    assert visit_rows(app) == []


def test_the_guard_an_objection_is_verified_only_after_a_visit(app, client, scene, clock):
    actor = Actor.staff(scene.handler.id, "handler")
    with app.app_context():
        ticket = db.session.get(Ticket, scene.ticket_id)
        with pytest.raises(InvalidTransition) as refused, transaction():
            transition(ticket, "verified", actor, now=clock.now)
        assert refused.value.code == "needs_field_visit"

    logged_in(client, scene.handler, clock)
    assert send(client, scene, filled(client, url(scene), scene)).status_code == 303

    with app.app_context():
        ticket = db.session.get(Ticket, scene.ticket_id)
        with transaction():
            transition(ticket, "verified", actor, now=clock.now)
        assert db.session.get(Ticket, scene.ticket_id).status == "verified"


def test_the_section_lists_the_visit(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    send(client, scene, filled(client, url(scene), scene), {"photo_1": ("r.jpg", phone_jpeg())})
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        ticket = db.session.get(Ticket, scene.ticket_id)
        staff = db.session.get(StaffUser, scene.handler.id)
        office = db.session.get(Office, staff.office_id)
        [(template, ctx)] = [
            (t, c) for t, c in sections_for(ticket, staff, office)["main"] if "_visits" in t
        ]
        from flask import render_template

        html = render_template(template, ctx=ctx)
        photo = db.session.scalar(select(Evidence.id))
    assert staff.display_name in html
    assert "The request is right" in html
    assert html.count('class="visit-mismatch"') == 2  # floor area and floor material
    assert "Ceramic" not in html and "Earth" in html and "Cement or red brick" in html
    assert f"/office/evidence/{photo}" in html
    assert "Record the field visit" in html  # still in the field check
