"""How long the outbox tries, how a dead message is tried again, and how
long finished messages are kept (issue 11 §5 review)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import stored_utc, transaction
from portal.extensions import db
from portal.notify import outbox
from portal.tickets.models import OutboxMessage, Ticket
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def add_messages(keyring, states: list[tuple[str, dt.datetime]]) -> list[int]:
    """Messages in ``(status, created_at)``; the submission's own message is deleted."""
    ticket_id = submit(keyring, answers(reporter_contact="081234567890")).ticket_id
    with transaction():
        for message in rows():
            db.session.delete(message)
        ticket = db.session.get(Ticket, ticket_id)
        added = []
        for status, created in states:
            message = OutboxMessage.for_ticket("ticket.message", ticket, created)
            message.status = status
            message.attempts = 18 if status == "dead" else 0
            message.last_error = "sms gateway http 503" if status == "dead" else None
            message.sent_at = created if status == "sent" else None
            db.session.add(message)
            added.append(message)
        db.session.flush()
        return [m.id for m in added]


def test_the_default_retries_span_about_two_days(app):
    policy = outbox.RetryPolicy.from_config(app.config)
    tries, at = [0], 0
    for failed in range(1, policy.max_attempts):
        at += policy.delay(failed).total_seconds()
        tries.append(at)
    # By hand: 30 s doubling to 15 360 s (the 10th wait; sum 30 690 s), then
    # 6 h (21 600 s) waits; the 18th and last try 50 h 31 min 30 s after the first.
    assert tries == [
        0, 30, 90, 210, 450, 930, 1890, 3810, 7650, 15330, 30690,
        52290, 73890, 95490, 117090, 138690, 160290, 181890,
    ]  # fmt: skip


def test_retry_dead_sets_dead_messages_back_and_they_are_delivered(
    app, app_ctx, keyring, sms_gateway
):
    old, new, sent = add_messages(
        keyring,
        [
            ("dead", dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC)),
            ("dead", dt.datetime(2026, 3, 15, 1, tzinfo=dt.UTC)),
            ("sent", dt.datetime(2026, 3, 15, 2, tzinfo=dt.UTC)),
        ],
    )
    runner = app.test_cli_runner()

    since = runner.invoke(args=["outbox", "retry-dead", "--since", "2026-03-15"])
    assert since.output == "outbox: 1 dead message(s) set back to retry\n"
    states = {m.id: (m.status, m.attempts, m.next_attempt_at) for m in rows()}
    assert states == {old: ("dead", 18, None), new: ("retry", 0, None), sent: ("sent", 0, None)}

    rest = runner.invoke(args=["outbox", "retry-dead"])
    assert rest.output == "outbox: 1 dead message(s) set back to retry\n"

    from portal.notify.worker import Worker

    config = worker_config(app, SMS_GATEWAY_URL=sms_gateway.url)
    Worker(config, keyring, clock=lambda: NOW).run_once()
    assert [(m.status, m.attempts) for m in rows()] == [("sent", 1), ("sent", 1), ("sent", 0)]
    assert len(sms_gateway.requests) == 2


def test_purge_expired_deletes_finished_messages_past_the_keep_days(app, app_ctx, keyring):
    now = dt.datetime.now(dt.UTC)
    ago = [now - dt.timedelta(days=d) for d in (91, 89, 100, 100, 100, 100)]
    statuses = ["sent", "sent", "skipped", "dead", "pending", "retry"]
    ids = add_messages(keyring, list(zip(statuses, ago, strict=True)))

    result = app.test_cli_runner().invoke(args=["tickets", "purge-expired"])

    assert result.exit_code == 0, result.output
    assert "removed 3 finished outbox message(s) older than 90 days" in result.output
    # Kept: a sent message 89 days old, and every message still to deliver.
    assert [m.id for m in rows()] == [ids[1], ids[4], ids[5]]


def test_the_keep_days_are_a_setting(app, app_ctx, keyring, monkeypatch):
    now = dt.datetime.now(dt.UTC)
    add_messages(keyring, [("sent", now - dt.timedelta(days=8)), ("sent", now)])
    monkeypatch.setitem(app.config, "OUTBOX_KEEP_DAYS", 7)

    result = app.test_cli_runner().invoke(args=["tickets", "purge-expired"])

    assert "removed 1 finished outbox message(s) older than 7 days" in result.output
    assert [stored_utc(m.created_at) for m in rows()] == [now]
