"""A field visit in Chromium (issue 12 §3): a handler sends a field officer
from the ticket page; the officer logs in on a 360×740 phone, finds the visit
in their list, opens the household, records the visit with a photo from the
"camera" (``set_input_files`` with a generated JPEG), and afterwards the
visit page is gone (404) and the address shown nowhere. Every officer page
is checked on the phone: no sideways scroll, 44 px tap targets, axe-clean
(tests/browser/test_phone_layout.py ``Walk``, tests/browser/axe.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.staff import totp
from portal.tickets.models import FieldVisit, Ticket
from tests.browser.test_office_browser import (
    DESKTOP,
    OFFICE,
    handler_with_totp,
    log_in,
    objection_ticket,
    submit_in,
    wib_today,
)
from tests.browser.test_phone_layout import PHONE, Walk, jpeg_file
from tests.factories import VILLAGE
from tests.staff.conftest import Account, make_staff

pytestmark = pytest.mark.usefixtures("db_clean")

ADDRESS = "Jl. Melati No. 3"  # tests/factories.py: the household's address


def officer_logs_in(page, base_url: str, account: Account) -> None:
    """Email and password, then the code: a field officer lands on their visits."""
    page.goto(base_url + "/office/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    submit_in(page, "main form[action$='/office/login']")
    page.wait_for_url("**/office/login/code")
    page.fill("#code", totp.current_code(account.secret, dt.datetime.now(dt.UTC)))
    submit_in(page, "main form[action$='/office/login/code']")
    page.wait_for_url("**/office/visits")


def test_a_field_visit_on_a_360_px_phone(app, browser, servers, tmp_path):
    handler = handler_with_totp(app)
    officer = make_staff(app, "field_officer", office=OFFICE, districts=(VILLAGE[:8],))
    reference = objection_ticket(app, tmp_path)
    with app.app_context(), transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        ticket.status = "field_check"  # set-up: triaged and sent to the field check
    server = servers()

    # The handler sends the officer from the ticket page (office PC).
    desk = browser.new_context(viewport=DESKTOP, locale="id-ID")
    page = desk.new_page()
    log_in(page, server.url, handler)
    page.goto(f"{server.url}/office/tickets/{reference}")
    desk_walk = Walk(page, "field-officer-handler")
    desk_walk.axe("ticket-field-officer-box")  # the new box on the ticket page
    assert desk_walk.problems == [], "\n".join(desk_walk.problems)
    page.set_viewport_size(DESKTOP)
    page.select_option("#field-officer", str(officer.id))
    submit_in(page, f"form[action$='/office/tickets/{reference}/field-officer']")
    assert page.url == f"{server.url}/office/tickets/{reference}"
    desk.close()

    # The officer, on a phone.
    phone = browser.new_context(viewport=PHONE, locale="id-ID")
    page = phone.new_page()
    walk = Walk(page, "field-officer")
    officer_logs_in(page, server.url, officer)
    walk.check("visits")
    assert reference in page.inner_text("main")
    page.click(f"a[href$='/office/visits/{reference}']")
    page.wait_for_load_state()
    walk.check("visit")
    assert ADDRESS in page.inner_text("main")
    assert "Siti Aminah" in page.inner_text("main")  # a member of the household

    page.click(f"main a[href$='/office/visits/{reference}/record'] >> nth=0")
    page.wait_for_load_state()
    walk.check("record")
    assert page.get_attribute("#photo_1", "capture") == "environment"
    page.fill("#visited_on", wib_today().isoformat())  # the WIB date, as the server checks it
    page.select_option("#obs_floor_material", "tanah")
    page.check("input[name=recommendation][value=request_right]")
    page.set_input_files("#photo_1", str(jpeg_file(tmp_path)))
    page.fill("#notes", "Lantai tanah di dapur.")
    submit_in(page, f"main form[action$='/office/visits/{reference}/record']")
    assert page.url == f"{server.url}/office/visits"
    walk.check("visits-after")
    assert reference not in page.inner_text("main")
    assert walk.problems == [], "\n".join(walk.problems)

    # Afterwards: the visit page is gone and the address shown nowhere.
    gone = page.goto(f"{server.url}/office/visits/{reference}")
    assert gone.status == 404
    assert ADDRESS not in page.content()
    phone.close()

    with app.app_context():
        visit = db.session.scalar(select(FieldVisit))
        assert visit.officer_id == officer.id
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert (ticket.status, ticket.field_officer_id) == ("field_check", None)
