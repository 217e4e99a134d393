"""Evidence files reach staff only through the authorising view (SECURITY.md UP7)."""

from __future__ import annotations

import pytest
from lokal import wilayah

from portal.tickets import evidence
from tests.factories import VILLAGE
from tests.staff.conftest import log_in, make_staff
from tests.storage import switch
from tests.tickets import answers, submit
from tests.tickets.evidence_files import phone_jpeg

pytestmark = pytest.mark.usefixtures("db_clean")
JAKARTA = min(code for code in wilayah._desa() if code.startswith("31.71."))


@pytest.fixture
def files(app, tmp_path, monkeypatch, keyring):
    """One photo on a ticket in Kabupaten Bogor, one on a ticket in Jakarta."""
    switch.point_app(app, tmp_path, monkeypatch)
    ids = {}
    with app.app_context():
        from portal.extensions import db
        from portal.tickets.models import Evidence

        for name, village in (("bogor", VILLAGE), ("jakarta", JAKARTA)):
            upload = evidence.process_upload(
                "rumah.jpg", phone_jpeg(), doc_type="house_front", keep_gps=False
            )
            stored = evidence.store(upload)
            ticket_id = submit(keyring, answers(village_code=village), evidence=[stored]).ticket_id
            row = db.session.query(Evidence).filter_by(ticket_id=ticket_id).one()
            ids[name] = (row.id, switch.read(app, stored.stored_name))
    return ids


def test_handler_downloads_a_file_of_their_region_safely(app, client, clock, files):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    log_in(client, handler, clock)
    evidence_id, content = files["bogor"]
    response = client.get(f"/office/evidence/{evidence_id}")
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_another_regions_file_is_not_found(app, client, clock, files):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    log_in(client, handler, clock)
    jakarta_id, _ = files["jakarta"]
    assert client.get(f"/office/evidence/{jakarta_id}").status_code == 404
    assert client.get("/office/evidence/999999").status_code == 404


def test_files_need_a_login_and_a_ticket_role(app, client, clock, files):
    evidence_id, _ = files["bogor"]
    anonymous = client.get(f"/office/evidence/{evidence_id}")
    assert anonymous.status_code == 302 and anonymous.headers["Location"] == "/office/login"
    admin = make_staff(app, "admin", office="national")
    log_in(client, admin, clock)
    assert client.get(f"/office/evidence/{evidence_id}").status_code == 403


def test_stored_files_are_not_served_as_static_files(app, client, files, tmp_path):
    """Nothing under the web root or any other route reaches the upload root."""
    name = min(switch.stored_names(app))
    for path in (f"/static/{name}", f"/static/../evidence/{name}", f"/evidence/{name}"):
        assert client.get(path).status_code == 404
