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

from portal.db import stored_utc
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.accounts import DEMO_CREDENTIALS_FILE
from portal.staff.models import StaffUser
from portal.tickets import evidence, sla
from portal.tickets.demo import DemoRefused, create_demo_tickets
from portal.tickets.models import Evidence, OutboxMessage, Ticket, TicketEvent

#: Wednesday 18 November 2026, 10:00 WIB.
NOW = dt.datetime(2026, 11, 18, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 18)
HOME, OTHERS = "dinsos-32.01", ("dinsos-32.03", "dinsos-32.73")


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.rollback()
        for name in db.session.scalars(select(Evidence.stored_name)):
            evidence.delete_stored(name)
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in {"regions", "offices", "alembic_version"}:
                db.session.execute(table.delete())
        db.session.commit()
    (Path(app.instance_path) / DEMO_CREDENTIALS_FILE).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def demo(app):
    _empty_tables(app)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["staff", "demo"]).exit_code == 0
        result = create_demo_tickets("testing", app.extensions["keyring"], now=NOW)
        db.session.remove()
    yield result
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
        moves = [e.to_status for e in events if e.kind not in ("note", "evidence_added")]
        assert moves == ["submitted", "in_review", "field_check", "verified", "rejected", "closed"]
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
        data = evidence.open_stored(row.stored_name).read_bytes()
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
    assert db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


def test_running_again_adds_nothing(demo, app, app_ctx):
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    files = len(list(evidence._settings(None).upload_root.iterdir()))
    result = app.test_cli_runner().invoke(args=["tickets", "demo"])
    assert result.exit_code == 0, result.output
    assert "0 created (none), 298 already there" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before
    assert len(list(evidence._settings(None).upload_root.iterdir())) == files


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
