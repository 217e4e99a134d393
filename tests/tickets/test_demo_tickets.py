"""``flask tickets demo``: a working queue of demo tickets, never in production.

The demo is made once for the module (about ten seconds) at a fixed time, a
Wednesday with no holiday near it, so the due dates can be counted by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.audit.guard import unguarded
from portal.audit.models import AuditEntry
from portal.db import stored_utc
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.accounts import DEMO_CREDENTIALS_FILE
from portal.staff.models import StaffUser
from portal.storage import storage
from portal.tickets import evidence, sla, visits
from portal.tickets.demo import DemoRefused, create_demo_tickets
from portal.tickets.models import (
    P_EVENT_NOTE,
    Evidence,
    FieldVisit,
    OutboxMessage,
    Ticket,
    TicketEvent,
)

#: Wednesday 18 November 2026, 10:00 WIB.
NOW = dt.datetime(2026, 11, 18, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 18)
HOME, OTHERS = "dinsos-32.01", ("dinsos-32.03", "dinsos-32.73")


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.rollback()
        for name in db.session.scalars(select(Evidence.stored_name)):
            evidence.delete_stored(name)
        with unguarded():  # audit_log refuses DELETE otherwise
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in {"regions", "offices", "alembic_version"}:
                    db.session.execute(table.delete())
        db.session.commit()
    (Path(app.instance_path) / DEMO_CREDENTIALS_FILE).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def demo(app):
    _empty_tables(app)
    try:  # a demo that fails half-way must not leave its rows to later tests
        with app.app_context():
            cli = app.test_cli_runner()
            assert cli.invoke(args=["staff", "demo"]).exit_code == 0
            # Registry households, so that visits have something to compare with.
            assert cli.invoke(args=["dtsen", "demo", "--households", "300"]).exit_code == 0
            result = create_demo_tickets("testing", app.extensions["keyring"], now=NOW)
            db.session.remove()
        yield result
    finally:
        _empty_tables(app)


def office_id(code: str) -> int:
    return db.session.scalar(select(Office.id).where(Office.code == code))


def statuses(code: str) -> Counter:
    rows = db.session.execute(
        select(Ticket.status, func.count())
        .where(Ticket.office_id == office_id(code))
        .group_by(Ticket.status)
    )
    return Counter({status: n for status, n in rows})


def test_refused_without_the_demo_accounts(app, app_ctx):
    _empty_tables(app)
    assert db.session.scalar(select(func.count()).where(StaffUser.is_demo)) == 0
    with pytest.raises(DemoRefused, match="flask staff demo"):
        create_demo_tickets("testing", app.extensions["keyring"], now=NOW)


def test_the_clock_is_a_plain_working_week():
    assert sla.local_date(NOW) == TODAY
    assert all(sla.is_working_day(TODAY - dt.timedelta(days=d)) for d in (0, 1, 2, 5))


def test_every_status_in_the_handlers_office(demo, app_ctx):
    # The story weights of demo_content.STORIES, added up by hand.
    assert statuses(HOME) == {
        "submitted": 53,  # new 25, triage overdue 12, due today 8, claimed 8
        "in_review": 56,  # 30, overdue 12, after the resident's reply 10, after a transfer 4
        "needs_info": 15,
        "field_check": 15,
        "verified": 15,
        "accepted": 8,
        "rejected": 8,
        "forwarded": 8,
        "closed": 10,
        "transferred": 6,
        "duplicate": 6,
        "withdrawn": 6,
    }
    assert sum(demo.created.values()) == 206 + 46 + 46
    assert demo.existing == 0


def test_two_other_offices_have_every_status_too(demo, app_ctx):
    for code in OTHERS:
        found = statuses(code)
        assert sum(found.values()) == 46, code
        assert len(found) == 12, (code, found)


def test_every_kind_and_subkind_in_each_office(demo, app_ctx):
    for code in (HOME, *OTHERS):
        pairs = set(
            db.session.execute(
                select(Ticket.kind, Ticket.subkind).where(Ticket.office_id == office_id(code))
            )
        )
        assert len(pairs) == 10, code


def test_queue_dates_overdue_due_today_and_paused(demo, app_ctx):
    home = Ticket.office_id == office_id(HOME)
    count = lambda *where: db.session.scalar(select(func.count()).where(home, *where))  # noqa: E731
    assert count(Ticket.status == "submitted", Ticket.due_next == TODAY) >= 8
    # 12 untriaged for 9 days and 12 triaged 12 days ago and not answered
    assert count(Ticket.due_next < TODAY) >= 24
    assert count(Ticket.status == "needs_info", Ticket.due_next.is_(None)) == 15
    decided = count(Ticket.status.in_(("accepted", "rejected")), Ticket.appeal_until >= TODAY)
    assert decided == 16


def test_histories_are_moves_by_the_demo_accounts(demo, app_ctx):
    handler = db.session.scalar(
        select(StaffUser.id).where(StaffUser.email == "handler.demo@example.org")
    )
    closed = db.session.scalars(
        select(Ticket).where(Ticket.office_id == office_id(HOME), Ticket.status == "closed")
    ).all()
    for ticket in closed:
        events = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        ).all()
        moves = [
            "visit" if e.kind == "field_visit" else e.to_status
            for e in events
            if e.kind not in ("note", "evidence_added")
        ]
        assert moves == [
            "submitted",
            "in_review",
            "field_check",
            "visit",
            "verified",
            "rejected",
            "closed",
        ]
        assert {e.actor for e in events[1:] if e.kind != "note"} == {f"staff:{handler}"}
        times = [stored_utc(e.at) for e in events]
        assert times == sorted(times) and times[-1] < NOW
        assert ticket.created_at < ticket.updated_at
    assigned = db.session.scalar(
        select(func.count()).where(Ticket.assignee_id == handler, Ticket.status == "in_review")
    )
    assert 0 < assigned < 56


def test_transfers_and_duplicates_are_linked(demo, app_ctx):
    transferred = db.session.scalars(
        select(Ticket).where(Ticket.office_id == office_id(HOME), Ticket.status == "transferred")
    ).all()
    assert all(not t.village_code.startswith("32.01.") for t in transferred)
    duplicates = db.session.scalars(select(Ticket).where(Ticket.status == "duplicate")).all()
    assert len(duplicates) == 8
    for dup in duplicates:
        survivor = db.session.get(Ticket, dup.duplicate_of_id)
        assert survivor.office_id == dup.office_id and survivor.kind == dup.kind
        assert (survivor.household_id, survivor.subject_index) == (
            dup.household_id,
            dup.subject_index,
        )


def test_evidence_files_exist_and_match(demo, app_ctx):
    rows = db.session.scalars(select(Evidence)).all()
    assert len(rows) > 150
    assert {r.media_type for r in rows} == {"image/jpeg", "image/png"}
    for row in rows:
        data = evidence.read_stored(row.stored_name)
        assert hashlib.sha256(data).hexdigest() == row.sha256 and len(data) == row.size_bytes
    most = db.session.scalar(
        select(func.count())
        .select_from(Evidence)
        .group_by(Evidence.ticket_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    assert most == 5


def test_demo_tickets_announce_nothing(demo, app_ctx):
    pending = OutboxMessage.status.in_(("pending", "retry"))
    assert db.session.scalar(select(func.count()).where(pending)) == 0


def test_running_again_adds_nothing(demo, app, app_ctx):
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    files = len(list(storage().names()))
    result = app.test_cli_runner().invoke(args=["tickets", "demo"])
    assert result.exit_code == 0, result.output
    assert "0 created (none), 298 already there" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before
    assert len(list(storage().names())) == files


def test_refused_in_production(demo, app, app_ctx, monkeypatch):
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["tickets", "demo"])
    assert result.exit_code != 0
    assert "development and testing only" in result.output
    with pytest.raises(DemoRefused):
        create_demo_tickets("production", app.extensions["keyring"])
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before


def test_a_residents_reply_brings_a_new_picture(demo, app_ctx):
    replies = db.session.scalars(
        select(TicketEvent).where(TicketEvent.kind == "info_received")
    ).all()
    assert replies and all(r.actor == "resident" for r in replies)
    for reply in replies:
        added = db.session.scalar(
            select(TicketEvent).where(
                TicketEvent.ticket_id == reply.ticket_id, TicketEvent.kind == "evidence_added"
            )
        )
        assert added is not None and added.actor == "resident"


#: Tickets past their field check: verified 15, accepted 8, rejected 8,
#: forwarded 8, closed 10 in the handler's office; 3 + 2 + 2 + 2 + 2 in each other.
PAST_FIELD_CHECK = ("verified", "accepted", "rejected", "forwarded", "closed")


def test_every_ticket_past_its_field_check_has_one_visit(demo, app_ctx):
    visited = db.session.execute(
        select(Ticket.id, Ticket.kind, Ticket.subkind, func.count(FieldVisit.id))
        .join(FieldVisit, FieldVisit.ticket_id == Ticket.id)
        .where(Ticket.status.in_(PAST_FIELD_CHECK))
        .group_by(Ticket.id, Ticket.kind, Ticket.subkind)
    ).all()
    assert len(visited) == 49 + 11 + 11
    assert {n for *_, n in visited} == {1}
    must = [t for t in visited if t.kind == "objection" or t.subkind == "house_changed"]
    assert len(must) > 5
    waiting = db.session.scalar(
        select(func.count(func.distinct(FieldVisit.ticket_id)))
        .join(Ticket, Ticket.id == FieldVisit.ticket_id)
        .where(Ticket.status == "field_check")
    )
    assert 0 < waiting < 15 + 3 + 3


def test_visits_come_before_the_verification_and_compare_with_the_registry(demo, app, app_ctx):
    keyring = app.extensions["keyring"]
    matches, advice = Counter(), Counter()
    for visit in db.session.scalars(select(FieldVisit)):
        ticket = db.session.get(Ticket, visit.ticket_id)
        verified = db.session.scalar(
            select(TicketEvent.at).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.to_status == "verified"
            )
        )
        if verified is not None:
            assert stored_utc(visit.created_at) < stored_utc(verified)
        assert sla.local_date(ticket.created_at) <= visit.visited_on <= TODAY
        advice[(ticket.status, visit.recommendation)] += 1
        for finding in visits.findings_of(visit, keyring):
            matches[finding.matches] += 1
    assert matches[True] > 0 and matches[False] > 0 and matches[None] > 0
    # What the officer recommended is what the office decided.
    decided = {(s, r) for s, r in advice if s in ("accepted", "rejected", "forwarded", "closed")}
    assert decided == {
        ("accepted", "request_right"),
        ("forwarded", "request_right"),
        ("rejected", "registry_right"),
        ("closed", "registry_right"),
    }


def test_some_visits_have_photos(demo, app_ctx):
    photos = db.session.scalars(select(Evidence).where(Evidence.field_visit_id.is_not(None))).all()
    assert photos and {p.doc_type for p in photos} <= {"house_front", "house_inside"}
    assert all(p.thumb_name and evidence.read_stored(p.thumb_name) for p in photos)
    per_visit = Counter(p.field_visit_id for p in photos)
    assert set(per_visit.values()) <= {1, 2}
    assert len(per_visit) < db.session.scalar(select(func.count()).select_from(FieldVisit))


def test_decisions_carry_reasons_and_an_explanation(demo, app, app_ctx):
    configured = app.config["DECISION_REASONS"]
    outcome = {"accepted": "accepted", "forwarded": "accepted"}
    decided = db.session.scalars(
        select(Ticket).where(Ticket.status.in_(("accepted", "rejected", "forwarded", "closed")))
    ).all()
    assert len(decided) == (8 + 8 + 8 + 10) + 2 * (2 + 2 + 2 + 2)
    for ticket in decided:
        codes = ticket.decision_reasons.split(";")
        assert 1 <= len(codes) <= 2
        assert set(codes) <= set(configured[outcome.get(ticket.status, "rejected")])
        event = db.session.scalar(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "decided"
            )
        )
        assert event.public
        text = app.extensions["keyring"].decrypt(event.note_enc, P_EVENT_NOTE)
        assert ticket.reference in text  # from a template, {reference} filled in


def test_staff_moves_are_audited_and_the_log_verifies(demo, app, app_ctx):
    kinds = Counter(db.session.scalars(select(AuditEntry.kind)))
    assert kinds["field_visit"] == db.session.scalar(select(func.count()).select_from(FieldVisit))
    # Closed tickets: triage, field check, verify, reject, close.
    assert kinds["moved"] > 5 * (10 + 2 + 2)
    assert kinds["claimed"] == 8 and kinds["note"] > 0 and kinds["unassigned"] > 0
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"audit log: {sum(kinds.values())} rows verified" in result.output


def test_the_demo_field_officer_has_two_visits_to_make(demo, app, app_ctx):
    from portal.staff.permissions import can_visit, covers

    officer = db.session.scalar(
        select(StaffUser).where(StaffUser.email == "field.demo@example.org")
    )
    visits_waiting = db.session.scalars(
        select(Ticket).where(Ticket.field_officer_id == officer.id)
    ).all()
    assert demo.field_visits == len(visits_waiting) == 2
    for ticket in visits_waiting:
        assert can_visit(officer, ticket) and covers(officer, ticket)
        assert ticket.office_id == office_id(HOME)
        assert db.session.scalar(select(func.count()).where(FieldVisit.ticket_id == ticket.id)) == 0
    assert Counter(db.session.scalars(select(AuditEntry.kind)))["field_assigned"] == 2


def test_assisted_demo_tickets_carry_the_consent_record(demo, app, app_ctx):
    """Every demo ticket an operator sent has the consent they recorded (the
    service refuses an assisted submission without one). This fixture's
    tickets may include none: then only that no resident's has one."""
    from portal.tickets.service import consent_by

    keyring = app.extensions["keyring"]
    assisted = db.session.scalars(
        select(Ticket).where(Ticket.submitted_by_staff_id.is_not(None))
    ).all()
    for ticket in assisted:
        assert ticket.consent_method in ("signed_form", "in_person_verbal")
        assert consent_by(ticket, keyring)
    residents = select(func.count()).where(
        Ticket.submitted_by_staff_id.is_(None), Ticket.consent_method.is_not(None)
    )
    assert db.session.scalar(residents) == 0
