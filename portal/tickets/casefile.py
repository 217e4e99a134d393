"""Everything the office's ticket page shows about one ticket, decrypted
(DESIGN.md §4): the request, the subject household from the registry, the
reporter, the files, the full history with internal notes, the deadlines,
and the resident's side (``resident_side``: messages and their delivery, the
rating, the appeal).

The caller has already checked that the staff member may see the ticket;
``show_reporter`` is ``permissions.can_see_reporter``'s answer, so the
reporter's contact and the assisting operator (their village, the consent
they recorded) are never decrypted or looked up for someone who may not
see them; nor are the messages to the reporter
(whether and how they are reached says something about who they are) and
their rating read. With ``show_internal`` False (village operators) the
notes of non-public events are not decrypted and the field visit's photos
are left out of the files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import Region
from portal.registry.identity import open_identity
from portal.registry.models import CONDITION_COLUMNS, Household, Person
from portal.registry.validation import P_ADDRESS
from portal.staff.models import StaffUser
from portal.tickets import resident_side, sla
from portal.tickets.models import (
    P_DETAILS,
    P_EVENT_NOTE,
    P_REPORTER_CONTACT,
    P_SUBJECT_ADDRESS,
    P_SUBJECT_NAME,
    Evidence,
    Ticket,
    TicketEvent,
)
from portal.tickets.service import consent_by


@dataclass(frozen=True)
class Member:
    full_name: str
    relationship: str
    sex: str
    birth_date: str


@dataclass(frozen=True)
class RegistryHousehold:
    address: str
    desil: int | None
    programs: tuple[str, ...]
    members: tuple[Member, ...]
    #: (column, value) for each of ``CONDITION_COLUMNS``; value None when unknown.
    conditions: tuple[tuple[str, object], ...]
    data_as_of: dt.date
    #: False once a newer snapshot no longer holds the household.
    in_registry: bool


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    #: ``staff``, ``resident``, ``system``, ``hidden`` (an account that is
    #: gone) or ``reporter`` (the reporter or their operator, not shown).
    actor_kind: str
    #: The staff member's display name, when ``actor_kind`` is ``staff``.
    actor_name: str | None
    kind: str
    from_status: str | None
    to_status: str | None
    public: bool
    note: str | None


@dataclass(frozen=True)
class Deadline:
    #: ``triage``, ``response``, ``verification``, ``decision`` or ``appeal``.
    name: str
    due: dt.date
    #: Working days from today to ``due`` (negative: overdue), or None when
    #: the deadline no longer applies or the clock is paused.
    left: int | None


@dataclass(frozen=True)
class Assisted:
    """Who submitted for the resident, and the consent they recorded."""

    operator: str | None
    village: str | None
    #: ``models.CONSENT_METHODS``; None for a submission made before consent records.
    consent_method: str | None
    consent_by: str | None


@dataclass(frozen=True)
class CaseFile:
    ticket: Ticket
    details: str | None
    subject_name: str | None
    subject_address: str | None
    household: RegistryHousehold | None
    #: None when there is none, or when this staff member may not see it.
    reporter_contact: str | None
    reporter_hidden: bool
    #: The assisting operator's display name (None: the resident, or hidden).
    submitted_by: str | None
    evidence: tuple[Evidence, ...]
    history: tuple[HistoryEntry, ...]
    deadlines: tuple[Deadline, ...]
    #: When the ticket started waiting for the resident (the SLA clock stopped).
    paused_at: dt.datetime | None
    #: The messages to the resident, newest first; None when this staff
    #: member may not see the reporter.
    messages: tuple[resident_side.Delivery, ...] | None = None
    #: The resident's rating (None: not rated, or not shown to this staff member).
    rating: resident_side.ResidentRating | None = None
    appeal: resident_side.Appeal | None = None
    #: An assisted submission, to staff who may see the reporter: the
    #: operator's village, and the consent they recorded.
    assisted: Assisted | None = None


def load(
    ticket: Ticket,
    keyring: Keyring,
    *,
    show_reporter: bool,
    today: dt.date,
    show_internal: bool = False,
) -> CaseFile:
    def open_(blob: bytes | None, purpose: bytes) -> str | None:
        return keyring.decrypt(blob, purpose) if blob else None

    files = select(Evidence).where(Evidence.ticket_id == ticket.id)
    if not show_internal:
        files = files.where(Evidence.field_visit_id.is_(None))

    events = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    staff_ids = {int(e.actor.split(":", 1)[1]) for e in events if e.actor.startswith("staff:")}
    if show_reporter and ticket.submitted_by_staff_id:
        staff_ids.add(ticket.submitted_by_staff_id)
    names = _staff_names(staff_ids, hide_operators=not show_reporter)
    return CaseFile(
        ticket=ticket,
        details=open_(ticket.details_enc, P_DETAILS),
        subject_name=open_(ticket.subject_name_enc, P_SUBJECT_NAME),
        subject_address=open_(ticket.subject_address_enc, P_SUBJECT_ADDRESS),
        household=registry_household(ticket.household_id, keyring),
        reporter_contact=(
            open_(ticket.reporter_contact_enc, P_REPORTER_CONTACT) if show_reporter else None
        ),
        reporter_hidden=not show_reporter,
        submitted_by=(
            names.get(ticket.submitted_by_staff_id)
            if show_reporter and ticket.submitted_by_staff_id
            else None
        ),
        evidence=tuple(db.session.scalars(files.order_by(Evidence.id))),
        history=tuple(
            _entry(e, names, keyring, show_reporter, show_internal)
            for e in events
            # Who consented to an operator's addition names the reporter.
            if show_reporter or e.kind != "assisted_addition"
        ),
        deadlines=deadlines(ticket, today),
        paused_at=ticket.paused_at,
        messages=resident_side.deliveries(ticket.id) if show_reporter else None,
        rating=resident_side.rating(ticket.id, keyring) if show_reporter else None,
        appeal=resident_side.appeal(ticket, events),
        assisted=_assisted(ticket, names, keyring) if show_reporter else None,
    )


def _assisted(ticket: Ticket, names: dict[int, str | None], keyring: Keyring) -> Assisted | None:
    if ticket.submitted_by_staff_id is None:
        return None
    village_code = db.session.scalar(
        select(StaffUser.village_code).where(StaffUser.id == ticket.submitted_by_staff_id)
    )
    village = db.session.get(Region, village_code) if village_code else None
    return Assisted(
        operator=names.get(ticket.submitted_by_staff_id),
        village=village.name if village is not None else None,
        consent_method=ticket.consent_method,
        consent_by=consent_by(ticket, keyring),
    )


def _staff_names(ids: set[int], *, hide_operators: bool) -> dict[int, str | None]:
    """Display names by id. With ``hide_operators`` an operator's name is
    None: on a confidential report the operator who acted for the reporter
    (submitted, passed on a reply) would say who reported."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.role).where(StaffUser.id.in_(ids))
    )
    return {
        staff_id: None if hide_operators and role == "operator" else name
        for staff_id, name, role in rows
    }


