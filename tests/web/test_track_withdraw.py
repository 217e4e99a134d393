"""Withdrawing a request (issue 11 §3): a confirmation page with an optional
reason, one withdrawal per form however often it is sent, and a clear
refusal after a decision."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import resident_moves
from portal.tickets.models import P_EVENT_NOTE, OutboxMessage, Ticket, TicketEvent
from portal.tickets.workflow import InvalidTransition
from tests.tickets import NOW
from tests.web.journeys import post
from tests.web.resident_tickets import form_key, new_ticket, open_link

pytestmark = pytest.mark.usefixtures("db_clean")


def withdrawals(app, ticket_id: int) -> list[TicketEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "withdrawn"
                )
            )
        )


def status_of(app, ticket_id: int) -> str:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).status


@pytest.fixture
def opened(app, client, keyring):
    ticket_id, reference, token = new_ticket(app, keyring)
    page = open_link(client, token)
    assert f"/track/{reference}/withdraw" in page.text  # the action is offered
    return ticket_id, reference


def test_confirmation_page_then_withdrawn_with_the_reason(app, client, keyring, opened):
    ticket_id, reference = opened
    page = client.get(f"/track/{reference}/withdraw")
    assert page.status_code == 200
    assert f"Yakin ingin membatalkan permohonan {reference}?" in page.text
    assert "Langkah selanjutnya" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert status_of(app, ticket_id) == "submitted"  # showing the page changes nothing
    done = post(
        client,
        f"/track/{reference}/withdraw",
        {"idempotency_key": form_key(page), "reason": "Keadaan kami sudah membaik"},
    )
    assert done.status_code == 303 and done.headers["Location"] == f"/track/{reference}"
    status = client.get(done.headers["Location"])
    assert "Permohonan Anda sudah dibatalkan" in status.text
    assert "Dibatalkan" in status.text
    assert "Anda menulis:" in status.text and "Keadaan kami sudah membaik" in status.text
    assert f"/track/{reference}/withdraw" not in status.text  # no longer offered
    [event] = withdrawals(app, ticket_id)
    assert (event.actor, event.public, event.from_status) == ("resident", True, "submitted")
    assert event.idempotency_key == form_key(page)
    assert keyring.decrypt(event.note_enc, P_EVENT_NOTE) == "Keadaan kami sudah membaik"
    with app.app_context():
        topics = db.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.ticket_id == ticket_id)
        ).all()
    assert any('"status": "withdrawn"' in p for p in topics)


def test_the_same_form_twice_withdraws_once_and_shows_the_same_result(app, client, opened):
    ticket_id, reference = opened
    key = form_key(client.get(f"/track/{reference}/withdraw"))
    answers = [
        post(client, f"/track/{reference}/withdraw", {"idempotency_key": key}) for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    second = client.get(answers[1].headers["Location"])
    assert "Permohonan Anda sudah dibatalkan" in second.text
    assert len(withdrawals(app, ticket_id)) == 1


def test_withdraw_twice_with_one_key_is_one_event(app, keyring):
    ticket_id, _ref, _token = new_ticket(app, keyring)
    with app.app_context():
        results = []
        for _ in range(2):
            with transaction():
                ticket = db.session.get(Ticket, ticket_id)
                results.append(resident_moves.withdraw(ticket, None, "key-1", NOW, keyring))
        assert [r.already for r in results] == [False, True]
        assert results[0].event_id == results[1].event_id
        assert db.session.scalar(select(func.count()).where(TicketEvent.kind == "withdrawn")) == 1


def test_after_a_decision_withdrawing_is_refused_clearly(app, client, keyring):
    ticket_id, reference, token = new_ticket(app, keyring, status="accepted")
    open_link(client, token)
    assert f"/track/{reference}/withdraw" not in client.get(f"/track/{reference}").text
    page = client.get(f"/track/{reference}/withdraw")
    assert page.status_code == 409
    assert "Permohonan ini tidak dapat dibatalkan lagi" in page.text
    refused = post(client, f"/track/{reference}/withdraw", {"idempotency_key": "k" * 20})
    assert refused.status_code == 409
    assert status_of(app, ticket_id) == "accepted" and withdrawals(app, ticket_id) == []
    with app.app_context(), pytest.raises(InvalidTransition):
        resident_moves.withdraw(db.session.get(Ticket, ticket_id), None, "key-2", NOW, keyring)


def test_a_long_reason_is_a_translated_field_error(app, client, opened):
    ticket_id, reference = opened
    key = form_key(client.get(f"/track/{reference}/withdraw"))
    limit = app.config["RESIDENT_TEXT_MAX_CHARS"]
    data = {"idempotency_key": key, "reason": "x" * (limit + 1)}
    page = post(client, f"/track/{reference}/withdraw", data)
    assert page.status_code == 400
    # The one message of the resident's text limit (the reply page's too).
    wrote = f"Tulis paling banyak {limit} karakter; Anda menulis {limit + 1}"
    assert 'href="#reason"' in page.text and wrote in page.text
    english = post(client, f"/track/{reference}/withdraw?lang=en", data)
    assert f"Write {limit} characters or fewer; you wrote {limit + 1}" in english.text
    assert status_of(app, ticket_id) == "submitted"


def test_without_a_grant_nothing_is_withdrawn(app, client, keyring):
    ticket_id, reference, _token = new_ticket(app, keyring)
    page = post(client, f"/track/{reference}/withdraw", {"idempotency_key": "k" * 20})
    assert page.status_code == 302
    assert page.headers["Location"] == f"/track?reference={reference}"
    assert status_of(app, ticket_id) == "submitted"
