"""Duplicates: the same request sent twice is marked a duplicate of the
surviving ticket (``Ticket.duplicate_of_id``); the survivor lists its
duplicates with ``duplicates_of``, so the link reads both ways.

Two tickets are about the same subject when they name the same registry
household, or, for a household outside the registry, the same village and
name (``subject_index``).
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Ticket


def by_reference(reference: str) -> Ticket | None:
    """The ticket with this reference (typed: case and spaces forgiven), or None.
    The caller checks that the person asking may see it."""
    cleaned = "".join(reference.split()).upper()
    if not cleaned:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reference == cleaned))


def same_subject(a: Ticket, b: Ticket) -> bool:
    if a.household_id is not None and a.household_id == b.household_id:
        return True
    return a.subject_index is not None and a.subject_index == b.subject_index


def duplicates_of(ticket: Ticket) -> list[Ticket]:
    """The tickets marked as duplicates of ``ticket``, oldest first."""
    return list(
        db.session.scalars(
            select(Ticket).where(Ticket.duplicate_of_id == ticket.id).order_by(Ticket.id)
        )
    )


def survivor_of(ticket: Ticket) -> Ticket | None:
    """The ticket ``ticket`` was marked a duplicate of, if any."""
    if ticket.duplicate_of_id is None:
        return None
    return db.session.get(Ticket, ticket.duplicate_of_id)
