"""Rating the handling (issue 11 §4): once, after a decision, within the
appeal window (up to and including ``appeal_until``), 1-5 only, with a
translated message for anything else."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import ratings
from portal.tickets.models import Rating, Ticket, rating_comment_purpose
from tests.web.journeys import post
from tests.web.resident_tickets import new_ticket, open_link, page_clock, wib

pytestmark = pytest.mark.usefixtures("db_clean")
#: The window's last day: a Friday.
UNTIL = dt.date(2026, 4, 10)


def rating_rows(app) -> list[Rating]:
    with app.app_context():
        return list(db.session.scalars(select(Rating)))


@pytest.fixture
def decided(app, client, keyring, monkeypatch):
    """A rejected ticket whose window ends ``UNTIL``, opened on that day (17:00 WIB)."""
    ticket_id, reference, token = new_ticket(
        app, keyring, status="rejected", appeal_until=UNTIL, due_next=None
    )
    page_clock(monkeypatch, wib(2026, 4, 10, 17))
    page = open_link(client, token)
    assert f"/track/{reference}/rate" in page.text
    return ticket_id, reference


def test_rate_once_with_a_comment(app, client, keyring, decided):
    ticket_id, reference = decided
    page = client.get(f"/track/{reference}/rate")
    assert page.status_code == 200
    assert "4 – Baik" in page.text and 'type="radio"' in page.text
    sent = post(client, f"/track/{reference}/rate", {"score": "4", "comment": "Cepat dan jelas"})
    assert sent.status_code == 303 and sent.headers["Location"] == f"/track/{reference}"
    status = client.get(sent.headers["Location"]).text
    assert "Terima kasih atas penilaian Anda" in status
    assert f"/track/{reference}/rate" not in status  # offered no more
    assert "Cepat dan jelas" not in status  # never shown on the public page
    [row] = rating_rows(app)
    with app.app_context():
        office_id = db.session.get(Ticket, ticket_id).office_id
    assert (row.ticket_id, row.office_id, row.score) == (ticket_id, office_id, 4)
    assert (
        keyring.decrypt(row.comment_enc, rating_comment_purpose(row.ticket_id)) == "Cepat dan jelas"
    )
    again = post(client, f"/track/{reference}/rate", {"score": "1"})
    assert again.status_code == 200
    assert "Anda sudah memberi penilaian" in again.text
    assert len(rating_rows(app)) == 1


def test_a_second_rating_in_the_domain_is_refused(app, keyring, decided):
    ticket_id, _ = decided
    now = wib(2026, 4, 10, 17)
    with app.app_context():
        with transaction():
            ratings.rate(db.session.get(Ticket, ticket_id), 5, None, now, keyring)
        with pytest.raises(ratings.RatingRefused) as refused, transaction():
            ratings.rate(db.session.get(Ticket, ticket_id), 3, "lagi", now, keyring)
        assert refused.value.code == "already_rated"
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_out_of_range_is_refused_with_a_translated_message(app, client, decided, score):
    _id, reference = decided
    page = post(client, f"/track/{reference}/rate", {"score": score})
    assert page.status_code == 400
    assert 'href="#score"' in page.text
    expected = "Pilih nilai dari 1 sampai 5" if score else "Pilih seberapa baik kantor"
    assert expected in page.text
    english = post(client, f"/track/{reference}/rate?lang=en", {"score": score})
    assert ("Choose a score from 1 to 5" if score else "Choose how well") in english.text
    assert rating_rows(app) == []


def test_the_domain_refuses_a_score_out_of_range(app, keyring, decided):
    ticket_id, _ = decided
    with app.app_context():
        for score in (0, 6, -1):
            with pytest.raises(ratings.RatingRefused) as refused:
                ratings.rate(
                    db.session.get(Ticket, ticket_id), score, None, wib(2026, 4, 10), keyring
                )
            assert refused.value.code == "bad_score"


def test_the_day_after_the_window_rating_is_closed(app, client, decided, monkeypatch):
    _id, reference = decided
    page_clock(monkeypatch, wib(2026, 4, 11, 0, 1))  # Saturday 00:01 WIB, Friday 17:01 UTC
    assert f"/track/{reference}/rate" not in client.get(f"/track/{reference}").text
    page = client.get(f"/track/{reference}/rate")
    assert (
        page.status_code == 409 and "Waktu untuk menilai permohonan ini sudah berakhir" in page.text
    )
    refused = post(client, f"/track/{reference}/rate", {"score": "5"})
    assert refused.status_code == 409
    assert rating_rows(app) == []


@pytest.mark.parametrize("status", ["submitted", "in_review", "withdrawn", "closed"])
def test_only_after_a_decision_and_not_once_closed(app, client, keyring, monkeypatch, status):
    _id, reference, token = new_ticket(app, keyring, status=status, appeal_until=UNTIL)
    page_clock(monkeypatch, wib(2026, 4, 9))
    open_link(client, token)
    refused = post(client, f"/track/{reference}/rate", {"score": "5"})
    assert refused.status_code == 409
    message = "sudah berakhir" if status == "closed" else "setelah kantor memutuskan"
    assert message in refused.text
    assert rating_rows(app) == []


def test_forwarded_can_be_rated(app, client, keyring, monkeypatch):
    _id, reference, token = new_ticket(app, keyring, status="forwarded", appeal_until=UNTIL)
    page_clock(monkeypatch, wib(2026, 4, 1))
    open_link(client, token)
    assert post(client, f"/track/{reference}/rate", {"score": "5"}).status_code == 303
    assert [r.score for r in rating_rows(app)] == [5]


def test_a_parallel_rating_that_committed_first_makes_this_one_already_rated(
    app, keyring, decided, monkeypatch
):
    """Two tabs: both checked "not rated yet" before either stored; the
    unique ticket_id refuses the second, which is told it was already rated."""
    ticket_id, _ = decided
    now = wib(2026, 4, 10, 17)
    with app.app_context():
        with transaction():
            ratings.rate(db.session.get(Ticket, ticket_id), 5, None, now, keyring)
        monkeypatch.setattr(ratings, "has_rating", lambda ticket: False)
        with pytest.raises(ratings.RatingRefused) as refused, transaction():
            ratings.rate(db.session.get(Ticket, ticket_id), 2, None, now, keyring)
        assert refused.value.code == "already_rated"
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
