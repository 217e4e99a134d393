"""``flask tickets close-expired`` (issue 11 §4): rejected and forwarded
tickets whose appeal window ended before today (WIB) are closed by the
system actor; the window's last day and accepted tickets stay; a second run
closes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import closing, sla
from portal.tickets.models import OutboxMessage, Ticket, TicketEvent
from portal.tickets.workflow import InvalidTransition
from tests.tickets import submit

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")


def ticket(keyring, status: str, appeal_until: dt.date | None) -> int:
    """A submitted ticket put straight into ``status`` (setup, not a move)."""
    ticket_id = submit(keyring).ticket_id
    with transaction():
        row = db.session.get(Ticket, ticket_id)
        row.status, row.appeal_until, row.due_next = status, appeal_until, None
    return ticket_id


def statuses(ids: dict[str, int]) -> dict[str, str]:
    db.session.expire_all()
    return {name: db.session.get(Ticket, i).status for name, i in ids.items()}


def closed_events() -> list[TicketEvent]:
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "closed")))


def test_closes_inside_the_rule_only_as_the_system_and_idempotently(app, keyring):
    today = sla.local_date(sla.as_utc())
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    ids = {
        "rejected_past": ticket(keyring, "rejected", yesterday),
        "forwarded_past": ticket(keyring, "forwarded", yesterday - dt.timedelta(days=30)),
        "rejected_last_day": ticket(keyring, "rejected", today),
        "forwarded_open": ticket(keyring, "forwarded", tomorrow),
        "accepted_past": ticket(keyring, "accepted", yesterday),
        "in_review": ticket(keyring, "in_review", None),
    }
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tickets", "close-expired", "--batch-size", "1"])
    assert first.exit_code == 0, first.output
    assert f"closed 2 ticket(s) whose appeal window ended before {today.isoformat()}" in (
        first.output
    )
    assert "1 accepted ticket(s) past their appeal window stay open" in first.output
    assert statuses(ids) == {
        "rejected_past": "closed",
        "forwarded_past": "closed",
        "rejected_last_day": "rejected",
        "forwarded_open": "forwarded",
        "accepted_past": "accepted",
        "in_review": "in_review",
    }
    events = closed_events()
    assert sorted(e.ticket_id for e in events) == sorted(
        [ids["rejected_past"], ids["forwarded_past"]]
    )
    assert {(e.actor, e.public) for e in events} == {("system", True)}
    assert {e.from_status for e in events} == {"rejected", "forwarded"}
    closed_messages = db.session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.topic == "ticket.status_changed")
    ).all()
    assert sum('"status": "closed"' in p for p in closed_messages) == 2

    second = runner.invoke(args=["tickets", "close-expired"])
    assert second.exit_code == 0
    assert "closed 0 ticket(s)" in second.output
    assert len(closed_events()) == 2


def test_today_is_the_wib_date(keyring):
    """At 01:00 WIB on 31 March (18:00 UTC on the 30th) a window that ended on
    the 30th has passed; at 23:59 WIB on the 30th it has not."""
    ticket_id = ticket(keyring, "rejected", dt.date(2026, 3, 30))
    before = dt.datetime(2026, 3, 30, 16, 59, tzinfo=dt.UTC)
    after = dt.datetime(2026, 3, 30, 18, 0, tzinfo=dt.UTC)
    with transaction():
        none = closing.close_batch(sla.local_date(before), before, keyring)
    assert none.closed == 0
    with transaction():
        one = closing.close_batch(sla.local_date(after), after, keyring)
    assert one.closed == 1 and one.last_id == ticket_id


def test_batches_walk_every_ticket_once(keyring):
    today = dt.date(2026, 6, 1)
    now = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
    ids = [ticket(keyring, "rejected", dt.date(2026, 5, 1)) for _ in range(5)]
    closed, after_id, batches = 0, 0, 0
    while True:
        with transaction():
            batch = closing.close_batch(today, now, keyring, after_id=after_id, limit=2)
        closed += batch.closed
        if batch.last_id is None:
            break
        batches += 1
        assert batch.closed <= 2
        after_id = batch.last_id
    assert (closed, batches) == (5, 3)
    assert statuses({str(i): i for i in ids}) == {str(i): "closed" for i in ids}


def test_a_ticket_that_cannot_close_is_passed_over_not_retried(keyring, monkeypatch):
    """A ticket the workflow refuses stays as it is and the next batch starts
    after it, so the command cannot loop on it."""
    today = dt.date(2026, 6, 1)
    now = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
    stuck, other = (ticket(keyring, "rejected", dt.date(2026, 5, 1)) for _ in range(2))
    real = closing.transition

    def refuse_stuck(row, *args, **kwargs):
        if row.id == stuck:
            raise InvalidTransition(row.status, "closed", "refused for the test")
        return real(row, *args, **kwargs)

    monkeypatch.setattr(closing, "transition", refuse_stuck)
    with transaction():
        first = closing.close_batch(today, now, keyring, limit=1)
    assert (first.closed, first.last_id) == (0, stuck)
    with transaction():
        second = closing.close_batch(today, now, keyring, after_id=first.last_id, limit=1)
    assert (second.closed, second.last_id) == (1, other)
    assert statuses({"stuck": stuck, "other": other}) == {"stuck": "rejected", "other": "closed"}
