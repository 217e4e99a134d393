"""The resident's reply to the office's question (issue 11 §2): the round trip
with an upload, the clock paused and resumed across Nyepi and Idulfitri 2026,
and what the page keeps.

Expected dates are counted by hand from the SKB 3 Menteri 2026 calendar
(libur nasional and cuti bersama), never with ``sla.py``:

* triaged Monday 16 March: the first response is due 5 working days later.
  17 (Tue) is one; 18 (cuti bersama Nyepi), 19 (Nyepi), 20 (cuti bersama
  Idulfitri), 21-22 (Idulfitri, a weekend), 23 and 24 (cuti bersama) are
  not; 25, 26, 27 and Monday 30 March are two to five: **30 March**.
* the decision: 60 calendar days after sending on 16 March: **15 May**.
* asked Monday 16 March, answered Thursday 26 March: the working days after
  the 16th up to the 26th are 17, 25 and 26: **3**; calendar days: **10**.
* so the response moves 3 working days past 30 March: 31 March, 1 and
  2 April: **2 April**; the decision 10 days: **25 May**; triage stays
  **26 March** (16 March + 3 working days: 17, 25, 26).
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets import workflow
from tests.web.journeys import jpeg
from tests.web.track_reply_helpers import (  # noqa: F401 - fixtures
    HANDLER,
    QUESTION,
    at,
    events_of,
    evidence_count,
    grant,
    note_of,
    page_key,
    post_page,
    ticket_of,
    uploads_fixture,
    waiting_fixture,
    wib,
)

ANSWERED_AT = wib(2026, 3, 26)
REPLY = "KK baru sudah jadi bulan Februari, fotonya saya lampirkan."


def reply_path(reference: str) -> str:
    return f"/track/{reference}/reply"


def test_the_clock_waits_while_the_office_asks(app, waiting):
    with app.app_context():
        ticket = ticket_of(waiting)
        assert ticket.status == "needs_info"
        assert ticket.paused_at is not None and ticket.due_next is None
        assert ticket.due_response == dt.date(2026, 3, 30)
        assert ticket.due_decision == dt.date(2026, 5, 15)


def test_the_status_page_shows_the_question_and_the_way_to_reply(app, client, waiting):
    from portal.web.public.track_status import status_context

    with app.test_request_context():
        context = status_context(ticket_of(waiting))
    assert context["answer_question"] == QUESTION
    assert context["answer_reply_url"] == reply_path(waiting)
    assert context["answer_appeal_url"] is None


def test_reply_with_a_file_resumes_the_clock_by_the_paused_working_days(
    app, client, keyring, waiting, monkeypatch
):
    at(monkeypatch, ANSWERED_AT)
    grant(app, client, waiting)
    page = client.get(reply_path(waiting))
    assert page.status_code == 200
    assert QUESTION in page.text
    assert "Anda dapat menambahkan 5 file lagi" in page.text

    sent = post_page(
        client,
        reply_path(waiting),
        "send",
        key=page_key(page),
        text=REPLY,
        file=(jpeg(), "kk-baru.jpg", "kk"),
    )
    assert sent.status_code == 303
    done = client.get(sent.headers["Location"])
    assert done.status_code == 200
    assert "Balasan Anda sudah terkirim" in done.text
    assert "25 Mei 2026" in done.text

    with app.app_context():
        ticket = ticket_of(waiting)
        assert ticket.status == "in_review"
        assert ticket.paused_at is None
        assert ticket.due_triage == dt.date(2026, 3, 26)
        assert ticket.due_response == dt.date(2026, 4, 2)
        assert ticket.due_decision == dt.date(2026, 5, 25)
    assert evidence_count(app, waiting) == 1
    [received] = events_of(app, waiting, "info_received")
    assert received.public and received.actor == "resident"
    assert note_of(keyring, received) == REPLY
    assert received.idempotency_key == page_key(page)


def test_a_refused_file_keeps_the_text(app, client, waiting, monkeypatch):
    at(monkeypatch, ANSWERED_AT)
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 2048)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    too_big = post_page(
        client, reply_path(waiting), "send", key=key, text=REPLY,
        file=(jpeg((400, 300)) + b"\0" * 4096, "besar.jpg", "kk"),
    )  # fmt: skip
    assert too_big.status_code == 413
    assert "lebih besar dari" in too_big.text and REPLY in too_big.text
    wrong_type = post_page(
        client, reply_path(waiting), "upload", key=key, text=REPLY + " Lagi.",
        file=(b"MZ\x90\x00 not a picture", "surat.exe", "kk"),
    )  # fmt: skip
    assert wrong_type.status_code == 400
    assert REPLY + " Lagi." in wrong_type.text
    # Leaving and coming back: the text is still there, nothing was sent.
    again = client.get(reply_path(waiting))
    assert REPLY + " Lagi." in again.text
    assert page_key(again) == key
    assert events_of(app, waiting, "info_received") == []
    assert evidence_count(app, waiting) == 0


def test_a_validation_error_keeps_the_files_and_the_text(app, client, waiting, monkeypatch):
    at(monkeypatch, ANSWERED_AT)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    no_type = post_page(
        client, reply_path(waiting), "upload", key=key, text=REPLY,
        file=(jpeg(), "kk.jpg", ""),
    )  # fmt: skip
    assert no_type.status_code == 400
    assert 'href="#doc_type"' in no_type.text and REPLY in no_type.text
    added = post_page(
        client, reply_path(waiting), "upload", key=key, text=REPLY, file=(jpeg(), "kk.jpg", "kk")
    )
    assert added.status_code == 303
    page = client.get(reply_path(waiting))
    assert "kk.jpg" in page.text and REPLY in page.text
    assert "Anda dapat menambahkan 4 file lagi" in page.text
    removed = post_page(client, reply_path(waiting), "remove-0", key=key, text=REPLY)
    assert removed.status_code == 303
    assert "kk.jpg" not in client.get(reply_path(waiting)).text


def test_an_empty_reply_is_not_sent(app, client, waiting, monkeypatch):
    at(monkeypatch, ANSWERED_AT)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    empty = post_page(client, reply_path(waiting), "send", key=key, text="   ")
    assert empty.status_code == 400
    assert 'href="#text"' in empty.text
    assert ticket_status(app, waiting) == "needs_info"


def test_a_double_send_moves_once_and_shows_the_same_page(app, client, waiting, monkeypatch):
    at(monkeypatch, ANSWERED_AT)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    first = post_page(client, reply_path(waiting), "send", key=key, text=REPLY)
    second = post_page(client, reply_path(waiting), "send", key=key, text=REPLY)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(events_of(app, waiting, "info_received")) == 1


def test_a_reply_when_the_office_no_longer_waits_is_refused_with_the_text_kept(
    app, client, keyring, waiting, monkeypatch
):
    at(monkeypatch, ANSWERED_AT)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    with app.app_context(), transaction():  # the office resumed the review itself meanwhile
        workflow.transition(ticket_of(waiting), workflow.IN_REVIEW, HANDLER, now=ANSWERED_AT)
    refused = post_page(client, reply_path(waiting), "send", key=key, text=REPLY)
    assert refused.status_code == 409
    assert "Kantor tidak lagi menunggu balasan" in refused.text
    assert REPLY in refused.text
    assert 'value="send"' not in refused.text
    assert len(events_of(app, waiting, "info_received")) == 1  # the office's own


def test_the_files_the_ticket_holds_count_against_the_limit(app, client, waiting, monkeypatch):
    at(monkeypatch, ANSWERED_AT)
    monkeypatch.setitem(app.config, "MAX_FILES_PER_TICKET", 2)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    one = post_page(client, reply_path(waiting), "upload", key=key, file=(jpeg(), "satu.jpg", "kk"))
    assert one.status_code == 303
    with app.app_context():  # meanwhile the ticket got a file another way
        from portal.tickets.service import add_evidence
        from tests.office.ticket_page_fixtures import image_bytes, stored

        with transaction():
            add_evidence(
                ticket_of(waiting),
                [stored(name, image_bytes("JPEG")) for name in ("dua.jpg", "tiga.jpg")],
                workflow.Actor.resident(),
                now=ANSWERED_AT,
            )
    full = client.get(reply_path(waiting))
    assert "satu.jpg" in full.text
    assert "jumlah file terbanyak" in full.text and 'value="upload"' not in full.text
    third = post_page(
        client, reply_path(waiting), "upload", key=key, file=(jpeg(), "empat.jpg", "kk")
    )
    assert third.status_code == 400
    assert "Anda bisa menambahkan paling banyak 2 file" in third.text
    refused = post_page(client, reply_path(waiting), "send", key=key, text=REPLY)
    assert refused.status_code == 400
    assert "Hapus satu file untuk mengirim" in refused.text
    assert ticket_status(app, waiting) == "needs_info"
    # Without the draft's file, the reply fits.
    assert (
        post_page(client, reply_path(waiting), "remove-0", key=key, text=REPLY).status_code == 303
    )
    sent = post_page(client, reply_path(waiting), "send", key=key, text=REPLY)
    assert sent.status_code == 303
    assert ticket_status(app, waiting) == "in_review"
    assert evidence_count(app, waiting) == 2


def test_without_opening_the_request_the_page_sends_to_track(client, waiting):
    page = client.get(reply_path(waiting))
    assert page.status_code == 302
    assert "/track?reference=" in page.headers["Location"]


def ticket_status(app, reference: str) -> str:
    with app.app_context():
        db.session.expire_all()
        return ticket_of(reference).status


def test_the_domain_sends_a_key_once_and_refuses_an_empty_reply(app, keyring, waiting):
    from portal.tickets.resident_reply import NothingToSend, send_appeal, send_reply

    with app.app_context():
        ticket = ticket_of(waiting)
        resident = workflow.Actor.resident()
        given = {"idempotency_key": "same-key", "now": ANSWERED_AT, "keyring": keyring}
        with pytest.raises(NothingToSend):
            send_reply(ticket, "", [], resident, **given)
        with transaction():
            first = send_reply(ticket, REPLY, [], resident, **given)
        with transaction():
            second = send_reply(ticket_of(waiting), REPLY, [], resident, **given)
        assert not first.again and second.again and second.event.id == first.event.id
        with pytest.raises(NothingToSend):
            send_appeal(ticket_of(waiting), "", [], **{**given, "idempotency_key": "other"})
    assert len(events_of(app, waiting, "info_received")) == 1


def test_a_body_over_the_limit_gets_the_page_with_the_saved_text(app, client, waiting, monkeypatch):
    at(monkeypatch, ANSWERED_AT)
    grant(app, client, waiting)
    key = page_key(client.get(reply_path(waiting)))
    assert post_page(client, reply_path(waiting), "upload", key=key, text=REPLY).status_code == 303
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_REQUEST_BYTES", 8192)
    huge = post_page(
        client, reply_path(waiting), "send", key=key, text=REPLY,
        file=(jpeg() + b"\0" * 20_000, "besar.jpg", "kk"),
    )  # fmt: skip
    assert huge.status_code == 413
    assert "lebih besar dari" in huge.text and REPLY in huge.text
    assert ticket_status(app, waiting) == "needs_info"
