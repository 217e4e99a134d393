"""Claim-next (SECURITY.md RE5): the most urgent unassigned open ticket of the
handler's office, to one handler only, however many click at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets.assign import claim_next
from portal.tickets.models import Ticket
from tests.office import queue_fixtures as fx
from tests.office.queue_fixtures import (
    BANDUNG,
    BANDUNG_VILLAGE,
    BOGOR,
    NOW,
    log_in,
    make_staff,
    token,
)

# The fixtures this module uses (clean_limits is autouse).
clean_limits, clock, tickets = fx.clean_limits, fx.clock, fx.tickets
pytestmark = pytest.mark.usefixtures("db_clean")
D = dt.date


def claim(client):
    return client.post("/office/claim-next", data={"csrf_token": token(client, "/office/")})


def audit_rows(app, kind: str) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(AuditEntry.staff_id, AuditEntry.ticket_id, AuditEntry.target_staff_id)
            .where(AuditEntry.kind == kind)
            .order_by(AuditEntry.id)
        ).all()


def test_claims_go_most_urgent_first_then_none_left(app, client, clock, tickets):
    handler = make_staff(app, "handler", office=BOGOR)
    colleague = make_staff(app, "handler", office=BOGOR)
    # Not claimable: taken, decided, another office's.
    tickets.add(due=D(2026, 3, 1), assignee=colleague.id)
    tickets.add(due=None, status="accepted")
    tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE, due=D(2026, 3, 1))
    paused = tickets.add(due=None, status="needs_info")
    second = tickets.add(due=D(2026, 3, 20), status="in_review")
    first = tickets.add(due=D(2026, 3, 16))
    log_in(client, handler, clock)
    for expected in (first, second, paused):
        answer = claim(client)
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"/office/tickets/{expected}"
        row = tickets.get(expected)
        assert row.assignee_id == handler.id and row.version == 2
    none_left = claim(client)
    assert none_left.status_code == 303 and none_left.headers["Location"] == "/office/"
    page = client.get("/office/").text  # flashed in the language of the POST: Indonesian
    assert "Tidak ada lagi tiket terbuka yang belum ditangani" in page
    with app.app_context():
        ids = {
            r: db.session.scalar(select(Ticket.id).where(Ticket.reference == r))
            for r in (first, second, paused)
        }
    assert audit_rows(app, "claimed") == [
        (handler.id, ids[first], handler.id),
        (handler.id, ids[second], handler.id),
        (handler.id, ids[paused], handler.id),
    ]


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_only_handlers_and_supervisors_claim(app, client, clock, tickets, role):
    reference = tickets.add()
    place = {"village": tickets.get(reference).village_code} if role == "operator" else {}
    account = make_staff(app, role, office="national" if role == "admin" else None, **place)
    log_in(client, account, clock)
    assert claim(client).status_code == 403
    assert tickets.get(reference).assignee_id is None


def test_a_supervisor_of_the_office_claims(app, client, clock, tickets):
    reference = tickets.add()
    supervisor = make_staff(app, "supervisor", office=BOGOR)
    log_in(client, supervisor, clock)
    assert claim(client).headers["Location"] == f"/office/tickets/{reference}"


def test_claiming_needs_the_csrf_token(app, client, clock, tickets):
    reference = tickets.add()
    log_in(client, make_staff(app, "handler", office=BOGOR), clock)
    assert client.post("/office/claim-next").status_code == 400
    assert tickets.get(reference).assignee_id is None


def _is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_concurrent_claims_hand_each_ticket_out_once(app, tickets):
    """RE5: 8 threads × 200 tickets on PostgreSQL (FOR UPDATE SKIP LOCKED);
    a smaller run on SQLite (the guarded update)."""
    threads, n_tickets = (8, 200) if _is_postgres(app) else (4, 40)
    handlers = [make_staff(app, "handler", office=BOGOR).id for _ in range(threads)]
    tickets.add_many(
        [{"due": D(2026, 3, 17) + dt.timedelta(days=i % 30)} for i in range(n_tickets)]
    )
    claimed: dict[int, list[int]] = {h: [] for h in handlers}
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(staff_id: int) -> None:
        try:
            with app.app_context():
                staff = db.session.get(StaffUser, staff_id)
                start.wait()
                while True:
                    with transaction():
                        ticket_id = claim_next(staff, now=NOW)
                    if ticket_id is None:
                        return
                    claimed[staff_id].append(ticket_id)
        except Exception as error:  # noqa: BLE001 - reported below, not lost in the thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(h,)) for h in handlers]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert not errors, errors
    every = [t for ids in claimed.values() for t in ids]
    assert len(every) == n_tickets and len(set(every)) == n_tickets
    with app.app_context():
        owners = dict(db.session.execute(select(Ticket.id, Ticket.assignee_id)).all())
        claims = select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "claimed")
        assert db.session.scalar(claims) == n_tickets
    for staff_id, ids in claimed.items():
        assert all(owners[t] == staff_id for t in ids)
    assert sum(1 for ids in claimed.values() if ids) > 1  # they really ran side by side
