"""Field visits: the record of a ground check (issue 10 §4, the ``field_check`` step).

An officer goes to the house and compares it with the registry: for each
house-condition variable of DESIGN.md §5, and the household's size, what the
registry holds, what the officer saw, and whether they match. The findings
and the notes are personal data, so they are stored encrypted
(``P_VISIT_FINDINGS``, ``P_VISIT_NOTES``; findings as one JSON document). The
photos are checked and stored by ``portal.tickets.evidence`` exactly as a
resident's files are (the web layer calls ``process_upload`` and ``store``)
and become ``Evidence`` rows carrying the visit's id.

Objections and house corrections cannot be verified or decided without a
visit: ``workflow.needs_field_visit`` and the guard in ``workflow.transition``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.audit import log as audit
from portal.crypto import Keyring
from portal.db import keyring as portal_keyring
from portal.extensions import db
from portal.registry.models import CONDITION_COLUMNS, Household, Person
from portal.registry.schema import CONDITION_VALUES
from portal.staff.models import StaffUser
from portal.tickets import evidence as evidence_store
from portal.tickets import sla
from portal.tickets.evidence import StoredFile
from portal.tickets.models import P_VISIT_FINDINGS, P_VISIT_NOTES, Evidence, FieldVisit, Ticket
from portal.tickets.service import seal_gps
from portal.tickets.workflow import FIELD_CHECK, OFFICE, Actor, record_event

FIELD_OFFICER = "field_officer"
#: What the officer compares, in the order the form and the page show them.
NUMERIC = ("floor_area_m2", "household_size")
VARIABLES: tuple[str, ...] = (*CONDITION_COLUMNS, "household_size")
#: Largest plausible numbers: a typo, not a house.
NUMERIC_MAX = {"floor_area_m2": 100_000, "household_size": 99}
RECOMMENDATIONS = ("registry_right", "request_right", "unclear")
#: What a visit's photo may show.
PHOTO_TYPES = ("house_front", "house_inside", "other")
NOTES_MAX = 4000


class VisitRefused(ValueError):
    """A visit that cannot be recorded; ``code`` is worded by the web layer."""

    CODES = frozenset(
        {
            "not_field_check",
            "not_office",
            "future_date",
            "before_submission",
            "bad_officer",
            "bad_value",
            "bad_recommendation",
            "bad_photo",
            "notes_too_long",
        }
    )

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown refusal {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Finding:
    variable: str
    registry: str | int | None
    observed: str | int | None

    @property
    def matches(self) -> bool | None:
        """None when either side is unknown (not in the registry, not checked)."""
        if self.registry is None or self.observed is None:
            return None
        return self.registry == self.observed


def registry_values(ticket: Ticket) -> dict[str, str | int | None]:
    """What the registry holds about the subject household (all None when the
    subject is not a registry household). The conditions are plain columns;
    the size is the number of members in the snapshot."""
    household = db.session.get(Household, ticket.household_id) if ticket.household_id else None
    if household is None:
        return dict.fromkeys(VARIABLES)
    values: dict[str, str | int | None] = {c: getattr(household, c) for c in CONDITION_COLUMNS}
    values["household_size"] = db.session.scalar(
        select(func.count()).select_from(Person).where(Person.household_id == household.id)
    )
    return values


def officers(ticket: Ticket, actor_id: int) -> list[StaffUser]:
    """Who may be named as the visiting officer: the active handlers and
    supervisors of the ticket's office, the field officer the visit is
    assigned to (``field_assign``), and the person recording."""
    named = (StaffUser.id == actor_id) | (
        (StaffUser.office_id == ticket.office_id) & StaffUser.role.in_(OFFICE)
    )
    if ticket.field_officer_id is not None:
        named = named | (StaffUser.id == ticket.field_officer_id)
    rows = db.session.scalars(
        select(StaffUser)
        .where(StaffUser.active.is_(True), named)
        .order_by(StaffUser.display_name, StaffUser.id)
    )
    return list(rows)


def by_key(ticket: Ticket, key: str | None) -> FieldVisit | None:
    """The visit a form with this idempotency key already recorded, if any."""
    if not key:
        return None
    return db.session.scalar(
        select(FieldVisit).where(
            FieldVisit.ticket_id == ticket.id, FieldVisit.idempotency_key == key
        )
    )


def record_visit(
    ticket: Ticket,
    actor: Actor,
    visited_on: dt.date,
    officer_id: int,
    findings: Mapping[str, str | int | None],
    notes: str | None,
    recommendation: str,
    photos: Iterable[StoredFile],
    now: dt.datetime,
    *,
    idempotency_key: str | None = None,
    keyring: Keyring | None = None,
) -> FieldVisit:
    """Record a visit of ``ticket`` (in ``field_check``), or raise ``VisitRefused``.

    ``findings`` maps each of ``VARIABLES`` to what the officer saw (None: not
    checked); the registry's value is read here. ``photos`` are files already
    checked and stored by ``portal.tickets.evidence``. Writes an internal
    ``field_visit`` event (bumping the ticket's version) and an audit row
    (``field_visit``; ``visit_recorded`` when the field officer records it).
    The visit is then no longer assigned (``Ticket.field_officer_id``): the
    officer sees nothing more and the ticket waits in ``field_check`` for the
    handler's decision. A photo's position is kept (encrypted) only when the
    caller asked ``process_upload`` for it. Adds and flushes; the caller commits.
    """
    now = sla.as_utc(now)
    photos = list(photos)
    _check(ticket, actor, visited_on, officer_id, findings, notes, recommendation, photos, now)
    # Thumbnails before the first write: image work and fsyncs do not hold the
    # database's write lock (SQLite has one). A failed insert leaves orphans
    # that ``flask evidence sweep`` removes.
    thumbs = {
        f.stored_name: evidence_store.store_thumbnail(f.stored_name, f.media_type) for f in photos
    }
    keyring = keyring or portal_keyring()
    registry = registry_values(ticket)
    document = {
        name: {
            "registry": registry[name],
            "observed": findings.get(name),
            "matches": Finding(name, registry[name], findings.get(name)).matches,
        }
        for name in VARIABLES
    }
    visit = FieldVisit(
        ticket_id=ticket.id,
        visited_on=visited_on,
        officer_id=officer_id,
        recorded_by_id=actor.staff_id,
        findings_enc=keyring.encrypt(json.dumps(document, sort_keys=True), P_VISIT_FINDINGS),
        notes_enc=keyring.encrypt(notes, P_VISIT_NOTES) if notes else None,
        recommendation=recommendation,
        created_at=now,
        idempotency_key=idempotency_key or None,
    )
    db.session.add(visit)
    db.session.flush()
    db.session.add_all(
        _photo_row(ticket, visit, f, thumbs[f.stored_name], now, keyring) for f in photos
    )
    ticket.field_officer_id = None
    record_event(ticket, actor, "field_visit", public=False, now=now)
    # The ticket's row lock before the audit log's advisory lock, the order of
    # every other writer (no deadlock on PostgreSQL).
    db.session.flush()
    audit.record(
        "visit_recorded" if actor.role == FIELD_OFFICER else "field_visit",
        staff_id=actor.staff_id,
        ticket_id=ticket.id,
        detail=recommendation,
        now=now,
    )
    db.session.flush()
    return visit


def _check(ticket, actor, visited_on, officer_id, findings, notes, recommendation, photos, now):
    if actor.staff_id is None or actor.role not in (*OFFICE, FIELD_OFFICER):
        raise VisitRefused("not_office")
    if ticket.status != FIELD_CHECK:
        raise VisitRefused("not_field_check", ticket.status)
    if actor.role == FIELD_OFFICER and (
        ticket.field_officer_id != actor.staff_id or officer_id != actor.staff_id
    ):
        raise VisitRefused("not_office")  # only the officer sent, recording their own visit
    if visited_on > sla.local_date(now):
        raise VisitRefused("future_date")
    if visited_on < sla.local_date(ticket.created_at):
        raise VisitRefused("before_submission")
    if officer_id not in {s.id for s in officers(ticket, actor.staff_id)}:
        raise VisitRefused("bad_officer")
    if recommendation not in RECOMMENDATIONS:
        raise VisitRefused("bad_recommendation")
    if notes and len(notes) > NOTES_MAX:
        raise VisitRefused("notes_too_long")
    for name, value in findings.items():
        if name not in VARIABLES or not _valid(name, value):
            raise VisitRefused("bad_value", name)
    _check_photos(photos)


def _check_photos(photos: list[StoredFile]) -> None:
    for f in photos:
        if f.doc_type not in PHOTO_TYPES or not f.media_type.startswith("image/") or f.size <= 0:
            raise VisitRefused("bad_photo", f.stored_name)


def _valid(name: str, value) -> bool:
    if value is None:
        return True
    if name in NUMERIC:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and 0 <= value <= NUMERIC_MAX[name]
        )
    return value in CONDITION_VALUES[name]


def _photo_row(
    ticket: Ticket,
    visit: FieldVisit,
    f: StoredFile,
    thumb: str | None,
    now: dt.datetime,
    keyring: Keyring,
) -> Evidence:
    # No photo location unless the officer chose to keep it (``keep_gps``).
    gps = seal_gps(keyring, f.stored_name, f.gps) if f.gps else None
    return Evidence(
        ticket_id=ticket.id,
        doc_type=f.doc_type,
        media_type=f.media_type,
        stored_name=f.stored_name,
        sha256=f.sha256,
        size_bytes=f.size,
        thumb_name=thumb,
        field_visit_id=visit.id,
        gps_enc=gps,
        created_at=now,
    )


# Reading -------------------------------------------------------------------------------


def visits_of(ticket: Ticket) -> list[FieldVisit]:
    return list(
        db.session.scalars(
            select(FieldVisit).where(FieldVisit.ticket_id == ticket.id).order_by(FieldVisit.id)
        )
    )


def findings_of(visit: FieldVisit, keyring: Keyring | None = None) -> list[Finding]:
    """The visit's findings in ``VARIABLES`` order."""
    keyring = keyring or portal_keyring()
    document = json.loads(keyring.decrypt(visit.findings_enc, P_VISIT_FINDINGS))
    return [
        Finding(name, document[name]["registry"], document[name]["observed"])
        for name in VARIABLES
        if name in document
    ]


def notes_of(visit: FieldVisit, keyring: Keyring | None = None) -> str | None:
    if visit.notes_enc is None:
        return None
    keyring = keyring or portal_keyring()
    return keyring.decrypt(visit.notes_enc, P_VISIT_NOTES)


def staff_names(ids: Iterable[int | None]) -> dict[int, str]:
    """``{staff id: display name}`` for the officers and recorders shown."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(wanted))
    )
    return dict(rows.tuples().all())


def photos_of(visits: list[FieldVisit]) -> dict[int, list[Evidence]]:
    """``{visit id: [evidence rows]}``."""
    if not visits:
        return {}
    out: dict[int, list[Evidence]] = {v.id: [] for v in visits}
    rows = db.session.scalars(
        select(Evidence).where(Evidence.field_visit_id.in_(list(out))).order_by(Evidence.id)
    )
    for row in rows:
        out[row.field_visit_id].append(row)
    return out
