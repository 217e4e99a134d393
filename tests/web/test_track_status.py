"""The tracking page (issue 11 §1): the grant after a PIN or a link, the
public timeline in WIB and in the page's language with whose words each note
is, the current deadline and lateness in working days, the paused clock, the
office's contact and the "office is late" help page."""

from __future__ import annotations

import datetime as dt
import re
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.regions.offices import set_public_contact
from portal.tickets.models import Ticket
from portal.tickets.workflow import Actor, add_note, transition
from portal.web.public import track_access
from tests.tickets import NOW
from tests.web.journeys import post
from tests.web.resident_tickets import (
    HANDLER_ID,
    new_ticket,
    open_link,
    page_clock,
    wib,
)

pytestmark = pytest.mark.usefixtures("db_clean")
HANDLER = Actor.staff(HANDLER_ID, "handler")


@pytest.fixture(autouse=True)
def no_contacts_left(app):
    """Offices outlive ``db_clean``: remove the contacts a test set."""
    yield
    with app.app_context(), transaction():
        db.session.execute(
            update(Office).values(public_phone=None, public_email=None, public_address=None)
        )


def office_of(app, ticket_id: int) -> Office:
    with app.app_context():
        office = db.session.get(Office, db.session.get(Ticket, ticket_id).office_id)
        db.session.expunge(office)
        return office


# --- PIN, grant, redirect ----------------------------------------------------------------


def test_right_pin_grants_and_redirects_to_the_status(app, client, keyring):
    with app.app_context():
        from tests.tickets import submit

        sent = submit(keyring)
    opened = post(client, "/track", {"reference": sent.reference, "pin": sent.pin})
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/track/{sent.reference}"
    page = client.get(f"/track/{sent.reference}")
    assert page.status_code == 200 and sent.reference in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "receipt.pdf" not in page.text


def test_without_a_grant_the_status_url_asks_for_the_pin_with_the_number_filled_in(
    app, client, keyring
):
    _id, reference, _token = new_ticket(app, keyring)
    asked = client.get(f"/track/{reference.lower()}")
    assert asked.status_code == 302
    assert asked.headers["Location"] == f"/track?reference={reference}"
    form = client.get(asked.headers["Location"])
    assert form.status_code == 200
    assert f'value="{reference}"' in form.text
    assert "Permohonan" not in form.text.split("<h1>")[1].split("</h1>")[0]


def test_the_grant_expires(app, client, keyring, monkeypatch):
    _id, reference, token = new_ticket(app, keyring)
    open_link(client, token)
    assert client.get(f"/track/{reference}").status_code == 200
    later = time.time() + 60 * app.config["TRACK_GRANT_MINUTES"] + 1
    # Only the grant's clock: the rate limiter keeps the real one.
    monkeypatch.setattr(track_access, "time", SimpleNamespace(time=lambda: later))
    expired = client.get(f"/track/{reference}")
    assert expired.status_code == 302
    assert expired.headers["Location"] == f"/track?reference={reference}"


def test_a_grant_for_one_ticket_does_not_open_another(app, client, keyring):
    _a, mine, token = new_ticket(app, keyring)
    _b, other, _ = new_ticket(app, keyring)
    open_link(client, token)
    for path in (f"/track/{other}", f"/track/{other}/withdraw", f"/track/{other}/rate"):
        refused = client.get(path)
        assert refused.status_code == 302, path
        assert refused.headers["Location"] == f"/track?reference={other}"
    assert client.get(f"/track/{mine}").status_code == 200


# --- timeline ----------------------------------------------------------------------------


