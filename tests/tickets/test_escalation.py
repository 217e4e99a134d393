"""``flask tickets escalate`` (issue 12 §4): the level-1 day is the first
working day after the due date (weekends and 2026 holidays from lokal's
calendar: Independence Day, Monday 17 August 2026, and Maulid Nabi, Tuesday
25 August 2026); level 2 comes ``ESCALATE_NATIONAL_AFTER_WORKING_DAYS``
working days later; a paused ticket never escalates; a second run changes
nothing; a ticket no longer overdue drops back to 0. Expected dates are
counted by hand on a calendar, never by ``sla``."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import escalation
from portal.tickets.models import OutboxMessage, Ticket, TicketEvent
from tests.tickets import submit

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")


def ticket(keyring, due: dt.date | None, status: str = "in_review", level: int = 0) -> int:
    """A submitted ticket put straight into ``status`` due on ``due`` (setup, not a move)."""
    ticket_id = submit(keyring).ticket_id
    with transaction():
        row = db.session.get(Ticket, ticket_id)
        row.status, row.due_next, row.escalation_level = status, due, level
    return ticket_id


def run_on(day: dt.date, keyring, national_after: int = 10) -> escalation.Batch:
    """One run at 09:00 WIB on ``day``."""
    now = dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)
    with transaction():
        return escalation.escalate_batch(day, now, keyring, national_after=national_after)


def level(ticket_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id).escalation_level


def events(ticket_id: int) -> list[tuple[str, str, bool]]:
    return [
        (e.kind, e.actor, e.public)
        for e in db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.like("%escalated"))
            .order_by(TicketEvent.id)
        )
    ]


def outbox_count() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.topic == escalation.TOPIC)
    )


D = dt.date
FRIDAY_10_JULY = D(2026, 7, 10)
FRIDAY_14_AUGUST = D(2026, 8, 14)  # Monday 17 August 2026 is Independence Day


@pytest.mark.parametrize(
    ("due", "quiet_days", "escalation_day"),
    [
        # Due Friday: nothing on Saturday or Sunday, level 1 on Monday.
        (FRIDAY_10_JULY, [D(2026, 7, 10), D(2026, 7, 11), D(2026, 7, 12)], D(2026, 7, 13)),
        # Due Friday before the holiday Monday: level 1 on Tuesday.
        (
            FRIDAY_14_AUGUST,
            [D(2026, 8, 14), D(2026, 8, 15), D(2026, 8, 16), D(2026, 8, 17)],
            D(2026, 8, 18),
        ),
        # Due Wednesday: level 1 on Thursday.
        (D(2026, 7, 8), [D(2026, 7, 8)], D(2026, 7, 9)),
    ],
)
def test_the_province_on_the_first_working_day_after_the_due_date(
    keyring, due, quiet_days, escalation_day
):
    ticket_id = ticket(keyring, due)
    for day in quiet_days:
        run_on(day, keyring)
        assert level(ticket_id) == 0, day
    assert events(ticket_id) == []
    run_on(escalation_day, keyring)
    assert level(ticket_id) == 1
    assert events(ticket_id) == [("escalated", "system", False)]
    assert escalation.province_day(due) == escalation_day


def test_the_national_office_ten_working_days_later_across_a_holiday(keyring):
    """Level 1 on Tuesday 18 August; ten working days later, skipping the
    weekends and Tuesday 25 August (Maulid Nabi): 19, 20, 21, 24, 26, 27,
    28, 31 August, 1 and 2 September. Level 2 on Wednesday 2 September."""
    ticket_id = ticket(keyring, FRIDAY_14_AUGUST)
    run_on(D(2026, 8, 18), keyring)
    run_on(D(2026, 9, 1), keyring)
    assert level(ticket_id) == 1
    run_on(D(2026, 9, 2), keyring)
    assert level(ticket_id) == 2
    assert [k for k, _, _ in events(ticket_id)] == ["escalated", "escalated"]
    assert escalation.national_day(FRIDAY_14_AUGUST, 10) == D(2026, 9, 2)


def test_the_further_period_is_configurable(keyring):
    """With 2 working days: level 1 on Monday 13 July, level 2 on Wednesday 15 July."""
    ticket_id = ticket(keyring, FRIDAY_10_JULY)
    run_on(D(2026, 7, 13), keyring, national_after=2)
    run_on(D(2026, 7, 14), keyring, national_after=2)
    assert level(ticket_id) == 1
    run_on(D(2026, 7, 15), keyring, national_after=2)
    assert level(ticket_id) == 2


def test_a_ticket_weeks_behind_gets_both_steps_in_one_run(keyring):
    ticket_id = ticket(keyring, D(2026, 6, 1))
    batch = run_on(D(2026, 7, 13), keyring)
    assert level(ticket_id) == 2
    assert batch.escalated == {1: 1, 2: 1}
    notes = [
        keyring.decrypt(e.note_enc, b"ticket_event.note")
        for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "escalated").order_by(TicketEvent.id)
        )
    ]
    assert notes == ["level 1", "level 2"]


def test_a_second_run_changes_nothing(keyring):
    ids = [ticket(keyring, FRIDAY_10_JULY), ticket(keyring, D(2026, 6, 1))]
    first = run_on(D(2026, 7, 13), keyring)
    assert first.escalated == {1: 2, 2: 1}
    counted = (db.session.scalar(select(func.count()).select_from(TicketEvent)), outbox_count())
    versions = [db.session.get(Ticket, i).version for i in ids]
    second = run_on(D(2026, 7, 13), keyring)
    assert (second.escalated, second.deescalated, second.messages) == ({1: 0, 2: 0}, 0, 0)
    db.session.expire_all()
    assert (db.session.scalar(select(func.count()).select_from(TicketEvent)), outbox_count()) == (
        counted
    )
    assert [db.session.get(Ticket, i).version for i in ids] == versions


def test_paused_decided_and_not_yet_due_tickets_never_escalate(keyring):
    paused = ticket(keyring, None, status="needs_info")
    decided = ticket(keyring, D(2026, 6, 1), status="accepted")
    due_today = ticket(keyring, D(2026, 7, 13))
    run_on(D(2026, 7, 13), keyring)
    assert [level(i) for i in (paused, decided, due_today)] == [0, 0, 0]
    assert outbox_count() == 0


def test_no_longer_overdue_drops_back_to_zero_once_with_an_event(keyring):
    caught_up = ticket(keyring, FRIDAY_10_JULY)
    paused = ticket(keyring, FRIDAY_10_JULY)
    national = ticket(keyring, D(2026, 6, 1))
    run_on(D(2026, 7, 13), keyring)
    messages = outbox_count()
    with transaction():
        db.session.get(Ticket, caught_up).due_next = D(2026, 7, 20)  # triaged: a new deadline
        row = db.session.get(Ticket, paused)
        row.status, row.due_next = "needs_info", None  # waiting for the resident
        # Still overdue, but now only level 1 by its new date: stays at 2.
        db.session.get(Ticket, national).due_next = D(2026, 7, 9)
    batch = run_on(D(2026, 7, 14), keyring)
    assert batch.deescalated == 2
    assert [level(i) for i in (caught_up, paused, national)] == [0, 0, 2]
    assert db.session.get(Ticket, caught_up).escalated_at is None
    assert [k for k, _, _ in events(caught_up)] == ["escalated", "deescalated"]
    assert outbox_count() == messages  # dropping back tells nobody
    again = run_on(D(2026, 7, 14), keyring)
    assert again.deescalated == 0
    assert len(events(caught_up)) == 2


def test_batches_walk_every_ticket_once(keyring):
    ids = [ticket(keyring, FRIDAY_10_JULY) for _ in range(5)]
    now = dt.datetime(2026, 7, 13, 2, 0, tzinfo=dt.UTC)
    after_id, batches, escalated = 0, 0, 0
    while True:
        with transaction():
            batch = escalation.escalate_batch(
                D(2026, 7, 13), now, keyring, after_id=after_id, limit=2
            )
        escalated += batch.escalated[1]
        if batch.last_id is None:
            break
        batches, after_id = batches + 1, batch.last_id
    assert (escalated, batches) == (5, 3)
    assert [level(i) for i in ids] == [1] * 5


def test_the_command_prints_counts_and_is_idempotent(app, keyring):
    """With today's date: a ticket 60 days late (level 2 whatever the
    calendar), one due in a week (nothing)."""
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    late = ticket(keyring, today - dt.timedelta(days=60))
    early = ticket(keyring, today + dt.timedelta(days=7))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tickets", "escalate", "--batch-size", "1"])
    assert first.exit_code == 0, first.output
    assert (
        "escalated 1 ticket(s) to the province and 1 to the national office "
        f"on {today.isoformat()}; 0 no longer overdue back to level 0" in first.output
    )
    assert (level(late), level(early)) == (2, 0)
    second = runner.invoke(args=["tickets", "escalate"])
    assert second.exit_code == 0
    assert "escalated 0 ticket(s) to the province and 0 to the national office" in second.output
    assert "0 notification(s) written" in second.output


def test_the_command_reads_the_further_period_from_the_configuration(app, keyring, monkeypatch):
    """With 1000 working days to wait, a ticket 60 days late stays at level 1."""
    monkeypatch.setitem(app.config, "ESCALATE_NATIONAL_AFTER_WORKING_DAYS", 1000)
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    late = ticket(keyring, today - dt.timedelta(days=60))
    result = app.test_cli_runner().invoke(args=["tickets", "escalate"])
    assert result.exit_code == 0, result.output
    assert "escalated 1 ticket(s) to the province and 0 to the national office" in result.output
    assert level(late) == 1


def test_a_batch_a_handler_changed_meanwhile_is_read_again(app, keyring, monkeypatch):
    """SQLite has no SKIP LOCKED: a ticket moved between the batch's read and
    its write fails the version check; the batch is rolled back and read again."""
    from sqlalchemy.orm.exc import StaleDataError

    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    late = ticket(keyring, today - dt.timedelta(days=60))
    real, calls = escalation.escalate_batch, []

    def flaky(*args, **kwargs):
        calls.append(kwargs["after_id"])
        if len(calls) == 1:
            real(*args, **kwargs)
            raise StaleDataError("changed meanwhile")
        return real(*args, **kwargs)

    monkeypatch.setattr(escalation, "escalate_batch", flaky)
    result = app.test_cli_runner().invoke(args=["tickets", "escalate"])
    assert result.exit_code == 0, result.output
    assert calls[:2] == [0, 0]
    assert level(late) == 2
    assert [k for k, _, _ in events(late)] == ["escalated", "escalated"]  # once each, not twice


def test_a_ticket_locked_by_a_handler_is_left_for_the_next_run(app, keyring):
    """PostgreSQL: FOR UPDATE SKIP LOCKED passes over a row another
    transaction holds; the next run takes it."""
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer")
    locked, free = ticket(keyring, FRIDAY_10_JULY), ticket(keyring, FRIDAY_10_JULY)
    holding, release, errors = threading.Event(), threading.Event(), []

    def handler_moving_it() -> None:
        try:
            with app.app_context():
                db.session.scalar(select(Ticket).where(Ticket.id == locked).with_for_update())
                holding.set()
                release.wait(timeout=60)
                db.session.rollback()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
            holding.set()

    other = threading.Thread(target=handler_moving_it)
    other.start()
    try:
        assert holding.wait(timeout=60)
        batch = run_on(D(2026, 7, 13), keyring)
        assert batch.escalated[1] == 1
        assert (level(locked), level(free)) == (0, 1)
    finally:
        release.set()
        other.join(timeout=60)
    assert not errors, errors
    run_on(D(2026, 7, 13), keyring)
    assert level(locked) == 1
