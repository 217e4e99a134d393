"""SMS through the HTTP gateway (a fake one on 127.0.0.1): the JSON body and
token, Indonesian numbers in E.164, 160 plain characters with the link, one
kept-alive connection, and answers to an inbound SMS."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from portal.db import transaction
from portal.extensions import db
from portal.notify.recipients import normalise_phone
from portal.notify.worker import Worker
from portal.tickets.models import P_OUTBOX_RECIPIENT, OutboxMessage, Ticket
from portal.tickets.workflow import Actor, transition
from tests.notify import servers
from tests.notify.servers import TOKEN, worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway
NIK = "3201016510750001"
HANDLER = Actor.staff(7, "handler")


def deliver(app, keyring, gateway) -> None:
    Worker(worker_config(app, SMS_GATEWAY_URL=gateway.url), keyring).run_once()


def ticket_with_phone(keyring, lang: str = "id", phone: str = "0812 3456 7890"):
    return submit(
        keyring,
        answers(subject_name="Yati", details=f"NIK {NIK}", reporter_contact=phone, lang=lang),
    )


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+62 (812) 3456.7890", "+6281234567890"),
        ("0062812345678", "+62812345678"),
        ("12345", None),
        ("call me", None),
    ],
)
def test_indonesian_numbers_become_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize(("lang", "status"), [("id", "Sudah diterima"), ("en", "Received")])
def test_the_sms_is_short_plain_in_the_ticket_language_with_the_link(
    app, app_ctx, keyring, sms_gateway, lang, status
):
    sent = ticket_with_phone(keyring, lang)

    deliver(app, keyring, sms_gateway)

    [request] = sms_gateway.requests
    body, headers = request["body"], request["headers"]
    [row] = db.session.scalars(select(OutboxMessage))
    assert set(body) == {"to", "text", "idempotency_key"}
    assert body["to"] == "+6281234567890"
    assert body["idempotency_key"] == row.event_id
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    text = body["text"]
    assert text.startswith(f"{sent.reference}: {status}.")
    assert text.endswith(f"http://localhost/t/{sent.tracking_token}")
    assert len(text) <= 160 and text.isascii()
    for secret in (NIK, sent.pin, "Yati"):
        assert secret not in text
    assert (row.status, row.channel) == ("sent", "sms")


def test_a_long_next_step_is_shortened_never_the_link(app, app_ctx, keyring, sms_gateway):
    sent = ticket_with_phone(keyring, "id")
    with transaction():
        ticket = db.session.get(Ticket, sent.ticket_id)
        transition(ticket, "in_review", HANDLER, now=NOW)
        transition(ticket, "verified", HANDLER, now=NOW)
        transition(ticket, "rejected", HANDLER, now=NOW)
    # 90 characters: the link is 115, so 13 are left for the step of the last SMS.
    long_base = (
        "https://cekdtsen.dinsos.kabupaten-bogor.example.go.id/layanan/portal-warga/pelacakan/abcde"
    )

    config = worker_config(app, SMS_GATEWAY_URL=sms_gateway.url, PUBLIC_BASE_URL=long_base)
    Worker(config, keyring, clock=lambda: NOW).run_once()  # inside the appeal window

    texts = [r["body"]["text"] for r in sms_gateway.requests]
    assert len(texts) == 4  # received, being checked, waiting for a decision, not accepted
    link = f"{long_base}/t/{sent.tracking_token}"
    for text in texts:
        assert len(text) <= 160 and text.endswith(link)
    assert texts[3] == f"{sent.reference}: Tidak disetujui. Sanggah sa... {link}"


def test_one_connection_carries_a_round_of_messages(app, app_ctx, keyring, sms_gateway):
    for _ in range(3):
        ticket_with_phone(keyring)

    deliver(app, keyring, sms_gateway)

    assert len(sms_gateway.requests) == 3
    assert len(set(sms_gateway.peers)) == 1


def reply(keyring, ticket: Ticket | None, number: str) -> None:
    """What the inbound webhook writes: an answer to the number that asked."""
    if ticket is None:
        message = OutboxMessage(
            event_id=str(uuid.uuid4()),
            topic="sms.reply",
            payload='{"answer": "help"}',
            created_at=NOW,
            attempts=0,
            status="pending",
        )
    else:
        message = OutboxMessage.for_ticket("sms.reply", ticket, NOW, answer="status")
    purpose = P_OUTBOX_RECIPIENT + b":" + message.event_id.encode()
    message.recipient_enc = keyring.encrypt(number, purpose)
    db.session.add(message)


def test_answers_to_an_inbound_sms_go_to_the_number_that_asked(app, app_ctx, keyring, sms_gateway):
    sent = ticket_with_phone(keyring, "en", phone="081111111111")
    with transaction():
        ticket = db.session.get(Ticket, sent.ticket_id)
        transition(ticket, "in_review", HANDLER, now=NOW)
        db.session.execute(update(OutboxMessage).values(status="sent"))
        reply(keyring, ticket, "+6282222222222")
        reply(keyring, None, "0833 3333 3333")

    deliver(app, keyring, sms_gateway)

    status, help_text = (r["body"] for r in sms_gateway.requests)
    assert status["to"] == "+6282222222222"
    assert status["text"].startswith(f"{sent.reference}: Being checked. Due by ")
    assert status["text"].endswith("http://localhost/track")  # never the token link
    assert help_text["to"] == "+6283333333333"
    assert help_text["text"] == (
        "Untuk memeriksa permohonan Anda, kirim CEK dan nomor tiket Anda, mis. CEK DT-7KQ4-M9XW."
    )
