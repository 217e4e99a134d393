"""Tickets written straight into the table for the queue tests (hundreds of
them, so not through the submission service and its Argon2 PIN), and the
office clock on a known day.

Tuesday 17 March 2026, 10:00 WIB: 18–24 March are Nyepi, Idulfitri and their
cuti bersama (no working days); 14–15 and 21–22 March are weekends.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

import pytest
from lokal import wilayah
from sqlalchemy import insert, select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.models import Evidence, Ticket
from portal.tickets.references import new_reference
from tests.factories import VILLAGE
from tests.staff.conftest import Clock, log_in, make_staff, token  # noqa: F401 - re-exported
from tests.web.conftest import clean_limits  # noqa: F401 - autouse in the importing module

NOW = dt.datetime(2026, 3, 17, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 17)
BOGOR = "dinsos-32.01"
BANDUNG = "dinsos-32.73"
BOGOR_A = VILLAGE
BOGOR_B = next(c for c in sorted(wilayah._desa()) if c.startswith("32.01.") and c != VILLAGE)
BANDUNG_VILLAGE = min(c for c in wilayah._desa() if c.startswith("32.73."))
_serial = itertools.count(1)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The office pages' clock, at ``NOW``."""
    from portal.web.office import auth, login

    clock = Clock()
    clock.now = NOW
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


def office_id(code: str) -> int:
    """Inside an app context."""
    return db.session.scalar(select(Office.id).where(Office.code == code))


def ticket_values(
    *,
    office: str = BOGOR,
    village: str = BOGOR_A,
    status: str = "submitted",
    due: dt.date | None = TODAY,
    kind: str = "proposal",
    assignee: int | None = None,
) -> dict:
    """One ticket's columns (inside an app context)."""
    return {
        "reference": new_reference(),
        "pin_hash": "not-a-real-hash",
        "tracking_token_index": secrets.token_bytes(32),
        "kind": kind,
        "subkind": "other_household",
        "subject_name_enc": b"x",
        "village_code": village,
        "office_id": office_id(office),
        "reason_codes": "",
        "consent_version": "2026-01",
        "consent_at": NOW,
        "status": status,
        "status_changed_at": NOW,
        "due_triage": due or TODAY,
        "due_next": due,
        "version": 1,
        "created_at": NOW - dt.timedelta(minutes=next(_serial)),
        "updated_at": NOW,
        "assignee_id": assignee,
    }


class Tickets:
    """Writes tickets in an app context of its own: a test's requests must not
    share one (``g`` would carry the language and the staff member across)."""

    def __init__(self, app) -> None:
        self.app = app

    def add_many(self, specs: list[dict]) -> list[str]:
        """Insert and commit; the references, in the order given."""
        with self.app.app_context(), transaction():
            rows = [ticket_values(**spec) for spec in specs]
            db.session.execute(insert(Ticket), rows)
        return [r["reference"] for r in rows]

    def add(self, **kw) -> str:
        return self.add_many([kw])[0]

    def add_evidence(self, reference: str, n: int) -> None:
        with self.app.app_context(), transaction():
            ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))
            for _ in range(n):
                db.session.add(
                    Evidence(
                        ticket_id=ticket_id,
                        doc_type="other",
                        media_type="image/jpeg",
                        stored_name=secrets.token_hex(16),
                        sha256="0" * 64,
                        size_bytes=1,
                        created_at=NOW,
                    )
                )

    def get(self, reference: str) -> Ticket:
        """The row as it is now (detached: read its columns only)."""
        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            db.session.expunge(ticket)
            return ticket


@pytest.fixture
def tickets(app) -> Tickets:
    return Tickets(app)
