"""The outbox's promises, on SQLite and PostgreSQL: a message commits with
its event or not at all; claims skip what is not due and expired leases come
back; marks are fenced; retries back off 30 s, 60 s, 120 s … and
dead-letter; what has no recipient or channel is skipped."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.db import stored_utc, transaction
from portal.extensions import db
from portal.notify import outbox
from portal.notify.worker import Worker
from portal.tickets.models import OutboxMessage, Ticket, TicketEvent
from portal.tickets.workflow import Actor, transition
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway
HANDLER = Actor.staff(7, "handler")
PHONE = "0812-3456-7890"


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def sms_worker(app, keyring, gateway, seconds: float = 0, **over) -> Worker:
    config = worker_config(app, SMS_GATEWAY_URL=gateway.url, **over)
    return Worker(config, keyring, clock=lambda: at(seconds))


def utc(moment):
    """Aware, whatever the backend returns (SQLite drops the zone)."""
    return stored_utc(moment)


# --- one transaction -------------------------------------------------------------------


def test_a_move_commits_with_its_message_or_not_at_all(app_ctx, keyring):
    ticket_id = submit(keyring, answers()).ticket_id

    with pytest.raises(RuntimeError), transaction():
        transition(db.session.get(Ticket, ticket_id), "in_review", HANDLER, now=NOW)
        db.session.flush()
        raise RuntimeError("the request failed after the move")

    def counted():
        return (
            db.session.scalar(select(func.count()).select_from(TicketEvent)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        )

    assert counted() == (1, 1)  # the submission's event and message only
    with transaction():
        transition(db.session.get(Ticket, ticket_id), "in_review", HANDLER, now=NOW)
    assert counted() == (2, 2)


# --- claiming and fencing --------------------------------------------------------------


def test_claim_takes_only_due_messages_without_a_live_lease(app_ctx, keyring):
    ticket_id = submit(keyring, answers()).ticket_id
    ticket = db.session.get(Ticket, ticket_id)
    states = {
        "pending": {},
        "retry due": {"status": "retry", "next_attempt_at": at(-1)},
        "retry later": {"status": "retry", "next_attempt_at": at(1)},
        "leased": {"claimed_by": "other", "claimed_until": at(1)},
        "lease expired": {"claimed_by": "dead-worker", "claimed_until": at(-1)},
        "sent": {"status": "sent", "sent_at": at(-5)},
        "dead": {"status": "dead"},
        "skipped": {"status": "skipped"},
    }
    ids = {}
    with transaction():
        for name, values in states.items():
            message = OutboxMessage.for_ticket("ticket.message", ticket, NOW)
            for key, value in values.items():
                setattr(message, key, value)
            db.session.add(message)
            db.session.flush()
            ids[name] = message.id

    with transaction():
        claimed = outbox.claim(NOW, "me", 50, 120)

    first = db.session.scalar(select(func.min(OutboxMessage.id)))  # the submission's
    assert claimed == [first, ids["pending"], ids["retry due"], ids["lease expired"]]
    with transaction():
        assert outbox.claim(NOW, "you", 50, 120) == []
    mine = {m.id: m for m in rows()}
    assert mine[ids["pending"]].claimed_by == "me"
    assert utc(mine[ids["pending"]].claimed_until) == utc(at(120))
    assert mine[ids["leased"]].claimed_by == "other"


def test_claim_takes_at_most_a_batch_oldest_first(app_ctx, keyring):
    ticket = db.session.get(Ticket, submit(keyring, answers()).ticket_id)
    with transaction():
        for _ in range(6):
            db.session.add(OutboxMessage.for_ticket("ticket.message", ticket, NOW))
    ids = [m.id for m in rows()]

    with transaction():
        first = outbox.claim(NOW, "me", 3, 120)
    with transaction():
        second = outbox.claim(NOW, "you", 3, 120)

    assert (first, second) == (ids[:3], ids[3:6])


def test_a_worker_whose_lease_was_taken_over_cannot_mark(app_ctx, keyring):
    submit(keyring, answers())
    with transaction():
        [message_id] = outbox.claim(NOW, "slow", 10, 120)
    with transaction():
        assert outbox.claim(at(121), "fast", 10, 120) == [message_id]

    with transaction():
        assert not outbox.mark_sent(message_id, "slow", at(122), "sms")
        assert (
            outbox.mark_failed(
                message_id,
                "slow",
                at(122),
                attempts_before=0,
                error="x",
                permanent=True,
                policy=outbox.RetryPolicy(8, 30, 3600),
            )
            is None
        )
    [row] = rows()
    assert (row.status, row.claimed_by, row.attempts) == ("pending", "fast", 0)
    with transaction():
        assert outbox.mark_sent(message_id, "fast", at(123), "sms")
    [row] = rows()
    assert (row.status, row.claimed_by, row.attempts, row.channel) == ("sent", None, 1, "sms")


# --- retries, dead letter, skips -------------------------------------------------------


def test_retries_back_off_and_dead_letter_after_the_last_attempt(
    app, app_ctx, keyring, sms_gateway
):
    submit(keyring, answers(reporter_contact=PHONE))
    sms_gateway.default_status = 500
    # 4 attempts: at 0 s, then after 30 s, 60 s, 120 s (computed by hand).
    schedule = [(0, at(30)), (30, at(90)), (90, at(210))]

    for attempt, (when, next_at) in enumerate(schedule, start=1):
        if attempt > 1:
            sms_worker(app, keyring, sms_gateway, when - 1, OUTBOX_MAX_ATTEMPTS=4).run_once()
            assert len(sms_gateway.requests) == attempt - 1  # not due yet
        sms_worker(app, keyring, sms_gateway, when, OUTBOX_MAX_ATTEMPTS=4).run_once()
        [row] = rows()
        assert (row.status, row.attempts) == ("retry", attempt)
        assert utc(row.next_attempt_at) == utc(next_at)
        assert row.last_error == "sms gateway http 500"
    sms_worker(app, keyring, sms_gateway, 210, OUTBOX_MAX_ATTEMPTS=4).run_once()

    [row] = rows()
    assert (row.status, row.attempts, row.next_attempt_at) == ("dead", 4, None)
    assert len(sms_gateway.requests) == 4
    assert {r["body"]["idempotency_key"] for r in sms_gateway.requests} == {row.event_id}
    sms_worker(app, keyring, sms_gateway, 100_000, OUTBOX_MAX_ATTEMPTS=4).run_once()
    assert len(sms_gateway.requests) == 4  # a dead letter is never tried again


def test_the_backoff_stops_growing_at_its_ceiling():
    policy = outbox.RetryPolicy(max_attempts=20, backoff_seconds=30, backoff_max_seconds=21600)
    seconds = [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 10, 11, 12)]
    assert seconds == [30, 60, 120, 240, 15360, 21600, 21600]


@pytest.mark.parametrize(("status", "outcome"), [(400, "dead"), (429, "retry"), (408, "retry")])
def test_a_refusal_is_dead_at_once_a_throttle_is_retried(
    app, app_ctx, keyring, sms_gateway, status, outcome
):
    submit(keyring, answers(reporter_contact=PHONE))
    sms_gateway.statuses = [status]

    sms_worker(app, keyring, sms_gateway).run_once()

    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == (outcome, 1, f"sms gateway http {status}")


def test_no_contact_or_no_channel_is_skipped_with_the_reason(app, app_ctx, keyring, sms_gateway):
    submit(keyring, answers(reporter_contact=None))
    submit(keyring, answers(reporter_contact="warga@example.org"))  # no SMTP_URL

    sms_worker(app, keyring, sms_gateway).run_once()

    assert [(r.status, r.last_error, r.attempts) for r in rows()] == [
        ("skipped", "no contact", 0),
        ("skipped", "email not configured", 0),
    ]
    assert sms_gateway.requests == []


def test_private_moves_and_an_unchanged_public_status_are_not_told(
    app, app_ctx, keyring, sms_gateway
):
    ticket_id = submit(keyring, answers(reporter_contact=PHONE)).ticket_id
    with transaction():
        ticket = db.session.get(Ticket, ticket_id)
        transition(ticket, "in_review", HANDLER, now=NOW)  # Received → Being checked
        transition(ticket, "field_check", HANDLER, now=at(1))  # still Being checked
        transition(ticket, "needs_info", HANDLER, now=at(2), public=False)
        # Back from a move the resident never heard of: still "Being checked" for them.
        transition(ticket, "in_review", HANDLER, now=at(3))

    sms_worker(app, keyring, sms_gateway, 10).run_once()

    assert [(r.status, r.last_error) for r in rows()] == [
        ("sent", None),
        ("sent", None),
        ("skipped", "public status unchanged"),
        ("skipped", "move not public"),
        ("skipped", "public status unchanged"),
    ]
    assert len(sms_gateway.requests) == 2


def test_the_cli_delivers_once_and_reports_counts(app, app_ctx, keyring):
    submit(keyring, answers(reporter_contact=None))
    submit(keyring, answers(reporter_contact=None))
    runner = app.test_cli_runner()

    before = runner.invoke(args=["outbox", "status"])
    run = runner.invoke(args=["outbox", "run", "--once"])
    after = runner.invoke(args=["outbox", "status"])

    assert before.output.splitlines()[0] == "pending=2 retry=0 sent=0 dead=0 skipped=0"
    assert before.output.splitlines()[1].startswith("oldest undelivered: ")
    assert run.exit_code == 0
    assert run.output == "outbox: sent 0, retry 0, dead 0, skipped 2, lost 0\n"
    assert after.output.splitlines() == [
        "pending=0 retry=0 sent=0 dead=0 skipped=2",
        "oldest undelivered: none",
    ]
