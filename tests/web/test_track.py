"""``/track`` (reference + PIN) and ``/t/<token>`` (the tracking link), and the
receipt PDF (DESIGN.md §3, SECURITY.md AU5, PD1)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from portal.tickets.workflow import Actor, add_note, transition
from tests.web.conftest import CSRF
from tests.web.journeys import PIN, REFERENCE, TRACKING, answer_up_to_check, post, send


@pytest.fixture
def sent(app, client, tmp_path, monkeypatch, db_clean):
    """A proposal sent through the pages: (reference, PIN, tracking path)."""
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    confirmation, _ = send(
        client, "proposal", answer_up_to_check(client, "proposal", "other_household", files=0)
    )
    body = confirmation.text
    return (
        REFERENCE.search(body).group(0),
        PIN.search(body).group(1),
        TRACKING.search(body).group(1),
    )


def track(client, reference, pin, **kw):
    return post(client, "/track", {"reference": reference, "pin": pin}, **kw)


def test_track_page(client):
    page = client.get("/track")
    assert page.status_code == 200
    assert 'name="reference"' in page.text and 'name="pin"' in page.text


def test_reference_in_any_case_and_spacing_with_the_pin(client, sent):
    reference, pin, _ = sent
    typed = reference.lower().replace("-", " ")
    opened = track(client, typed, pin)  # a right PIN grants and redirects (issue 11)
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/track/{reference}"
    page = client.get(opened.headers["Location"])
    assert page.status_code == 200
    assert reference in page.text and "Sudah diterima" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "receipt.pdf" not in page.text  # the receipt is on the tracking link only


def test_tracking_link_shows_status_and_public_events_only(app, client, sent, keyring):
    reference, _, path = sent
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        with transaction():
            add_note(ticket, Actor.staff(1, "handler"), "Catatan internal rahasia", keyring=keyring)
            transition(
                ticket,
                "in_review",
                Actor.staff(1, "handler"),
                "Kami mulai memeriksa",
                keyring=keyring,
            )
    page = client.get(path)
    assert page.status_code == 200
    assert reference in page.text and "Sedang diperiksa" in page.text
    assert "Kami mulai memeriksa" in page.text
    assert "Catatan internal rahasia" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"  # a link pasted in public
    assert f"{path}/receipt.pdf" in page.text


def test_unknown_token_is_404(client, db_clean):
    assert client.get("/t/" + "A" * 22).status_code == 404
    assert client.get("/t/short").status_code == 404


def test_receipt_only_through_the_tracking_link(client, sent):
    reference, _, path = sent
    pdf = client.get(f"{path}/receipt.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    for guess in (
        f"/t/{reference}/receipt.pdf",
        f"/track/{reference}/receipt.pdf",
        f"/receipt/{reference}",
        "/t/" + "A" * 22 + "/receipt.pdf",
    ):
        assert client.get(guess).status_code == 404


def _comparable(response) -> tuple:
    return response.status_code, CSRF.sub(b"CSRF", response.data)


def test_wrong_pin_and_unknown_reference_get_the_same_answer_even_when_locked(app, client, sent):
    """Through the per-address lock (5 tries); the other steps: test_track_limits.py."""
    reference, pin, _ = sent
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    unknown = "DT-2222-3333" if reference != "DT-2222-3333" else "DT-4444-5555"
    answers = []
    for _attempt in range(6):
        known_page = track(client, reference, wrong)
        unknown_page = track(client, unknown, wrong)
        known_body = known_page.data.replace(reference.encode(), b"REF")
        unknown_body = unknown_page.data.replace(unknown.encode(), b"REF")
        assert known_page.status_code == unknown_page.status_code
        assert known_page.headers.get("Retry-After") == unknown_page.headers.get("Retry-After")
        assert CSRF.sub(b"", known_body) == CSRF.sub(b"", unknown_body)
        answers.append(known_page.text)
    assert "tidak cocok" in answers[0]
    assert "Terlalu banyak percobaan" in answers[-1]
    # Locked from this address: even the right PIN now waits.
    locked = track(client, reference, pin)
    assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.text
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.pin_failures == 5  # the attempts were committed


@pytest.mark.parametrize(
    ("reference", "pin", "field"),
    [
        ("", "123456", "reference"),
        ("XX-1", "123456", "reference"),
        ("DT-2222-3333", "", "pin"),
        ("DT-2222-3333", "12a456", "pin"),
    ],
)
def test_malformed_input_is_a_field_error(client, db_clean, reference, pin, field):
    page = track(client, reference, pin)
    assert page.status_code == 400
    assert f'href="#{field}"' in page.text


def test_no_sixteen_digit_run_in_any_url(client, sent):
    from tests.web.journeys import SIXTEEN

    assert client.seen_urls
    assert not [u for u in client.seen_urls if SIXTEEN.search(u)]
    assert not re.search(r"nik=", " ".join(client.seen_urls))
