"""The queue's first page walks an index in queue order: no sort of the office's
tickets (the plan is read, not timed; timings are bench/'s)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.tickets.queue import QueueFilters, explain, first_page_sql
from tests.office import queue_fixtures as fx
from tests.office.queue_fixtures import BOGOR, TODAY, make_staff, office_id

clean_limits, tickets = fx.clean_limits, fx.tickets
pytestmark = pytest.mark.usefixtures("db_clean")
#: A PostgreSQL plan node that sorts every row (an incremental sort of ties is fine).
SORT_NODE = re.compile(r"(^|->)\s*Sort\s+\(", re.M)


ASSIGNEE_OR_DATE = ("ix_tickets_assignee_due", "ix_tickets_office_due")


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (QueueFilters(), "ix_tickets_office_due"),
        # By assignee: the assignee index (office, assignee, date, id) serves it
        # whole; PostgreSQL may walk the office's dates instead on a small table.
        (QueueFilters(kind="objection", assignee="none"), ASSIGNEE_OR_DATE),
        (QueueFilters(assignee="me"), ASSIGNEE_OR_DATE),
        (QueueFilters(overdue=True), "ix_tickets_office_due"),
        # Either index: by status (SQLite), or by date skipping other statuses
        # (PostgreSQL, whose status index lacks the id the order ends with).
        (QueueFilters(statuses=("in_review",)), "ix_tickets_office_"),
    ],
)
def test_the_first_page_reads_an_index_in_order(app, tickets, filters, index):
    handler = make_staff(app, "handler", office=BOGOR)
    tickets.add_many([{"due": TODAY} for _ in range(50)])
    with app.app_context():
        user = db.session.get(StaffUser, handler.id)
        office = db.session.get(Office, office_id(BOGOR))
        statement = first_page_sql(user, office, filters, TODAY)
        if db.engine.dialect.name == "postgresql":
            # A table this small is read whole, or read and sorted: ask whether
            # an index can serve the order. The statistics are made fresh
            # first: the plan flipped to a sort when autovacuum analysed the
            # new rows in the middle of a run (twice in CI, under load); with
            # sorting priced out, only an order no index gives still sorts.
            db.session.execute(text("ANALYZE tickets"))
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                db.session.execute(text(f"SET LOCAL {setting} = off"))
        plan = "\n".join(explain(statement))
        db.session.rollback()
    indexes = index if isinstance(index, tuple) else (index,)
    assert any(name in plan for name in indexes), plan
    assert "TEMP B-TREE" not in plan and not SORT_NODE.search(plan), plan
