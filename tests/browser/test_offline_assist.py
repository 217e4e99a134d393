"""The operator's assisted journey offline, in Chromium (issue 15 §2,
docs/offline.md): the network drops at the files page, a photo is chosen and
uploaded, then "Continue" is pressed; the contact and consent pages come
from their shells (service worker era: the page's cache) and are answered
offline too, all saved on the device, encrypted; online again they are sent
in order and the journey goes on at the check page. The final send is
pressed on a Wi-Fi without internet and its draft replayed twice: exactly
one ticket, with every answer and the photo. Nothing personal is in any
cache; a draft of an ended session is said on screen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.tickets.models import Evidence, Ticket
from tests.browser.offline_helpers import (
    cached,
    outbox_records,
    press_submit,
    wait_for_path,
    wait_saved,
)
from tests.browser.test_office_browser import axe, log_in, new_page, submit_in
from tests.browser.test_offline_visit import DUPLICATE_RECORD
from tests.browser.test_phone_layout import jpeg_file
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BOGOR_A

pytestmark = pytest.mark.usefixtures("db_clean")

QUESTION = "main form:not([action])"
SUBJECT = "Siti Aminah"
CONTACT = "0813 1111 2222"
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="[^"]')


def test_an_assisted_journey_goes_on_through_a_dropped_connection(app, browser, servers, tmp_path):
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

    # Online, the page has put the shells of the questions to come in the cache.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(100):
        if len(cached(page).get("portal-shells", {})) == 4:  # reasons … consent
            break
        page.wait_for_timeout(100)

    # The connection drops: a photo chosen and uploaded, then Continue.
    context.set_offline(True)
    page.select_option("#doc_type", "house_front")
    page.set_input_files("#file", str(jpeg_file(tmp_path)))
    press_submit(page, "main form[enctype]", "button[value=upload]")
    wait_saved(page)
    press_submit(page, "main form[enctype]", "button[value=continue]")
    # The contact page, from its shell: the operator goes on offline.
    wait_for_path(page, "/office/assist/proposal/contact")
    assert page.get_attribute("#offline", "data-shell") == "1"
    wait_saved(page)
    axe(page, "assist-shell-saved-offline")
    page.reload()  # offline: the service worker answers with the shell
    assert page.get_attribute("#offline", "data-shell") == "1"
    assert page.locator("#contact").count() == 1
    page.fill("#contact", CONTACT)
    press_submit(page, QUESTION)
    wait_for_path(page, "/office/assist/proposal/consent")
    page.fill("#consent_by", SUBJECT)
    page.check("input[value='in_person_verbal']")
    page.check("#consent")
    press_submit(page, QUESTION)
    page.wait_for_function("() => document.getElementById('offline').dataset.pending === '4'")
    records = outbox_records(page)
    assert len(records) == 4
    for record in records:
        assert CONTACT.encode() not in record and SUBJECT.encode() not in record
    key = page.evaluate("JSON.parse(sessionStorage.getItem('portal-offline-key')).k")
    caches = cached(page)
    assert {url.rsplit("/", 1)[1] for url in caches["portal-shells"]} == {
        "reasons",
        "evidence",
        "contact",
        "consent",
    }
    assert any(n.startswith("portal-static-") for n in caches)
    for name, entries in caches.items():  # the worker's and the shells' caches
        for url, body in entries.items():
            for secret in (SUBJECT, CONTACT, "Mawar", key):
                assert secret not in body, (name, url, secret)
            assert not CSRF_TOKEN.search(body), (name, url)

    # Online again: sent in order, the journey goes on at the check page.
    context.set_offline(False)
    wait_for_path(page, "/office/assist/proposal/check")
    assert outbox_records(page) == []
    main = page.inner_text("main")
    assert "081311112222" in main and "rumah-depan.jpg" in main  # sent on replay

    # Send on a Wi-Fi without internet: the browser says online, nothing
    # reaches the server. The draft is kept, and replayed twice (a lost
    # answer, a second tab): the idempotency key makes one ticket.
    context.route("**/*", lambda route: route.abort())  # the worker's requests too
    assert page.evaluate("navigator.onLine")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # or the 30 s check
    page.wait_for_function(
        "() => document.getElementById('offline-text').textContent"
        " === document.getElementById('offline').dataset.offline"
    )
    press_submit(page, QUESTION)
    wait_saved(page)
    records = outbox_records(page)
    assert len(records) == 1 and SUBJECT.encode() not in records[0]
    page.evaluate(DUPLICATE_RECORD)
    context.unroute("**/*")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # or the 30 s check
    page.wait_for_url("**/office/assist/sent")
    assert page.locator(".pin").count() == 1
    assert outbox_records(page) == []

    # A draft saved in a session that has ended (another key): said on
    # screen, not sent, deleted only when the operator asks.
    page.evaluate(FOREIGN_RECORD)
    page.reload()
    page.wait_for_function(
        "() => { const b = document.getElementById('offline'); return !b.hidden"
        " && document.getElementById('offline-text').textContent === b.dataset.lost; }"
    )
    assert len(outbox_records(page)) == 1
    axe(page, "assist-unreadable-drafts")
    page.click("#offline-forget")
    page.wait_for_function("() => document.getElementById('offline').hidden")
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


#: A record sealed under a key this session does not have.
FOREIGN_RECORD = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("portal-offline", 1);
  open.onsuccess = () => {
    const t = open.result.transaction("outbox", "readwrite");
    t.objectStore("outbox").add(
      {kid: "0000000000000000", iv: new Uint8Array(12), data: new ArrayBuffer(32), at: 0});
    t.oncomplete = () => { open.result.close(); resolve(); };
    t.onerror = () => reject(t.error);
  };
})"""
