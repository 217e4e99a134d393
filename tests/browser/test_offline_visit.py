"""The field officer's visit record offline, in Chromium (issue 15 §2,
docs/offline.md): the network goes off while the form is filled in, a photo
is chosen and Save is pressed: the page says the visit is saved on the
device (axe-clean), IndexedDB holds it encrypted (the notes are not in it),
and when the network comes back it is sent: exactly one visit, with its
photo, even when the saved draft is replayed twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Evidence, FieldVisit, Ticket
from tests.browser.offline_helpers import outbox_records, press_submit, wait_saved
from tests.browser.test_field_officer_browser import officer_logs_in
from tests.browser.test_office_browser import OFFICE, axe, objection_ticket, wib_today
from tests.browser.test_phone_layout import PHONE, jpeg_file
from tests.factories import VILLAGE
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.usefixtures("db_clean")

NOTES = "Lantai tanah di dapur belakang."


def visit_to_record(app, tmp_path):
    """An objection in the field check, its visit assigned to a new officer."""
    officer = make_staff(app, "field_officer", office=OFFICE, districts=(VILLAGE[:8],))
    reference = objection_ticket(app, tmp_path)
    with app.app_context(), transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        ticket.status = "field_check"  # set-up: triaged and sent to the field check
        ticket.field_officer_id = officer.id
    return officer, reference


def fill_offline(page, context, tmp_path, reference: str) -> None:
    """The record page opened online, then filled in and sent offline."""
    page.click(f"main a[href$='/office/visits/{reference}'] >> nth=0")
    page.wait_for_load_state()
    page.click(f"main a[href$='/office/visits/{reference}/record'] >> nth=0")
    page.wait_for_load_state()
    context.set_offline(True)
    page.fill("#visited_on", wib_today().isoformat())
    page.select_option("#obs_floor_material", "tanah")
    page.check("input[name=recommendation][value=request_right]")
    page.set_input_files("#photo_1", str(jpeg_file(tmp_path)))  # chosen while offline
    page.fill("#notes", NOTES)
    press_submit(page, f"main form[action$='/office/visits/{reference}/record']")
    wait_saved(page)


def test_a_visit_recorded_offline_is_sent_once_online(app, browser, servers, tmp_path):
    officer, reference = visit_to_record(app, tmp_path)
    server = servers()
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    page = context.new_page()
    officer_logs_in(page, server.url, officer)
    fill_offline(page, context, tmp_path, reference)
    assert page.url.endswith(f"/office/visits/{reference}/record")  # still on the form
    axe(page, "visit-record-saved-offline")

    records = outbox_records(page)
    assert len(records) == 1
    assert NOTES.encode() not in records[0]
    assert b"tanah" not in records[0] and b"request_right" not in records[0]
    # As if the draft had reached the server but its answer was lost (or a
    # second tab kept it): it is sent twice, the visit's key makes it one.
    page.evaluate(DUPLICATE_RECORD)
    assert len(outbox_records(page)) == 2

    context.set_offline(False)
    page.wait_for_url("**/office/visits")
    assert reference not in page.inner_text("main")  # recorded: no longer to visit
    assert outbox_records(page) == []
    context.close()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FieldVisit)) == 1
        visit = db.session.scalar(select(FieldVisit))
        assert (visit.officer_id, visit.recommendation) == (officer.id, "request_right")
        photos = db.session.scalars(select(Evidence).where(Evidence.field_visit_id == visit.id))
        assert [p.media_type for p in photos] == ["image/jpeg"]


#: Copies the one saved draft, as a second tab or a lost answer would leave it.
DUPLICATE_RECORD = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("portal-offline", 1);
  open.onsuccess = () => {
    const t = open.result.transaction("outbox", "readwrite");
    const store = t.objectStore("outbox");
    store.getAll().onsuccess = (e) => {
      const copy = Object.assign({}, e.target.result[0]);
      delete copy.id;
      store.add(copy);
    };
    t.oncomplete = () => { open.result.close(); resolve(); };
    t.onerror = () => reject(t.error);
  };
})"""
