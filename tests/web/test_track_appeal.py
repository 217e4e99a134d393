"""The resident's appeal of a decision (issue 11 §4): once, inside the window,
with text and files; the request goes back to review with new due dates.

Dates counted by hand from the SKB 3 Menteri 2026 calendar, never with
``sla.py``: rejected on Monday 16 March 2026, the window is 10 working days:
17 March (1); 18-24 March are Nyepi, Idulfitri, their cuti bersama and a
weekend; 25, 26, 27, 30, 31 March, 1 and 2 April (2-8); 3 April is Good
Friday (Wafat Yesus Kristus), 4-5 a weekend; 6 and 7 April (9-10): the last
day is **Tuesday 7 April**. An appeal that day gets a first response due 5
working days later, 8, 9, 10, 13, 14 April: **14 April**, and a decision 60
calendar days later: **6 June 2026**.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets import workflow
from portal.tickets.models import Ticket
from tests.tickets import NOW, submit
from tests.web.journeys import jpeg
from tests.web.track_reply_helpers import (  # noqa: F401 - fixtures
    HANDLER,
    at,
    events_of,
    evidence_count,
    grant,
    note_of,
    page_key,
    post_page,
    ticket_of,
    uploads_fixture,
    wib,
)

APPEAL = "Lantai rumah kami masih tanah; petugas mendatangi rumah tetangga."
LAST_DAY = wib(2026, 4, 7)


@pytest.fixture
def rejected(app, keyring, uploads, db_clean) -> str:
    """A proposal rejected on Monday 16 March 2026: its reference."""
    with app.app_context():
        result = submit(keyring, now=NOW)
        ticket = db.session.get(Ticket, result.ticket_id)
        for status in (workflow.IN_REVIEW, workflow.VERIFIED, workflow.REJECTED):
            with transaction():
                note = "Penghasilan di atas batas." if status == workflow.REJECTED else None
                workflow.transition(ticket, status, HANDLER, note, now=NOW, keyring=keyring)
        return result.reference


def appeal_path(reference: str) -> str:
    return f"/track/{reference}/appeal"


def test_the_window_ends_on_the_tenth_working_day(app, rejected):
    with app.app_context():
        assert ticket_of(rejected).appeal_until == dt.date(2026, 4, 7)


def test_the_status_page_offers_the_appeal_until_the_last_day(app, rejected, monkeypatch):
    from portal.web.public.track_status import status_context

    at(monkeypatch, LAST_DAY)
    with app.test_request_context():
        context = status_context(ticket_of(rejected))
    assert context["answer_appeal_url"] == appeal_path(rejected)
    assert context["answer_appeal_until"] == dt.date(2026, 4, 7)
    assert context["answer_reply_url"] is None


def test_an_appeal_on_the_last_day_reopens_the_review_with_new_dates(
    app, client, keyring, rejected, monkeypatch
):
    at(monkeypatch, LAST_DAY)
    grant(app, client, rejected)
    page = client.get(appeal_path(rejected))
    assert page.status_code == 200 and "7 April 2026" in page.text
    key = page_key(page)
    sent = post_page(
        client, appeal_path(rejected), "send", key=key, text=APPEAL,
        file=(jpeg(), "lantai.jpg", "house_inside"),
    )  # fmt: skip
    assert sent.status_code == 303
    done = client.get(sent.headers["Location"])
    assert "Banding Anda sudah terkirim" in done.text
    assert "6 Juni 2026" in done.text and "14 April 2026" in done.text
    with app.app_context():
        ticket = ticket_of(rejected)
        assert ticket.status == "in_review"
        assert ticket.appealed_at is not None
        assert ticket.due_response == dt.date(2026, 4, 14)
        assert ticket.due_decision == dt.date(2026, 6, 6)
    [appealed] = events_of(app, rejected, "appealed")
    assert appealed.public and appealed.actor == "resident"
    assert note_of(keyring, appealed) == APPEAL and appealed.idempotency_key == key
    assert evidence_count(app, rejected) == 1
    # The same form again: the same page, no second move.
    again = post_page(client, appeal_path(rejected), "send", key=key, text=APPEAL)
    assert again.headers["Location"] == sent.headers["Location"]
    assert len(events_of(app, rejected, "appealed")) == 1


def test_an_appeal_needs_its_reasons(app, client, rejected, monkeypatch):
    at(monkeypatch, LAST_DAY)
    grant(app, client, rejected)
    key = page_key(client.get(appeal_path(rejected)))
    empty = post_page(client, appeal_path(rejected), "send", key=key, file=(jpeg(), "a.jpg", "kk"))
    assert empty.status_code == 400
    assert 'href="#text"' in empty.text and "a.jpg" in empty.text
    assert events_of(app, rejected, "appealed") == []


def test_an_appeal_after_the_window_is_refused_with_the_text_kept(
    app, client, rejected, monkeypatch
):
    at(monkeypatch, wib(2026, 4, 8))
    grant(app, client, rejected)
    page = client.get(appeal_path(rejected))
    assert page.status_code == 409 and "hari terakhir 7 April 2026" in page.text
    refused = post_page(client, appeal_path(rejected), "send", key=page_key(page), text=APPEAL)
    assert refused.status_code == 409
    assert "hari terakhir 7 April 2026" in refused.text and APPEAL in refused.text
    assert events_of(app, rejected, "appealed") == []
    with app.app_context():
        assert ticket_of(rejected).status == "rejected"


def test_a_second_appeal_is_refused(app, client, keyring, rejected, monkeypatch):
    at(monkeypatch, LAST_DAY)
    grant(app, client, rejected)
    first = post_page(
        client, appeal_path(rejected), "send", key=page_key(client.get(appeal_path(rejected))),
        text=APPEAL,
    )  # fmt: skip
    assert first.status_code == 303
    with app.app_context():  # the office decides again the same day
        ticket = ticket_of(rejected)
        for status in (workflow.VERIFIED, workflow.REJECTED):
            with transaction():
                workflow.transition(ticket, status, HANDLER, now=LAST_DAY, keyring=keyring)
    page = client.get(appeal_path(rejected))
    assert page.status_code == 409 and "Banding hanya bisa diajukan satu kali" in page.text
    second = post_page(client, appeal_path(rejected), "send", key="another-key", text=APPEAL)
    assert second.status_code == 409
    assert len(events_of(app, rejected, "appealed")) == 1
