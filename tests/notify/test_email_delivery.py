"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): the resident's
language, the tracking link, the idempotency headers, and never a NIK, a
name or the PIN."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.notify.worker import Worker
from portal.tickets.models import OutboxMessage, Ticket
from portal.tickets.workflow import Actor, add_note, transition
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
smtp_server = servers.smtp_server

NIK = "3201016510750001"
NAME = "Yati Suryani"
HANDLER = Actor.staff(7, "handler")


def resident_ticket(keyring, lang: str, contact: str = "warga@example.org"):
    """A ticket whose answers hold a NIK and a name, as a resident would type them."""
    return submit(
        keyring,
        answers(
            subject_name=NAME,
            details=f"NIK saya {NIK}, suami sakit.",
            reporter_contact=contact,
            lang=lang,
        ),
    )


def deliver(app, keyring, server) -> None:
    Worker(worker_config(app, SMTP_URL=server.url + "?starttls=0"), keyring).run_once()


def text_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


@pytest.mark.parametrize(
    ("lang", "subject_words", "status_words"),
    [
        ("id", "Permohonan Anda", "Sudah diterima"),
        ("en", "Your request", "Received"),
    ],
)
def test_the_email_is_in_the_ticket_language_with_the_tracking_link(
    app, app_ctx, keyring, smtp_server, lang, subject_words, status_words
):
    sent = resident_ticket(keyring, lang)

    deliver(app, keyring, smtp_server)

    [received] = smtp_server.messages
    message = received.message
    assert received.rcpt_tos == ["warga@example.org"]
    assert message["Subject"] == f"{subject_words} {sent.reference}: {status_words}"
    assert message["Content-Language"] == lang
    assert message.get_content_type() == "multipart/alternative"
    link = f"http://localhost/t/{sent.tracking_token}"
    assert link in text_of(message, "plain")
    assert f'href="{link}"' in text_of(message, "html")
    assert status_words in text_of(message, "html")
    [row] = db.session.scalars(select(OutboxMessage))
    assert message["X-Idempotency-Key"] == row.event_id
    assert message["Message-ID"] == f"<{row.event_id}@dtsen.invalid>"
    assert (row.status, row.channel, row.attempts) == ("sent", "email", 1)


def test_no_nik_name_pin_or_note_text_in_any_message(app, app_ctx, keyring, smtp_server):
    sent = resident_ticket(keyring, "id")
    with transaction():
        ticket = db.session.get(Ticket, sent.ticket_id)
        transition(ticket, "in_review", HANDLER, now=NOW)
        add_note(ticket, HANDLER, f"Mohon kirim KTP {NAME}, NIK {NIK}", public=True, now=NOW)
        transition(ticket, "needs_info", HANDLER, f"Ibu {NAME}: KK?", now=NOW)

    deliver(app, keyring, smtp_server)

    assert len(smtp_server.messages) == 4  # received, being checked, a message, waiting
    for received in smtp_server.messages:
        raw = received.raw.decode()
        body = "\n".join(text_of(received.message, t) for t in ("plain", "html"))
        for secret in (NIK, sent.pin, "Yati", "Suryani", "KTP"):
            assert secret not in raw and secret not in body
        assert not re.search(r"(?<!\d)\d{16}(?!\d)", body)
    bodies = [text_of(r.message, "plain") for r in smtp_server.messages]
    assert "Silakan balas di halaman lacak permohonan" in bodies[3]
    assert "Kantor mengirim pesan" in bodies[2]


def test_a_ticket_without_a_token_points_to_track_with_number_and_pin(
    app, app_ctx, keyring, smtp_server
):
    sent = resident_ticket(keyring, "en")
    with transaction():
        db.session.get(Ticket, sent.ticket_id).tracking_token_enc = None

    deliver(app, keyring, smtp_server)

    body = text_of(smtp_server.messages[0].message, "plain")
    assert "http://localhost/track with your ticket number and PIN" in body
    assert "/t/" not in body


def test_a_refused_recipient_is_a_dead_letter_at_once(app, app_ctx, keyring, smtp_server):
    resident_ticket(keyring, "id", contact="refuse-me@example.org")

    deliver(app, keyring, smtp_server)

    [row] = db.session.scalars(select(OutboxMessage))
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "smtp recipient refused 550")
    assert row.next_attempt_at is None
    assert smtp_server.messages == []


def test_an_unreachable_server_is_retried_later(app, app_ctx, keyring, smtp_server):
    resident_ticket(keyring, "id")
    url = smtp_server.url
    smtp_server.stop()

    Worker(worker_config(app, SMTP_URL=url), keyring, clock=lambda: NOW).run_once()

    [row] = db.session.scalars(select(OutboxMessage))
    assert (row.status, row.attempts) == ("retry", 1)
    assert row.last_error == "smtp ConnectionRefusedError"
    smtp_server.start()  # the fixture stops it again


def test_starttls_required_but_not_offered_is_not_sent_in_clear(app, app_ctx, keyring, smtp_server):
    resident_ticket(keyring, "id")

    config = worker_config(app, SMTP_URL=smtp_server.url + "?starttls=1")
    Worker(config, keyring, clock=lambda: NOW).run_once()

    [row] = db.session.scalars(select(OutboxMessage))
    assert (row.status, row.last_error) == ("retry", "smtp server offers no STARTTLS")
    assert smtp_server.messages == []
