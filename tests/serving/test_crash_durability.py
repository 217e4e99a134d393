"""SECURITY.md RE4: a gunicorn server is SIGKILLed (master and workers, no
handler runs) the moment it has acknowledged a submission: the ticket, its
evidence row and its file are there afterwards, and the restarted server
shows the resident their confirmation and tracking page. Runs on whichever
backend the suite runs on (SQLite: WAL, synchronous=FULL, whose PRAGMAs
tests/test_app.py asserts; PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.storage import storage
from portal.tickets.models import Evidence, Ticket
from tests.serving.gunicorn_server import HttpClient
from tests.web import journeys


@pytest.fixture
def server(small_server):
    return small_server


def test_a_submission_acknowledged_then_sigkill_survives_the_restart(app, server, db_clean):
    client = HttpClient(server.url)
    check = journeys.answer_up_to_check(client, "proposal", "other_household", files=1)
    key = journeys.IDEMPOTENCY.search(check.text).group(1)

    sent = journeys.post(client, "/submit/proposal/check", {"idempotency_key": key})
    assert (sent.status_code, sent.headers["Location"]) == (303, "/submit/sent")
    server.kill()

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.idempotency_key == key))
        assert ticket is not None and ticket.status == "submitted"
        [evidence] = db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket.id))
        stored = storage().get(evidence.stored_name)
        assert hashlib.sha256(stored).hexdigest() == evidence.sha256
        reference = ticket.reference

    server.start()
    confirmation = client.get("/submit/sent")
    assert confirmation.status_code == 200
    assert reference in confirmation.text
    assert journeys.PIN.search(confirmation.text)
    tracking = client.get(journeys.TRACKING.search(confirmation.text).group(1))
    assert tracking.status_code == 200 and reference in tracking.text
