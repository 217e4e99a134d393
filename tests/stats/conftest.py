"""The /stats tests use the hand-computed world of the office performance
tests (``tests/office/performance_fixtures.py``: its docstring gives every
ticket's dates) and add tickets to it where a test needs more."""

from __future__ import annotations

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.stats.refresh import refresh as stats_refresh
from portal.tickets.models import Ticket
from tests.office import performance_fixtures as pf
from tests.web.conftest import clean_limits  # noqa: F401 - autouse

world = pf.world


def refresh(app, now=pf.NOW) -> None:
    with app.app_context(), transaction():
        stats_refresh(now)


def add_tickets(app, w, office: str, village: str, kind: str, n: int, status="in_review") -> None:
    """``n`` more tickets of ``kind`` at ``office``, submitted 1 Apr 2026, open, not overdue."""
    with app.app_context(), transaction():
        for i in range(n):
            name = f"{office}-{kind}-{len(w.refs)}-{i}"
            pf._ticket(
                name, w, office=office, village=village, status=status,
                created=pf.at("2026-04-01"), due_next=pf.d("2026-05-01"),
                due_decision=pf.d("2026-05-31"),
            )  # fmt: skip
            db.session.get(Ticket, w.ids[name]).kind = kind


@pytest.fixture
def refreshed(app, world):
    refresh(app)
    return world
