"""The field visit at the edges: a concurrent change while a visit is
saved says "this ticket changed" and forgets the stored photos; the visit's
photos are not shown to a village operator, nor served to one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db
from portal.tickets import evidence, visits
from portal.tickets.models import Evidence, Ticket
from tests.office import visit_fixtures as vf
from tests.office.test_field_visits import logged_in, send, url
from tests.tickets.evidence_files import phone_jpeg

# The fixtures this module uses (tests/office/visit_fixtures.py).
clean_limits, clock, scene = vf.clean_limits, vf.clock, vf.scene


def test_a_concurrent_change_says_the_ticket_changed_and_keeps_no_photo(
    app, client, scene, clock, monkeypatch
):
    forgotten = []
    delete = evidence.delete_stored

    def concurrent(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'tickets' expected to update 1 row")

    def forget(name):
        forgotten.append(name)
        delete(name)

    monkeypatch.setattr(visits, "record_visit", concurrent)
    monkeypatch.setattr(evidence, "delete_stored", forget)
    logged_in(client, scene.handler, clock)
    data = vf.filled(client, url(scene), scene)
    answer = send(client, scene, data, {"photo_1": ("rumah.jpg", phone_jpeg())})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/office/tickets/{scene.reference}"
    with client.session_transaction() as session:
        assert any("Tiket ini sudah berubah" in m for _, m in session["_flashes"])
    assert len(forgotten) >= 1  # the photo (and its thumbnail) stored before the save


def test_a_village_operator_is_not_shown_the_visit_photos(app, client, scene, clock):
    logged_in(client, scene.handler, clock)
    data = vf.filled(client, url(scene), scene)
    assert send(client, scene, data, {"photo_1": ("rumah.jpg", phone_jpeg())}).status_code == 303
    page = client.get(f"/office/tickets/{scene.reference}").text
    assert "/office/evidence/" in page  # the handler sees the photo
    with app.app_context():
        village = db.session.get(Ticket, scene.ticket_id).village_code
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1
        photo = db.session.scalar(select(Evidence))
    operator = app.test_client()
    logged_in(operator, vf.make_staff(app, "operator", village=village), clock)
    seen = operator.get(f"/office/tickets/{scene.reference}")
    assert seen.status_code == 200
    assert "/office/evidence/" not in seen.text
    # nor can they fetch it by its number, file or thumbnail
    assert operator.get(f"/office/evidence/{photo.id}").status_code == 404
    assert operator.get(f"/office/evidence/{photo.id}/thumb").status_code == 404
    assert client.get(f"/office/evidence/{photo.id}").status_code == 200