@pytest.fixture
def history(app, keyring):
    """A ticket sent Monday 16 March 2026 10:00 WIB, then: triage at 08:30 WIB
    on the 17th with a public note, an internal note, a question at 06:30 WIB
    on the 18th (23:30 UTC on the 17th), the resident's reply on the 25th."""
    ticket_id, reference, token = new_ticket(app, keyring)
    with app.app_context(), transaction():
        ticket = db.session.get(Ticket, ticket_id)
        transition(
            ticket,
            "in_review",
            HANDLER,
            "Kami mulai memeriksa",
            now=wib(2026, 3, 17, 8, 30),
            keyring=keyring,
        )
        add_note(
            ticket, HANDLER, "Catatan internal rahasia", now=wib(2026, 3, 17, 9), keyring=keyring
        )
        transition(
            ticket,
            "needs_info",
            HANDLER,
            "Mohon kirim foto KK",
            now=wib(2026, 3, 18, 6, 30),
            keyring=keyring,
        )
        transition(
            ticket,
            "in_review",
            Actor.resident(),
            "Ini foto KK saya",
            now=wib(2026, 3, 25, 14, 5),
            keyring=keyring,
        )
    return ticket_id, reference, token


def _order(text: str, *parts: str) -> list[int]:
    return [text.index(p) for p in parts]


def test_timeline_in_wib_in_indonesian_newest_last_without_internal_notes(
    client, history, monkeypatch
):
    page_clock(monkeypatch, wib(2026, 3, 26))
    page = client.get(f"/t/{history[2]}")
    text = page.text
    assert "Catatan internal rahasia" not in text
    when = [
        "16 Maret 2026, pukul 10:00 WIB",
        "17 Maret 2026, pukul 08:30 WIB",
        "18 Maret 2026, pukul 06:30 WIB",  # 17 March in UTC
        "25 Maret 2026, pukul 14:05 WIB",
    ]
    positions = _order(text, *when)
    assert positions == sorted(positions)
    assert re.search(r"Pesan dari kantor:</p>\s*<blockquote[^>]*>Mohon kirim foto KK<", text)
    assert re.search(r"Pesan dari kantor:</p>\s*<blockquote[^>]*>Kami mulai memeriksa<", text)
    assert re.search(r"Anda menulis:</p>\s*<blockquote[^>]*>Ini foto KK saya<", text)
    assert '<time datetime="2026-03-17T23:30:00+00:00">' in text


def test_timeline_in_english(client, history, monkeypatch):
    page_clock(monkeypatch, wib(2026, 3, 26))
    text = client.get(f"/t/{history[2]}?lang=en").text
    when = ["March 16, 2026, 10:00 WIB", "March 18, 2026, 06:30 WIB", "March 25, 2026, 14:05 WIB"]
    positions = _order(text, *when)
    assert positions == sorted(positions)
    assert re.search(r"The office wrote:</p>\s*<blockquote[^>]*>Mohon kirim foto KK<", text)
    assert re.search(r"You wrote:</p>\s*<blockquote[^>]*>Ini foto KK saya<", text)
    assert "Catatan internal rahasia" not in text


def test_tracking_link_keeps_the_receipt_and_grants(client, history):
    _id, reference, token = history
    page = client.get(f"/t/{token}")
    assert f"/t/{token}/receipt.pdf" in page.text
    assert client.get(f"/track/{reference}").status_code == 200


# --- deadline and lateness ---------------------------------------------------------------
# 2026 (lokal): Wed 18 March cuti bersama, Thu 19 Nyepi, Fri 20 and Sat 21
# Idulfitri, Mon 23 and Tue 24 cuti bersama. Triage due Tue 17 March.


