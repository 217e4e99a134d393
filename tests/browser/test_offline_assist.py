"""The operator's assisted journey offline, in Chromium (issue 15 §2,
docs/offline.md): the network drops at the files page, a photo is chosen and
uploaded, then "Continue" is pressed, both saved on the device; online again
they are sent in order and the journey goes on where the server leads. The
final send is pressed offline too and its draft replayed twice: exactly one
ticket, with every answer and the photo."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.tickets.models import Evidence, Ticket
from tests.browser.offline_helpers import outbox_records, press_submit, wait_saved
from tests.browser.test_office_browser import log_in, new_page, submit_in
from tests.browser.test_offline_visit import DUPLICATE_RECORD
from tests.browser.test_phone_layout import jpeg_file
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BOGOR_A

pytestmark = pytest.mark.usefixtures("db_clean")

QUESTION = "main form:not([action])"
SUBJECT = "Siti Aminah"


def test_an_assisted_journey_goes_on_through_a_dropped_connection(
    app, browser, servers, tmp_path
):
    operator = make_staff(app, "operator", village=BOGOR_A)
    server = servers(PORTAL_UPLOAD_ROOT=str(tmp_path / "uploads"))
    context, page = new_page(browser, javascript=True)
    log_in(page, server.url, operator)

    page.goto(server.url + "/office/assist")
    page.check("#kind")  # a proposal, for a household not in the registry
    submit_in(page, "main form[action$='/office/assist']")
    page.check("input[value='other_household']")
    submit_in(page, QUESTION)
    page.fill("#subject_name", SUBJECT)
    page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
    submit_in(page, QUESTION)
    page.check("input[value='no_income']")
    submit_in(page, QUESTION)
    assert page.url.endswith("/office/assist/proposal/evidence")

    # The connection drops: a photo chosen and uploaded, then Continue.
    context.set_offline(True)
    page.select_option("#doc_type", "house_front")
    page.set_input_files("#file", str(jpeg_file(tmp_path)))
    press_submit(page, "main form[enctype]", "button[value=upload]")
    wait_saved(page)
    press_submit(page, "main form[enctype]", "button[value=continue]")
    page.wait_for_function("() => document.getElementById('offline').dataset.pending === '2'")
    assert len(outbox_records(page)) == 2

    context.set_offline(False)  # sent in order: the journey goes on at the contact page
    page.wait_for_url("**/office/assist/proposal/contact")
    assert outbox_records(page) == []
    page.fill("#contact", "0813 1111 2222")
    submit_in(page, QUESTION)
    page.fill("#consent_by", SUBJECT)
    page.check("input[value='in_person_verbal']")
    page.check("#consent")
    submit_in(page, QUESTION)
    assert page.url.endswith("/office/assist/proposal/check")
    assert "rumah-depan.jpg" in page.inner_text("main")  # the photo sent on replay

    # Send, offline; the draft is replayed twice (a lost answer, a second tab).
    context.set_offline(True)
    press_submit(page, QUESTION)
    wait_saved(page)
    records = outbox_records(page)
    assert len(records) == 1 and SUBJECT.encode() not in records[0]
    page.evaluate(DUPLICATE_RECORD)
    context.set_offline(False)
    page.wait_for_url("**/office/assist/sent")
    assert page.locator(".pin").count() == 1
    assert outbox_records(page) == []
    context.close()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        ticket = db.session.scalar(select(Ticket))
        assert (ticket.kind, ticket.subkind, ticket.reason_codes) == (
            "proposal",
            "other_household",
            "no_income",
        )
        assert ticket.submitted_by_staff_id == operator.id
        assert ticket.reporter_contact_enc is not None
        photos = db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket.id))
        assert [(p.doc_type, p.media_type) for p in photos] == [("house_front", "image/jpeg")]
