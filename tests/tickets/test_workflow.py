"""The ticket state machine (DESIGN.md §4): every allowed move, forbidden
moves, who may move, events, the SLA clock and the version counter."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import workflow
from portal.tickets.models import P_EVENT_NOTE, OutboxMessage, Ticket, TicketEvent
from portal.tickets.workflow import (
    FINAL_STATUSES,
    MOVES,
    PUBLIC_LABELS,
    STATUSES,
    Actor,
    InvalidTransition,
    add_note,
    allowed_moves,
    public_label,
    transition,
)
from tests.tickets import NOW, submit

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")

#: Thursday 26 March 2026, 09:00 WIB.
LATER = dt.datetime(2026, 3, 26, 2, 0, tzinfo=dt.UTC)
HANDLER = Actor.staff(7, "handler")


def utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def ticket_in(keyring, status: str, **fields) -> Ticket:
    """A submitted ticket put straight into ``status`` (setup, not a move)."""
    result = submit(keyring)
    with transaction():
        ticket = db.session.get(Ticket, result.ticket_id)
        ticket.status = status
        for name, value in fields.items():
            setattr(ticket, name, value)
    return db.session.get(Ticket, result.ticket_id)


def moves_of(ticket: Ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind != "submitted")
            .order_by(TicketEvent.id)
        )
    )


def other_office(ticket: Ticket) -> int:
    return db.session.scalar(
        select(Office.id).where(Office.level == "regency", Office.id != ticket.office_id).limit(1)
    )


def _actor(role: str) -> Actor:
    if role in ("resident", "system"):
        return Actor(role)
    return Actor.staff(42, role)


def _setup_for(move: workflow.Move) -> dict:
    if move.from_status == workflow.NEEDS_INFO:
        return {"paused_at": NOW}
    if move.event == "appealed":  # inside the window, never appealed before
        return {"appeal_until": LATER.date() + dt.timedelta(days=10)}
    return {}


ALLOWED = [
    pytest.param(move, role, id=f"{move.from_status}-{move.to_status}-by-{role}")
    for move in MOVES
    for role in sorted(move.by)
]


@pytest.mark.parametrize(("move", "role"), ALLOWED)
def test_every_allowed_move(keyring, move, role):
    ticket = ticket_in(keyring, move.from_status, **_setup_for(move))
    version = ticket.version
    extra = {}
    if move.to_status == workflow.TRANSFERRED:
        extra["office_id"] = other_office(ticket)
    if move.to_status == workflow.DUPLICATE:
        extra["duplicate_of"] = db.session.get(Ticket, submit(keyring).ticket_id)

    with transaction():
        transition(ticket, move.to_status, _actor(role), now=LATER, keyring=keyring, **extra)

    assert ticket.status == move.to_status
    assert ticket.version == version + 1
    assert utc(ticket.status_changed_at) == LATER
    [event] = moves_of(ticket)
    assert (event.from_status, event.to_status, event.kind) == (
        move.from_status,
        move.to_status,
        move.event,
    )
    assert event.actor == _actor(role).label
    assert utc(event.at) == LATER
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.topic == "ticket.status_changed")
    )
    assert json.loads(message.payload) == {
        "ticket_id": ticket.id,
        "reference": ticket.reference,
        "status": move.to_status,
        "public": True,
    }


FORBIDDEN = [
    ("submitted", "accepted"),
    ("submitted", "closed"),
    ("submitted", "needs_info"),
    ("in_review", "accepted"),
    ("in_review", "rejected"),
    ("field_check", "accepted"),
    ("needs_info", "verified"),
    ("verified", "in_review"),
    ("accepted", "withdrawn"),
    ("rejected", "withdrawn"),
    ("rejected", "in_review"),
    ("forwarded", "accepted"),
    ("closed", "in_review"),
    ("withdrawn", "submitted"),
    ("duplicate", "in_review"),
    ("in_review", "submitted"),
    ("in_review", "in_review"),
    ("in_review", "no_such_status"),
]


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_forbidden_moves_raise_and_change_nothing(keyring, from_status, to_status):
    ticket = ticket_in(keyring, from_status)
    version = ticket.version

    with pytest.raises(InvalidTransition) as raised, transaction():
        transition(ticket, to_status, HANDLER, now=LATER, keyring=keyring)

    assert raised.value.from_status == from_status
    assert raised.value.to_status == to_status
    assert ticket.status == from_status
    assert ticket.version == version
    assert moves_of(ticket) == []


@pytest.mark.parametrize(
    ("from_status", "to_status", "role"),
    [
        ("submitted", "in_review", "resident"),  # residents do not triage
        ("submitted", "in_review", "operator"),
        ("submitted", "in_review", "system"),
        ("submitted", "in_review", "admin"),
        ("submitted", "withdrawn", "handler"),  # only the resident withdraws
        ("submitted", "withdrawn", "operator"),
        ("needs_info", "in_review", "system"),
        ("verified", "accepted", "resident"),
        ("verified", "accepted", "operator"),
        ("rejected", "closed", "resident"),
    ],
)
def test_moves_by_the_wrong_actor_are_refused(keyring, from_status, to_status, role):
    ticket = ticket_in(keyring, from_status, paused_at=NOW)

    with pytest.raises(InvalidTransition, match=f"not allowed for {role}"):
        transition(ticket, to_status, _actor(role), now=LATER, keyring=keyring)


def test_the_rule_book_is_consistent():
    assert set(PUBLIC_LABELS) == set(STATUSES)
    assert {m.from_status for m in MOVES} | {m.to_status for m in MOVES} <= set(STATUSES)
    assert not [m for m in MOVES if m.from_status in FINAL_STATUSES]
    reachable, frontier = {"submitted"}, ["submitted"]
    while frontier:
        status = frontier.pop()
        for m in MOVES:
            if m.from_status == status and m.to_status not in reachable:
                reachable.add(m.to_status)
                frontier.append(m.to_status)
    assert reachable == set(STATUSES)


def test_allowed_moves_per_actor():
    assert allowed_moves("submitted", Actor.resident()) == ["withdrawn"]
    assert set(allowed_moves("submitted", HANDLER)) == {"in_review", "transferred", "duplicate"}
    assert allowed_moves("needs_info", Actor.staff(3, "operator")) == ["in_review"]
    assert allowed_moves("closed", HANDLER) == []


def test_public_labels_are_translated():
    assert public_label("needs_info") == "Menunggu jawaban Anda"
    with force_locale("en"):
        assert public_label("needs_info") == "Waiting for your reply"
    assert public_label("field_check") == public_label("in_review")


def test_triage_sets_the_response_date_from_the_real_triage(keyring):
    ticket = db.session.get(Ticket, submit(keyring).ticket_id)

    with transaction():
        transition(ticket, "in_review", HANDLER, now=NOW, keyring=keyring)

    # Triaged Monday 16 March (WIB): 17, 25, 26, 27, 30 March.
    assert ticket.due_response == dt.date(2026, 3, 30)


def test_needs_info_pauses_the_clock_and_the_reply_resumes_it(keyring):
    ticket = ticket_in(keyring, "in_review")
    due = (ticket.due_response, ticket.due_decision)
    asked = dt.datetime(2026, 3, 16, 3, tzinfo=dt.UTC)  # Monday 16 March
    replied = dt.datetime(2026, 3, 30, 3, tzinfo=dt.UTC)  # Monday 30 March

    with transaction():
        transition(ticket, "needs_info", HANDLER, "Kirim foto KK.", now=asked, keyring=keyring)
    assert utc(ticket.paused_at) == asked
    assert (ticket.due_response, ticket.due_decision) == due  # paused, not yet moved

    with transaction():
        transition(ticket, "in_review", Actor.resident(), "Sudah saya kirim.", now=replied)

    assert ticket.paused_at is None
    # 17, 25, 26, 27, 30 March: five working days paused; fourteen calendar days.
    assert ticket.due_response == dt.date(2026, 4, 10)  # 2 Apr + 5: 6, 7, 8, 9, 10 (3 Apr off)
    assert ticket.due_decision == due[1] + dt.timedelta(days=14)
    assert [e.actor for e in moves_of(ticket)] == ["staff:7", "resident"]


def test_transfer_reroutes_and_restarts_the_clock(keyring):
    ticket = ticket_in(keyring, "in_review")
    target = other_office(ticket)

    with transaction():
        transition(ticket, "transferred", HANDLER, "Bukan wewenang.", office_id=target, now=LATER)

    assert ticket.office_id == target
    assert ticket.due_triage == dt.date(2026, 3, 31)  # 27, 30, 31 after Thursday 26 March
    assert ticket.due_decision == dt.date(2026, 3, 26) + dt.timedelta(days=60)


@pytest.mark.parametrize("office", [None, "same"])
def test_a_transfer_needs_another_office(keyring, office):
    ticket = ticket_in(keyring, "submitted")
    office_id = ticket.office_id if office == "same" else None

    with pytest.raises(InvalidTransition, match="another office"):
        transition(ticket, "transferred", HANDLER, office_id=office_id, now=LATER)


def test_duplicate_links_to_the_surviving_ticket(keyring):
    survivor = db.session.get(Ticket, submit(keyring).ticket_id)
    ticket = db.session.get(Ticket, submit(keyring).ticket_id)

    with transaction():
        transition(ticket, "duplicate", HANDLER, duplicate_of=survivor, now=LATER)

    assert ticket.duplicate_of_id == survivor.id
    with pytest.raises(InvalidTransition, match="surviving ticket"):
        transition(survivor, "duplicate", HANDLER, duplicate_of=survivor, now=LATER)
    third = db.session.get(Ticket, submit(keyring).ticket_id)
    with pytest.raises(InvalidTransition, match="not to another duplicate"):
        transition(third, "duplicate", HANDLER, duplicate_of=ticket, now=LATER)


def test_a_decision_opens_the_appeal_window_and_closing_waits_for_it(keyring):
    ticket = ticket_in(keyring, "verified")

    with transaction():
        transition(ticket, "rejected", HANDLER, "Desil sudah sesuai.", now=NOW)
    assert ticket.appeal_until == dt.date(2026, 4, 7)  # 10 working days after 16 March

    with pytest.raises(InvalidTransition, match="appeal window"):
        transition(ticket, "closed", Actor.system(), now=dt.datetime(2026, 4, 7, tzinfo=dt.UTC))
    with transaction():
        transition(ticket, "closed", Actor.system(), now=dt.datetime(2026, 4, 8, tzinfo=dt.UTC))
    assert ticket.status == "closed"


def test_notes_are_encrypted_and_internal_events_are_marked(keyring):
    ticket = ticket_in(keyring, "in_review")

    with transaction():
        transition(
            ticket, "field_check", HANDLER, "Pelapor tetangga.", public=False, keyring=keyring
        )

    [event] = moves_of(ticket)
    assert event.public is False
    assert b"tetangga" not in event.note_enc
    assert keyring.decrypt(event.note_enc, P_EVENT_NOTE) == "Pelapor tetangga."


def test_a_move_on_a_stale_copy_fails_instead_of_overwriting(app, keyring):
    """Two handlers open the same ticket; the second save is refused."""
    ticket_id = ticket_in(keyring, "in_review").id
    with app.app_context():
        first = db.session.get(Ticket, ticket_id)
        with app.app_context():
            second = db.session.get(Ticket, ticket_id)
            with transaction():
                transition(second, "field_check", HANDLER, now=LATER)

        with pytest.raises(StaleDataError), transaction():
            transition(first, "verified", Actor.staff(8, "handler"), now=LATER)

    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).status == "field_check"


def test_an_office_note_is_an_event_without_a_move(keyring):
    ticket = ticket_in(keyring, "in_review")
    version = ticket.version

    with transaction():
        add_note(ticket, HANDLER, "Sudah ditelepon.", now=LATER, keyring=keyring)

    [event] = moves_of(ticket)
    assert (event.kind, event.from_status, event.to_status) == ("note", "in_review", "in_review")
    assert event.public is False
    assert keyring.decrypt(event.note_enc, P_EVENT_NOTE) == "Sudah ditelepon."
    assert ticket.version == version + 1
    assert utc(ticket.updated_at) == LATER
    assert ticket.status == "in_review"


@pytest.mark.parametrize("role", ["resident", "operator", "system"])
def test_only_the_office_writes_notes(keyring, role):
    ticket = ticket_in(keyring, "in_review")

    with pytest.raises(InvalidTransition, match="not allowed"):
        add_note(ticket, _actor(role), "Catatan.", now=LATER, keyring=keyring)