@pytest.mark.parametrize(
    ("today", "late"),
    [
        (dt.date(2026, 3, 17), None),  # the due day itself
        (dt.date(2026, 3, 24), None),  # a week later, but no working day has passed
        (dt.date(2026, 3, 25), "Kantor terlambat 1 hari kerja."),
        (dt.date(2026, 3, 30), "Kantor terlambat 4 hari kerja."),  # 25, 26, 27, 30
    ],
)
def test_lateness_in_working_days_across_nyepi_and_idulfitri(
    app, client, keyring, monkeypatch, today, late
):
    _id, _ref, token = new_ticket(
        app, keyring, due_triage=dt.date(2026, 3, 17), due_next=dt.date(2026, 3, 17)
    )
    page_clock(monkeypatch, wib(today.year, today.month, today.day, 9))
    text = open_link(client, token).text
    assert "Kantor mulai memeriksa permohonan Anda paling lambat" in text
    assert "17 Maret 2026" in text
    if late is None:
        assert "terlambat" not in text
    else:
        assert late in text
        assert "Anda dapat meminta bantuan ke provinsi." in text
        assert "/help/late?office=dinsos-" in text


def test_lateness_in_english_says_working_days(app, client, keyring, monkeypatch):
    _id, _ref, token = new_ticket(app, keyring, due_next=dt.date(2026, 3, 17))
    page_clock(monkeypatch, wib(2026, 3, 31))
    text = client.get(f"/t/{token}?lang=en").text
    assert "The office is 5 working days late." in text  # 25, 26, 27, 30, 31


def test_paused_clock_says_so_instead_of_a_date(app, client, keyring, monkeypatch):
    _id, _ref, token = new_ticket(
        app,
        keyring,
        status="needs_info",
        paused_at=NOW,
        due_next=None,
        due_triage=dt.date(2026, 3, 17),
    )
    page_clock(monkeypatch, wib(2026, 4, 30))
    text = open_link(client, token).text
    assert "Dihentikan sementara selama kantor menunggu jawaban Anda" in text
    assert "paling lambat" not in text and "terlambat" not in text


# --- the office and how to reach it ------------------------------------------------------


def test_office_contact_shown_else_how_to_reach_it(app, client, keyring):
    ticket_id, _ref, token = new_ticket(app, keyring)
    office = office_of(app, ticket_id)
    text = open_link(client, token).text
    assert office.name in text
    assert "Kantor ini belum mencantumkan nomor telepon" in text
    with app.app_context(), transaction():
        set_public_contact(
            office.code,
            phone="(0251) 832 1234",
            email="dinsos@example.go.id",
            address="Jl. Tegar Beriman 1",
        )
    text = client.get(f"/t/{token}").text
    assert 'href="tel:02518321234"' in text and "(0251) 832 1234" in text
    assert 'href="mailto:dinsos@example.go.id"' in text and "Jl. Tegar Beriman 1" in text
    assert "Kantor ini belum mencantumkan nomor telepon" not in text


def test_offices_contact_command(app, keyring, db_clean):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["offices", "contact", "prov-32", "--phone", "(022) 423 4567", "--email", "x@y.id"]
    )
    assert result.exit_code == 0, result.output
    assert "(022) 423 4567" in result.output
    refused = runner.invoke(args=["offices", "contact", "prov-32", "--email", "not an email"])
    assert refused.exit_code != 0 and "email" in refused.output
    assert runner.invoke(args=["offices", "contact", "nowhere"]).exit_code != 0
    cleared = runner.invoke(args=["offices", "contact", "prov-32", "--phone", ""])
    assert "phone:   -" in cleared.output and "x@y.id" in cleared.output


def test_help_late_names_the_province_office_with_its_contact(app, client, keyring):
    ticket_id, _ref, _token = new_ticket(app, keyring)
    office = office_of(app, ticket_id)
    with app.app_context():
        province = db.session.get(Office, office.parent_id)
        assert province.level == "province"
        with transaction():
            set_public_contact(province.code, phone="(022) 423 4567")
        province_name = province.name
    text = client.get(f"/help/late?office={office.code}").text
    assert "Jika kantor terlambat" in text
    assert province_name in text and "(022) 423 4567" in text
    assert office.name in text
    generic = client.get("/help/late").text
    assert "Dinas Sosial Provinsi" in generic and province_name not in generic
    assert client.get("/help/late?office=nothing&lang=en").status_code == 200


