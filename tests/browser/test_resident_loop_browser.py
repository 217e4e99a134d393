"""The resident's side of a request in Chromium (issue 11), on a 360×740
phone, with JavaScript off for the reply and the appeal: open the request
with the ticket number and PIN, read the timeline (times in WIB), the office
and the due date; answer the office's question with text and a photo (the
text kept through upload and remove, one reply for a double click and a
resent form); withdraw; appeal a decision; rate the handling and see the
rating and the delivered messages on the office's ticket page.

Every page is checked as the phone shows it (``resident_fixtures.check``:
axe on the phone and the office PC, no sideways scroll, 44 px tap targets).
One live server for the module (``resident_fixtures.server``); the office's
moves are made through ``office_moves.make``, as its pages make them.
Selectors name forms and buttons by their action or value, not their words."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notify.worker import Worker
from portal.regions.models import Office
from portal.tickets.models import OutboxMessage, Rating
from tests.browser import resident_fixtures
from tests.browser.resident_fixtures import (
    EXPLANATION,
    OFFICE,
    QUESTION,
    ask,
    check,
    decide,
    events_of,
    evidence_count,
    go,
    jpeg,
    main_text,
    new_request,
    office_moves_on,
    open_with_pin,
    phone,
    post_twice_at_once,
    press,
    ticket_row,
)
from tests.browser.test_office_browser import error_links, log_in
from tests.notify import servers
from tests.notify.servers import worker_config

pytestmark = pytest.mark.usefixtures("db_clean")
smtp_server = servers.smtp_server
#: The module's live server, and a handler of the office (resident_fixtures).
server = resident_fixtures.server
handler = resident_fixtures.handler

MONTHS_ID = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
WIB = dt.timedelta(hours=7)
SEND = "main button[name=action][value=send]"
REPLY_TEXT = "KK baru dibuat bulan Februari, fotonya saya lampirkan."


def long_date_id(day: dt.date) -> str:
    """A date as Indonesian pages write it: 16 Maret 2026."""
    return f"{day.day} {MONTHS_ID.split()[day.month - 1]} {day.year}"


def test_open_by_pin_and_answer_the_question_without_javascript(app, browser, server, handler):
    sent = new_request(app)
    reference = sent.reference
    office_moves_on(app, reference, handler, "triage")
    context, page = phone(browser, javascript=False)

    # 1. The ticket number and PIN open the request's own address.
    open_with_pin(page, server.url, reference, sent.pin)
    assert page.url == f"{server.url}/track/{reference}"
    text = main_text(page)
    ticket = ticket_row(app, reference)
    with app.app_context():
        office_name = db.session.scalar(select(Office.name).where(Office.code == OFFICE))
    assert office_name in text
    assert "Sedang diperiksa" in text  # in review
    assert long_date_id(ticket.due_response) in text  # the office answers by then
    sent_at = ticket.created_at.replace(tzinfo=dt.UTC) + WIB
    first = page.locator("main ol time").first.inner_text()
    assert first == f"{long_date_id(sent_at.date())}, pukul {sent_at:%H:%M} WIB"
    check(page, "status")

    # 2. The office asks; the page shows the question and the way to reply.
    ask(app, reference, handler)
    go(page, page.url)
    assert "Menunggu jawaban Anda" in main_text(page)
    assert QUESTION in page.inner_text("main .notice")
    check(page, "status-question")
    press(page, f"main a[href$='/track/{reference}/reply']")
    assert QUESTION in main_text(page)
    check(page, "reply")

    # Sending nothing: the error summary links to the text box.
    press(page, SEND)
    assert error_links(page) == ["#text"]
    check(page, "reply-error")

    # The text stays through an upload, a removal and a second upload.
    page.fill("#text", REPLY_TEXT)
    page.select_option("#doc_type", "kk")
    page.set_input_files("#file", jpeg("kk-lama.jpg"))
    press(page, "main button[value=upload]")
    assert page.input_value("#text") == REPLY_TEXT
    assert page.locator("main .evidence-file").count() == 1
    press(page, "main button[value=remove-0]")
    assert page.locator("main .evidence-file").count() == 0
    assert page.input_value("#text") == REPLY_TEXT
    page.select_option("#doc_type", "kk")
    page.set_input_files("#file", jpeg())
    press(page, "main button[value=upload]")
    assert page.input_value("#text") == REPLY_TEXT
    assert "kk-baru.jpg" in page.inner_text("main .evidence-file")
    check(page, "reply-with-file")

    # The same form sent twice at once, then a double click on Send: one reply.
    key = page.input_value("input[name=key]")
    fields = {"csrf_token": page.input_value("input[name=csrf_token]"), "key": key}
    fields.update(text=REPLY_TEXT, action="send")
    sent_page = f"{server.url}/track/{reference}/reply/sent/{key}"
    reply_url = f"{server.url}/track/{reference}/reply"
    assert post_twice_at_once(reply_url, context.cookies(), fields) == [(200, sent_page)] * 2
    page.dblclick(SEND)  # Chromium sends one of the two presses
    page.wait_for_url(sent_page)
    check(page, "reply-sent")
    replies = events_of(app, reference, "info_received")
    assert [(e.actor, e.idempotency_key) for e in replies] == [("resident", key)]
    assert evidence_count(app, reference) == 1
    assert ticket_row(app, reference).status == "in_review"

    # The status page: being checked, the reply in the timeline.
    go(page, f"{server.url}/track/{reference}")
    text = main_text(page)
    assert "Sedang diperiksa" in text
    assert QUESTION in text and REPLY_TEXT in text
    assert page.locator("main a[href$='/reply']").count() == 0  # nothing waits any more
    context.close()


def test_withdraw_from_the_tracking_link(app, browser, server, handler):
    sent = new_request(app)
    reference = sent.reference
    context, page = phone(browser, javascript=True)
    go(page, f"{server.url}/t/{sent.tracking_token}?lang=en")
    assert "Received" in main_text(page)

    press(page, f"main a[href$='/track/{reference}/withdraw']")
    check(page, "withdraw")
    page.fill("#reason", "Keadaan keluarga kami sudah membaik.")
    # The form sent twice at once (two taps that both got through), then
    # the browser's own double click: one withdrawal, each lands on the status.
    fields = {
        name: page.input_value(f"[name={name}]") for name in ("csrf_token", "idempotency_key")
    }
    fields["reason"] = "Keadaan keluarga kami sudah membaik."
    status_url = f"{server.url}/track/{reference}"
    withdraw_url = f"{status_url}/withdraw"
    assert post_twice_at_once(withdraw_url, context.cookies(), fields) == [(200, status_url)] * 2
    page.dblclick("main form[method=post] button[type=submit]")
    page.wait_for_url(f"**/track/{reference}")
    page.wait_for_load_state()
    text = main_text(page)
    assert "Withdrawn" in text
    assert "Keadaan keluarga kami sudah membaik." in text  # the reason, in the timeline
    assert page.locator(f"main a[href$='/track/{reference}/withdraw']").count() == 0
    check(page, "status-withdrawn")
    assert len(events_of(app, reference, "withdrawn")) == 1
    assert ticket_row(app, reference).status == "withdrawn"
    context.close()


def test_a_decision_is_shown_and_appealed_without_javascript(app, browser, server, handler):
    sent = new_request(app)
    reference = sent.reference
    decide(app, reference, handler, "reject")
    context, page = phone(browser, javascript=False)
    open_with_pin(page, server.url, reference, sent.pin)
    text = main_text(page)
    assert "Tidak disetujui" in text
    assert "Dokumen yang diperlukan kurang atau tidak sah" in text  # the reason's label
    assert EXPLANATION in text
    until = ticket_row(app, reference).appeal_until
    assert long_date_id(until) in text
    check(page, "status-decided")

    press(page, f"main a[href$='/track/{reference}/appeal']")
    check(page, "appeal")
    press(page, SEND)
    assert error_links(page) == ["#text"]
    check(page, "appeal-error")
    page.fill("#text", "Dokumen KK sudah kami kirim lewat kantor desa.")
    press(page, SEND)
    page.wait_for_url(f"**/track/{reference}/appeal/sent/*")
    check(page, "appeal-sent")

    ticket = ticket_row(app, reference)
    assert (ticket.status, ticket.appealed_at is not None) == ("in_review", True)
    assert len(events_of(app, reference, "appealed")) == 1
    go(page, f"{server.url}/track/{reference}")
    text = main_text(page)
    assert "Sedang diperiksa" in text
    assert "Dokumen KK sudah kami kirim lewat kantor desa." in text
    assert page.locator("main a[href$='/appeal']").count() == 0  # once only
    context.close()


def test_a_rating_and_the_messages_on_the_office_ticket_page(
    app, browser, server, handler, smtp_server
):
    sent = new_request(app)
    reference = sent.reference
    decide(app, reference, handler, "accept")
    context, page = phone(browser, javascript=True)
    go(page, f"{server.url}/track?lang=en")
    open_with_pin(page, server.url, reference, sent.pin)
    assert "Accepted" in main_text(page)

    press(page, f"main a[href$='/track/{reference}/rate']")
    check(page, "rate")
    press(page, "main form[method=post] button[type=submit]")
    assert error_links(page) == ["#score"]
    check(page, "rate-error")
    page.check("input[name=score][value='4']")
    page.fill("#comment", "Petugas ramah dan cepat.")
    press(page, "main form[method=post] button[type=submit]")
    page.wait_for_url(f"**/track/{reference}")
    assert "Thank you for your rating" in page.inner_text("body")
    assert page.locator(f"main a[href$='/track/{reference}/rate']").count() == 0
    with app.app_context():
        assert db.session.scalar(select(Rating.score)) == 4

    # The handler sees the rating and the messages, queued, then sent.
    log_in(page, server.url, handler)
    go(page, f"{server.url}/office/tickets/{reference}")
    rating = " ".join(page.inner_text("#rating + dl").split())
    assert "4 of 5" in rating and "Petugas ramah dan cepat." in rating
    ticket_id = ticket_row(app, reference).id
    with app.app_context():
        topics = db.session.scalars(
            select(OutboxMessage.topic).where(OutboxMessage.ticket_id == ticket_id)
        ).all()
    # Submitted, then triaged, verified, accepted: one message each.
    assert sorted(topics) == ["ticket.status_changed"] * 3 + ["ticket.submitted"]
    rows = page.locator("#messages + .table-scroll tbody tr")
    assert rows.count() == 4
    assert all("Queued" in row for row in rows.all_inner_texts())
    check(page, "office-ticket-queued")

    with app.app_context():
        config = worker_config(app, SMTP_URL=smtp_server.url + "?starttls=0")
        Worker(config, app.extensions["keyring"]).run_once()
    assert len(smtp_server.messages) == 4
    assert {m.rcpt_tos[0] for m in smtp_server.messages} == {"warga@example.org"}
    go(page, page.url)
    assert all("Sent at" in row for row in rows.all_inner_texts())
    check(page, "office-ticket-sent")
    context.close()
