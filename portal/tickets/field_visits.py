"""What a field officer sees (issue 12 §3): the visits assigned to them, and
one visit's household, only while ``permissions.can_visit`` says so.

``assigned(officer)`` lists the tickets in ``field_check`` whose
``field_officer_id`` is the officer and that they still ``cover`` (as
``can_visit``), grouped by village (name, kecamatan).
``visit_file(ticket, keyring)`` opens what the officer needs at the door:
the household's address and members (decrypted here, for this request
only), what the resident claims, and what the registry holds. The
resident's own words (``details``) are left out of a confidential objection
(``reporter_confidential``): they may tell who reported, and only the
office may know that (DESIGN.md §3); the officer gets the reason codes. The caller has
checked ``can_visit`` and writes the ``visit_opened`` audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import Region
from portal.staff.models import StaffUser
from portal.staff.permissions import covers, district_of
from portal.tickets import casefile, visits
from portal.tickets.models import P_DETAILS, P_SUBJECT_ADDRESS, P_SUBJECT_NAME, Ticket
from portal.tickets.workflow import FIELD_CHECK


@dataclass(frozen=True)
class VisitItem:
    reference: str
    kind: str
    subkind: str
    #: The date the office must have the check by: the verification deadline
    #: of an objection, else the ticket's nearest deadline.
    due: dt.date | None


@dataclass(frozen=True)
class VillageVisits:
    village_code: str
    village: str
    district: str
    items: tuple[VisitItem, ...]


def assigned(officer: StaffUser) -> list[VillageVisits]:
    """The officer's visits still to make, by kecamatan and village name."""
    if officer.role != "field_officer" or not officer.active:
        return []
    rows = db.session.scalars(
        select(Ticket)
        .where(Ticket.field_officer_id == officer.id, Ticket.status == FIELD_CHECK)
        .order_by(Ticket.village_code, Ticket.due_next.asc().nulls_last(), Ticket.id)
    ).all()
    tickets = [t for t in rows if covers(officer, t)]  # as ``can_visit``
    codes = {t.village_code for t in tickets} | {district_of(t.village_code) for t in tickets}
    names = dict(
        db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )
    groups: dict[str, list[VisitItem]] = {}
    for t in tickets:
        due = t.due_verification or t.due_next
        groups.setdefault(t.village_code, []).append(VisitItem(t.reference, t.kind, t.subkind, due))
    out = [
        VillageVisits(
            code,
            names.get(code, code),
            names.get(district_of(code), district_of(code)),
            tuple(items),
        )
        for code, items in groups.items()
    ]
    return sorted(out, key=lambda g: (g.district, g.village, g.village_code))


@dataclass(frozen=True)
class VisitFile:
    ticket: Ticket
    village: str
    district: str
    #: The registry household (address, members, conditions), or None when
    #: the subject is not in the registry (a proposed household).
    household: casefile.RegistryHousehold | None
    #: The subject as the resident described it (no registry household).
    subject_name: str | None
    subject_address: str | None
    #: The resident's own words; None for a confidential objection
    #: (``held_by_office``), whose words may tell who reported.
    details: str | None
    held_by_office: bool
    reason_codes: tuple[str, ...]
    registry: dict[str, str | int | None]


def visit_file(ticket: Ticket, keyring: Keyring) -> VisitFile:
    def open_(blob: bytes | None, purpose: bytes) -> str | None:
        return keyring.decrypt(blob, purpose) if blob else None

    confidential = bool(ticket.reporter_confidential)
    district = district_of(ticket.village_code)
    names = dict(
        db.session.execute(
            select(Region.code, Region.name).where(Region.code.in_((ticket.village_code, district)))
        ).all()
    )
    return VisitFile(
        ticket=ticket,
        village=names.get(ticket.village_code, ticket.village_code),
        district=names.get(district, district),
        household=casefile.registry_household(ticket.household_id, keyring),
        subject_name=open_(ticket.subject_name_enc, P_SUBJECT_NAME),
        subject_address=open_(ticket.subject_address_enc, P_SUBJECT_ADDRESS),
        # A confidential objection's words are never decrypted for the officer.
        details=None if confidential else open_(ticket.details_enc, P_DETAILS),
        held_by_office=confidential,
        reason_codes=tuple(c for c in ticket.reason_codes.split(";") if c),
        registry=visits.registry_values(ticket),
    )