def test_demo_contacts_fill_only_offices_without_one(app):
    from portal.regions.offices import demo_contacts
    from portal.tickets.demo_content import DEMO_CONTACTS

    with app.app_context():
        with transaction():
            set_public_contact("dinsos-32.03", phone="(0263) 111 222")
            assert demo_contacts(DEMO_CONTACTS) == len(DEMO_CONTACTS) - 1
        bogor = db.session.scalar(select(Office).where(Office.code == "dinsos-32.01"))
        assert bogor.public_phone == "(0251) 800 0101" and bogor.public_email
        kept = db.session.scalar(select(Office).where(Office.code == "dinsos-32.03"))
        assert (kept.public_phone, kept.public_address) == ("(0263) 111 222", None)
        with transaction():
            assert demo_contacts(DEMO_CONTACTS) == 0


# --- the decision ------------------------------------------------------------------------


def decide(app, keyring, outcome: str, then: str | None = None) -> str:
    """A ticket reviewed, verified and decided on Thursday 2 April 2026 at
    10:00 WIB with reasons and an explanation; ``then`` is a status set by
    hand afterwards. The window's end is set by hand to 17 April. Returns the token."""
    ticket_id, _ref, token = new_ticket(app, keyring)
    with app.app_context(), transaction():
        ticket = db.session.get(Ticket, ticket_id)
        transition(ticket, "in_review", HANDLER, now=wib(2026, 3, 17), keyring=keyring)
        transition(ticket, "verified", HANDLER, now=wib(2026, 3, 30), keyring=keyring)
        ticket.decision_reasons = "not_meeting_criteria;documents_missing"
        transition(
            ticket,
            outcome,
            HANDLER,
            "Penghasilan keluarga di atas batas.",
            now=wib(2026, 4, 2),
            keyring=keyring,
        )
        ticket.appeal_until = dt.date(2026, 4, 17)
        if then:
            ticket.status = then
    return token


def decision_part(text: str) -> str:
    """The decision section of the status page (up to the next heading)."""
    return text.split("Keputusan</h2>", 1)[1].split("<h2>", 1)[0]


def test_rejection_in_plain_words_with_reasons_explanation_and_appeal_date(
    app, client, keyring, monkeypatch
):
    token = decide(app, keyring, "rejected")
    page_clock(monkeypatch, wib(2026, 4, 6))
    part = decision_part(open_link(client, token).text)
    assert "Permohonan Anda tidak disetujui." in part
    assert "Diputuskan pada" in part and "2 April 2026, pukul 10:00 WIB" in part
    assert "Rumah tangga tidak memenuhi kriteria" in part
    assert "Dokumen yang diperlukan kurang atau tidak sah" in part
    assert re.search(r"Pesan dari kantor:</p>\s*<blockquote[^>]*>Penghasilan keluarga", part)
    assert "mengajukan banding sampai 17 April 2026" in part
    english = client.get(f"/t/{token}?lang=en").text
    assert "Your request was not accepted." in english
    assert "The household does not meet the criteria" in english
    assert "you can appeal until April 17, 2026" in english


@pytest.mark.parametrize("then", [None, "closed"])
def test_after_the_window_no_appeal_date_is_offered(app, client, keyring, monkeypatch, then):
    token = decide(app, keyring, "rejected", then=then)
    page_clock(monkeypatch, wib(2026, 4, 18))  # the day after the window's end
    part = decision_part(open_link(client, token).text)
    assert "Permohonan Anda tidak disetujui." in part  # closed or not, the same outcome
    assert "banding" not in part


def test_forwarded_is_accepted_and_sent_on(app, client, keyring, monkeypatch):
    token = decide(app, keyring, "accepted", then="forwarded")
    page_clock(monkeypatch, wib(2026, 4, 6))
    text = open_link(client, token).text
    assert "disetujui dan diteruskan ke Kementerian Sosial" in text