def _entry(
    event: TicketEvent,
    names: dict[int, str | None],
    keyring: Keyring,
    show_reporter: bool,
    show_internal: bool,
) -> HistoryEntry:
    kind, _, staff_id = event.actor.partition(":")
    name = names.get(int(staff_id)) if staff_id.isdigit() else None
    if kind == "staff" and name is None:
        kind = "hidden"
    if not show_reporter and kind in ("resident", "hidden"):
        # The resident and an assisting operator look the same: whether the
        # report was assisted would narrow down who made it.
        kind = "reporter"
    return HistoryEntry(
        at=sla.as_utc(event.at) if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC),
        actor_kind=kind,
        actor_name=name,
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        public=event.public,
        note=(
            keyring.decrypt(event.note_enc, P_EVENT_NOTE)
            if event.note_enc and (event.public or show_internal)
            else None
        ),
    )


def registry_household(household_id: int | None, keyring: Keyring) -> RegistryHousehold | None:
    """The registry household as the office reads it (address and members
    decrypted), for the ticket page and a field officer's visit; None when
    there is none (a proposed household, or one gone from the registry)."""
    if household_id is None:
        return None
    household = db.session.get(Household, household_id)
    if household is None:
        return None
    people = db.session.scalars(
        select(Person).where(Person.household_id == household_id).order_by(Person.id)
    )
    members = []
    for person in people:
        identity = open_identity(keyring, person.identity_enc)
        members.append(
            Member(identity.full_name, person.relationship, person.sex, identity.birth_date)
        )
    return RegistryHousehold(
        address=keyring.decrypt(household.address_enc, P_ADDRESS),
        desil=household.desil,
        programs=tuple(p for p in (household.programs or "").split(";") if p),
        members=tuple(members),
        conditions=tuple((c, getattr(household, c)) for c in CONDITION_COLUMNS),
        data_as_of=household.data_as_of,
        in_registry=household.removed_at is None,
    )


_UNDER_REVIEW = ("in_review", "field_check", "verified")


def deadlines(ticket: Ticket, today: dt.date) -> tuple[Deadline, ...]:
    """Each deadline the ticket has, with the working days left for the
    ones that still apply: none while paused for the resident (``needs_info``
    is in no list below; the page says the clock is paused)."""
    status = ticket.status
    before_triage = ("submitted", "transferred")
    applies = {
        "triage": status in before_triage,
        "response": status in _UNDER_REVIEW and ticket.responded_at is None,
        # Calendar days from submission: they run before triage too.
        "verification": status in (*before_triage, "in_review", "field_check"),
        "decision": status in (*before_triage, *_UNDER_REVIEW),
        "appeal": status in ("accepted", "rejected", "forwarded"),
    }
    dates = {
        "triage": ticket.due_triage,
        "response": ticket.due_response,
        "verification": ticket.due_verification,
        "decision": ticket.due_decision,
        "appeal": ticket.appeal_until,
    }
    return tuple(
        Deadline(name, due, sla.working_days_between(today, due) if applies[name] else None)
        for name, due in dates.items()
        if due is not None
    )
