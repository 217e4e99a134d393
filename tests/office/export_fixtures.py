"""Set-up for the export tests: two registry households imported from a
CSV the test writes (so KK and NIK go through the real import and its
encryption), tickets about them sent and decided at chosen moments, and
helpers to post the export forms.

The expected values in the tests are written out by hand from the rows
below, never read back through the code under test.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.registry.importer import import_snapshot
from portal.registry.models import Household
from portal.tickets.models import FieldVisit, Ticket
from portal.tickets.workflow import Actor, transition
from tests.factories import VILLAGE, household, person, write_csv
from tests.tickets import answers, submit

UTC = dt.UTC
KK_1 = "3201011503100001"
#: H1's head, Budi Santoso (15-08-1980), and his wife Siti Aminah (02-03-1984).
HEAD_NIK_1 = "3201011508800001"
WIFE_NIK_1 = "3201014203840001"
KK_2 = "3201012002200002"
HEAD_NIK_2 = "3201015005750002"
ADDRESS_1 = "Jl. Melati No. 3, RT 001/RW 002"
ADDRESS_2 = "Jl. Kenanga 9, RT 003/RW 001"


def import_households(app, tmp_path) -> dict[str, int]:
    """H1 (Budi Santoso's, listed wife first) and H2 (Ani Lestari's): kk -> id."""
    wife_first = household(KK_1, 1)
    wife_first = [wife_first[1], wife_first[0], wife_first[2]]
    other = [
        person(KK_2, "3201011111900002", "Rudi Lestari", "suami", "L", "1990-11-11"),
        person(KK_2, HEAD_NIK_2, "Ani Lestari", "kepala_keluarga", "P", "1975-05-10"),
    ]
    for row in other:
        row["address"] = ADDRESS_2
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "registry.csv", wife_first + other), None)
        keyring = app.extensions["keyring"]
        return {
            KK_1: db.session.scalar(
                select(Household.id).where(Household.kk_index == keyring.kk_index(KK_1))
            ),
            KK_2: db.session.scalar(
                select(Household.id).where(Household.kk_index == keyring.kk_index(KK_2))
            ),
        }


def send(app, sent: dt.datetime, **over) -> tuple[int, str]:
    """A ticket sent at ``sent``: (id, reference)."""
    with app.app_context():
        result = submit(app.extensions["keyring"], answers(**over), now=sent)
        return result.ticket_id, result.reference


def set_status(app, ticket_id: int, status: str) -> None:
    """Set-up, not a move."""
    with app.app_context(), transaction():
        db.session.get(Ticket, ticket_id).status = status


def decide(app, ticket_id: int, outcome: str, at: dt.datetime, reasons: str, staff_id: int = 1):
    """From ``verified`` to ``outcome`` at ``at`` through the workflow (the
    ``decided`` event), with the decision's reason codes."""
    set_status(app, ticket_id, "verified")
    with app.app_context(), transaction():
        ticket = db.session.get(Ticket, ticket_id)
        transition(ticket, outcome, Actor.staff(staff_id, "handler"), now=at)
        ticket.decision_reasons = reasons


def appeal(app, ticket_id: int, at: dt.datetime) -> None:
    with app.app_context(), transaction():
        transition(db.session.get(Ticket, ticket_id), "in_review", Actor.resident(), now=at)


def add_visit(app, ticket_id: int, recommendation: str, at: dt.datetime, staff_id: int) -> None:
    with app.app_context(), transaction():
        keyring = app.extensions["keyring"]
        db.session.add(
            FieldVisit(
                ticket_id=ticket_id,
                visited_on=at.date(),
                officer_id=staff_id,
                recorded_by_id=staff_id,
                findings_enc=keyring.encrypt("{}", b"field_visit.findings"),
                recommendation=recommendation,
                created_at=at,
            )
        )


def office_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Office.id).where(Office.code == code))


def audit_rows(app) -> list[tuple]:
    """(kind, staff_id, office_id, detail) of every audit row of kind ``exported``."""
    with app.app_context():
        return list(
            db.session.execute(
                select(
                    AuditEntry.kind, AuditEntry.staff_id, AuditEntry.office_id, AuditEntry.detail
                )
                .where(AuditEntry.kind == "exported")
                .order_by(AuditEntry.id)
            ).all()
        )


def post_decisions(client, csrf: str, office: int, start: str, end: str):
    return client.post(
        "/office/exports/decisions",
        data={
            "decisions-csrf_token": csrf,
            "decisions-office": str(office),
            "decisions-start": start,
            "decisions-end": end,
        },
    )


def post_musdes(client, csrf: str, office: int, village: str, start: str, end: str):
    return client.post(
        "/office/exports/musdes",
        data={
            "musdes-csrf_token": csrf,
            "musdes-office": str(office),
            "musdes-village": village,
            "musdes-start": start,
            "musdes-end": end,
        },
    )


__all__ = ["UTC", "VILLAGE"]
