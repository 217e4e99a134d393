"""What an office request reads and writes (issue 10 "Measure"): the staff
check commits only when the session changed, and the ticket page records
its audit row after its reads, so neither the account nor the ticket is
read twice in one request (each re-read is a round trip on PostgreSQL)."""

# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from portal.audit.models import AuditEntry
from portal.db import stored_utc
from portal.extensions import db
from portal.staff.models import StaffSession
from tests.office.ticket_page_fixtures import (
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    people,  # noqa: F401 - fixture
    tickets,  # noqa: F401 - fixture
    upload_root,  # noqa: F401 - fixture
)
from tests.staff.conftest import log_in

pytestmark = pytest.mark.usefixtures("db_clean")


def statements(app, client, url: str) -> list[str]:
    seen: list[str] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", catch)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    return seen


def account_reads(seen: list[str]) -> int:
    """Reads of a whole staff account (the logged-in one; a name list reads less)."""
    return sum("staff_users.password_hash" in s and "FROM staff_users" in s for s in seen)


def test_the_queue_reads_the_account_once(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    client.get("/office/")
    assert account_reads(statements(app, client, "/office/")) == 1


def test_the_ticket_page_reads_account_and_ticket_once_then_records(
    app, client, clock, people, tickets
):
    log_in(client, people.handler, clock)
    seen = statements(app, client, f"/office/tickets/{tickets.objection}")
    assert account_reads(seen) == 1
    ticket_reads = [s for s in seen if "tickets.pin_hash" in s and "FROM tickets" in s]
    # by reference, then the duplicates pointing at it; never again by id
    assert len(ticket_reads) == 2, ticket_reads
    insert = next(i for i, s in enumerate(seen) if s.startswith("INSERT INTO audit_log"))
    assert all(not s.startswith("SELECT tickets") for s in seen[insert:])
    with app.app_context():
        kinds = db.session.scalars(select(AuditEntry.kind)).all()
    assert kinds.count("ticket_opened") == 1


def test_a_refreshed_or_ended_session_is_still_written(app, client, clock, people):
    log_in(client, people.handler, clock)
    login_at = clock.now
    clock.advance(minutes=2)
    assert client.get("/office/").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(StaffSession))
        assert stored_utc(row.last_seen_at) == login_at + dt.timedelta(minutes=2)
        assert row.ended_at is None
    clock.advance(minutes=31)
    assert client.get("/office/").headers["Location"] == "/office/login"
    with app.app_context():
        assert db.session.scalar(select(StaffSession)).ended_at is not None
