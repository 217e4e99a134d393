"""Submitting a ticket, and adding to it.

These functions add and flush; the caller sets the transaction boundary
(``with portal.db.transaction():``), as everywhere in the portal.

* ``submit_ticket``: the ticket, its first event, its evidence rows and an
  outbox message in one transaction (SECURITY.md RE2), idempotent by the
  form's key (RE1).
* ``answers_from_draft``: a draft's answers (``drafts.py``) as ``TicketAnswers``.
* ``add_evidence``: more files for an open ticket.
* ``find_open_duplicate``: an open ticket of the same kind for the same subject.

An operator's assisted submission is checked by ``assisted.py``
(``seal_consent_by`` and ``consent_by`` are kept importable from here).

Drafts between form pages are ``drafts.py``; the ways back to a ticket (PIN,
tracking link) are ``access.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.crypto import Keyring
from portal.db import keyring as portal_keyring
from portal.extensions import db
from portal.regions.routing import route_to_office
from portal.registry.fullname import normalise_name
from portal.registry.models import Household
from portal.tickets import evidence as evidence_store
from portal.tickets import references, sla
from portal.tickets.access import seal_tracking_token
from portal.tickets.assisted import check_assisted, seal_consent_by
from portal.tickets.assisted import consent_by as consent_by  # the public API, kept
from portal.tickets.drafts import DraftData, discard_draft
from portal.tickets.errors import InvalidAnswers
from portal.tickets.models import (
    DOC_TYPES,
    KINDS,
    LANGS,
    P_DETAILS,
    P_EVIDENCE_GPS,
    P_REPORTER_CONTACT,
    P_SUBJECT_ADDRESS,
    P_SUBJECT_NAME,
    SUBKINDS,
    Evidence,
    OutboxMessage,
    Ticket,
    TicketEvent,
)
from portal.tickets.workflow import OPEN_STATUSES, SUBMITTED, Actor, record_event

REASON_CODE = re.compile(r"[a-z0-9_]{1,40}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: Attempts to insert with fresh random reference/token before giving up.
_INSERT_ATTEMPTS = 3


@dataclass(frozen=True)
class TicketAnswers:
    """What the resident (or the operator for them) answered.

    The subject is a registry household (``household_id``) or, when it is not
    in the registry, a name + address in ``village_code``.
    """

    kind: str
    subkind: str
    consent_version: str
    household_id: int | None = None
    village_code: str | None = None
    subject_name: str | None = None
    subject_address: str | None = None
    reason_codes: tuple[str, ...] = ()
    details: str = ""
    reporter_contact: str | None = None
    reporter_confidential: bool = False
    #: The language of the resident's messages (``models.LANGS``).
    lang: str = "id"
    #: An assisted submission: how the resident consented to the operator
    #: (``models.CONSENT_METHODS``) and who gave it (stored encrypted).
    consent_method: str | None = None
    consent_by: str | None = None


class StoredFile(Protocol):
    """An evidence file already checked, re-encoded, fsynced and renamed into
    the upload store (``portal.tickets.evidence``)."""

    stored_name: str
    sha256: str
    size: int
    media_type: str
    doc_type: str
    #: (latitude, longitude) when the resident agreed to share it, else None.
    gps: tuple[float, float] | None


@dataclass(frozen=True)
class SubmittedTicket:
    """What the confirmation page shows.

    ``pin`` and ``tracking_token`` are in clear here and nowhere else; they
    cannot be shown again. When ``already_submitted`` is True the form was
    sent twice (double click, reload, retry after a timeout): the ticket is
    the one the first submission made, and ``pin``/``tracking_token`` are
    None. The UI then shows the reference and says the PIN was shown on the
    first confirmation page (or is on the printed receipt) — never a new PIN.
    """

    ticket_id: int
    reference: str
    pin: str | None
    tracking_token: str | None
    already_submitted: bool = False


def submit_ticket(
    answers: TicketAnswers,
    *,
    idempotency_key: str,
    keyring: Keyring,
    now: dt.datetime,
    evidence: Iterable[StoredFile] = (),
    staff_id: int | None = None,
    draft_id: str | None = None,
    rules: sla.SlaRules | None = None,
) -> SubmittedTicket:
    """Create a ticket, routed to its office, with its SLA dates, first event,
    evidence rows and an outbox message; discard the draft.

    Call it first in its unit of work: when another request with the same
    ``idempotency_key`` won the race, the session is rolled back (the failed
    INSERT aborts the transaction on PostgreSQL) and the existing ticket is
    returned with ``already_submitted=True``. ``staff_id`` is the operator
    who assisted: an active village operator, only for their own village,
    and with the resident's consent recorded (``consent_method``,
    ``consent_by``; a ``consent_form`` file only then). Raises
    ``InvalidAnswers`` and ``UnknownVillage``.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise InvalidAnswers("an idempotency key of 1-64 characters is required")
    now = sla.as_utc(now)
    existing = ticket_by_idempotency_key(idempotency_key)
    if existing is not None:
        return _already_submitted(existing, draft_id)
    files = list(evidence)
    village_code = _check_answers(answers, files)
    check_assisted(answers.consent_method, answers.consent_by, files, village_code, staff_id)
    rules = rules or sla.rules_from_config(current_app.config)
    office_id = route_to_office(village_code).id
    due = sla.due_dates(answers.kind, sla.local_date(now), rules)
    thumbs = make_thumbnails(files)

    for _ in range(_INSERT_ATTEMPTS):
        reference, pin, token = (
            references.new_reference(),
            references.new_pin(),
            references.new_tracking_token(),
        )
        ticket = _new_ticket(answers, village_code, office_id, due, keyring, now)
        ticket.reference = reference
        ticket.pin_hash = references.hash_pin(keyring, reference, pin)
        ticket.tracking_token_index = references.tracking_token_index(keyring, token)
        ticket.tracking_token_enc = seal_tracking_token(keyring, reference, token)
        ticket.idempotency_key = idempotency_key
        ticket.submitted_by_staff_id = staff_id
        if answers.consent_method:
            ticket.consent_method = answers.consent_method
            ticket.consent_by_enc = seal_consent_by(keyring, reference, answers.consent_by)
        db.session.add(ticket)
        try:
            db.session.flush()
            break
        except IntegrityError as exc:
            db.session.rollback()
            existing = ticket_by_idempotency_key(idempotency_key)
            if existing is not None:
                return _already_submitted(existing, draft_id)
            failure = exc  # most likely a reference collision: draw again
    else:
        raise RuntimeError("could not insert the ticket") from failure

    actor = f"staff:{staff_id}" if staff_id is not None else "resident"
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor=actor,
            kind="submitted",
            from_status=None,
            to_status=SUBMITTED,
            public=True,
        )
    )
    db.session.add_all(_evidence_row(ticket.id, f, thumbs, now, keyring) for f in files)
    db.session.flush()
    db.session.add(OutboxMessage.for_ticket("ticket.submitted", ticket, now))
    if draft_id:
        discard_draft(draft_id)
    db.session.flush()
    return SubmittedTicket(ticket.id, reference, pin, token)


def _check_answers(answers: TicketAnswers, files: list[StoredFile]) -> str:
    """Raise ``InvalidAnswers`` unless the answers make a ticket; return its village code."""
    if answers.kind not in KINDS:
        raise InvalidAnswers(f"unknown kind {answers.kind!r}")
    if answers.subkind not in SUBKINDS[answers.kind]:
        raise InvalidAnswers(f"{answers.subkind!r} is not a kind of {answers.kind}")
    if not answers.consent_version:
        raise InvalidAnswers("consent is required")
    bad_codes = [c for c in answers.reason_codes if not REASON_CODE.fullmatch(c)]
    if bad_codes:
        raise InvalidAnswers(f"malformed reason codes {bad_codes}")
    _check_files(files)
    if answers.household_id is not None:
        village = db.session.scalar(
            select(Household.village_code).where(Household.id == answers.household_id)
        )
        if village is None:
            raise InvalidAnswers("no such household")
        if answers.village_code not in (None, village):
            raise InvalidAnswers("the household is in another village")
        return village
    if not (answers.subject_name and answers.subject_address and answers.village_code):
        raise InvalidAnswers("a subject outside the registry needs name, address and village")
    return answers.village_code


def _check_files(files: list[StoredFile], existing: int = 0) -> None:
    limit = current_app.config.get("MAX_FILES_PER_TICKET")
    if limit is not None and existing + len(files) > limit:
        raise InvalidAnswers(f"a ticket holds at most {limit} files", "too_many_files")
    for f in files:
        if f.doc_type not in DOC_TYPES or not SHA256_HEX.fullmatch(f.sha256) or f.size <= 0:
            raise InvalidAnswers(f"evidence {f.stored_name!r} is not a checked, stored file")


def _new_ticket(
    answers: TicketAnswers,
    village_code: str,
    office_id: int,
    due: sla.DueDates,
    keyring: Keyring,
    now: dt.datetime,
) -> Ticket:
    def seal(value: str | None, purpose: bytes) -> bytes | None:
        return keyring.encrypt(value, purpose) if value else None

    # A registry household is described by the registry: nothing to copy.
    from_registry = answers.household_id is not None
    subject_name = None if from_registry else answers.subject_name
    subject_address = None if from_registry else answers.subject_address
    return Ticket(
        kind=answers.kind,
        subkind=answers.subkind,
        household_id=answers.household_id,
        subject_name_enc=seal(subject_name, P_SUBJECT_NAME),
        subject_address_enc=seal(subject_address, P_SUBJECT_ADDRESS),
        subject_index=(
            references.subject_index(keyring, village_code, normalise_name(subject_name))
            if subject_name
            else None
        ),
        village_code=village_code,
        office_id=office_id,
        reason_codes=";".join(answers.reason_codes),
        details_enc=seal(answers.details, P_DETAILS),
        reporter_contact_enc=seal(answers.reporter_contact, P_REPORTER_CONTACT),
        # Objection (b) names a neighbour: the reporter is always kept confidential.
        reporter_confidential=answers.reporter_confidential
        or answers.subkind == "ineligible_recipient",
        consent_version=answers.consent_version,
        consent_at=now,
        lang=answers.lang if answers.lang in LANGS else "id",
        status=SUBMITTED,
        status_changed_at=now,
        due_triage=due.triage,
        due_response=due.response,
        due_verification=due.verification,
        due_decision=due.decision,
        due_next=due.triage,
        pin_failures=0,
        created_at=now,
        updated_at=now,
    )


def make_thumbnails(files: list[StoredFile]) -> dict[str, str | None]:
    """``{stored name: thumbnail name}``, made before the transaction's first
    write so that image decoding and fsyncs never hold the database's write
    lock (SQLite has one). Thumbnails of an insert that then fails are
    orphans: ``flask evidence sweep`` removes them once old enough."""
    return {
        f.stored_name: evidence_store.store_thumbnail(f.stored_name, f.media_type) for f in files
    }


def _evidence_row(
    ticket_id: int,
    f: StoredFile,
    thumbs: dict[str, str | None],
    now: dt.datetime,
    keyring: Keyring,
) -> Evidence:
    return Evidence(
        ticket_id=ticket_id,
        doc_type=f.doc_type,
        media_type=f.media_type,
        stored_name=f.stored_name,
        sha256=f.sha256,
        size_bytes=f.size,
        gps_enc=seal_gps(keyring, f.stored_name, f.gps) if f.gps else None,
        thumb_name=thumbs[f.stored_name],
        quality_kept=_kept_despite_warning(f),
        created_at=now,
    )


def _kept_despite_warning(f: StoredFile) -> str | None:
    """The codes of a flagged photo, comma-joined; None for any other file
    (files from elsewhere than the resident's upload carry no codes)."""
    codes = getattr(f, "quality", ())
    return ",".join(codes) if codes and getattr(f, "quality_kept", False) else None


def _gps_purpose(stored_name: str) -> bytes:
    # Bound to the row by its unique stored name (known before the INSERT,
    # unlike the id): a location copied onto another file does not open.
    return P_EVIDENCE_GPS + b":" + stored_name.encode("ascii")


def seal_gps(keyring: Keyring, stored_name: str, gps: tuple[float, float]) -> bytes:
    """Where a photo was taken (the house, so personal data): ``"lat,lon"``
    encrypted like the subject's address."""
    lat, lon = gps
    return keyring.encrypt(f"{float(lat)!r},{float(lon)!r}", _gps_purpose(stored_name))


def evidence_gps(row: Evidence, keyring: Keyring) -> tuple[float, float] | None:
    """The (latitude, longitude) kept with ``row``, or None."""
    if row.gps_enc is None:
        return None
    lat, lon = keyring.decrypt(row.gps_enc, _gps_purpose(row.stored_name)).split(",")
    return float(lat), float(lon)


def ticket_by_idempotency_key(key: str) -> Ticket | None:
    """The ticket a form with this idempotency key already created, if any."""
    return db.session.scalar(select(Ticket).where(Ticket.idempotency_key == key))


def _already_submitted(ticket: Ticket, draft_id: str | None) -> SubmittedTicket:
    if draft_id:
        discard_draft(draft_id)
    return SubmittedTicket(ticket.id, ticket.reference, None, None, already_submitted=True)


def add_evidence(
    ticket: Ticket,
    files: Iterable[StoredFile],
    actor: Actor,
    *,
    now: dt.datetime,
    keyring: Keyring | None = None,
    thumbs: dict[str, str | None] | None = None,
) -> list[Evidence]:
    """Attach more evidence to an open ticket (a reply to needs_info, or the
    office's field-check photos), with an ``evidence_added`` event.
    ``keyring`` (default: the app's) encrypts a kept photo location.
    ``thumbs`` are the files' thumbnails made beforehand (``make_thumbnails``),
    when the caller's transaction has already written (SQLite's write lock)."""
    files = list(files)
    if ticket.status not in OPEN_STATUSES:
        raise InvalidAnswers("the ticket is decided or closed: it takes no more evidence")
    if not files:
        raise InvalidAnswers("no files")
    # The office's field-visit photos do not take the resident's places.
    attached = db.session.scalar(
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.ticket_id == ticket.id, Evidence.field_visit_id.is_(None))
    )
    _check_files(files, attached)
    now = sla.as_utc(now)
    keyring = keyring or portal_keyring()
    thumbs = thumbs if thumbs is not None else make_thumbnails(files)
    rows = [_evidence_row(ticket.id, f, thumbs, now, keyring) for f in files]
    db.session.add_all(rows)
    record_event(ticket, actor, "evidence_added", now=now)
    db.session.flush()
    return rows


def add_resident_addition(
    ticket: Ticket,
    note: str,
    files: Iterable[StoredFile],
    *,
    now: dt.datetime,
    keyring: Keyring,
) -> None:
    """What a resident of the same household wrote (and uploaded) for a
    request already under review, instead of sending it again: a public
    ``resident_added`` event carrying the text, plus the files. Raises
    ``InvalidAnswers`` once the ticket is decided or full, like ``add_evidence``."""
    files = list(files)
    if ticket.status not in OPEN_STATUSES:
        raise InvalidAnswers("the ticket is decided or closed: it takes no additions")
    if not note and not files:
        raise InvalidAnswers("nothing to add")
    now = sla.as_utc(now)
    if files:
        add_evidence(ticket, files, Actor.resident(), now=now, keyring=keyring)
    if note:
        record_event(ticket, Actor.resident(), "resident_added", note, now=now, keyring=keyring)
    db.session.flush()


# Duplicates ----------------------------------------------------------------------------

#: Corrections about one member of the household: a second death (or birth,
#: move, name) is usually another person, so the household and the subkind
#: are not enough to call it the same request. The portal does not know which
#: member a correction names (it is in the free text): the office joins real
#: duplicates of these in the workflow.
MEMBER_SUBKINDS = frozenset(
    {"member_died", "member_born", "member_moved", "wrong_name", "wrong_birth_date"}
)


def find_open_duplicate(
    kind: str,
    *,
    household_id: int | None = None,
    subject_index: bytes | None = None,
    exclude_id: int | None = None,
    subkind: str | None = None,
) -> Ticket | None:
    """The oldest open ticket (before a decision) of ``kind`` for the same
    registry household, or for the same hand-described subject (village +
    name, ``references.subject_index``); with ``subkind``, only of that
    subkind (a birth and a death in one household are two corrections)."""
    same_subject = []
    if household_id is not None:
        same_subject.append(Ticket.household_id == household_id)
    if subject_index is not None:
        same_subject.append(Ticket.subject_index == subject_index)
    if not same_subject:
        return None
    query = select(Ticket).where(
        Ticket.kind == kind, Ticket.status.in_(OPEN_STATUSES), or_(*same_subject)
    )
    if exclude_id is not None:
        query = query.where(Ticket.id != exclude_id)
    if subkind is not None:
        query = query.where(Ticket.subkind == subkind)
    return db.session.scalar(query.order_by(Ticket.id).limit(1))


# Drafts: see ``portal.tickets.drafts``.


def answers_from_draft(draft: DraftData, **overrides) -> TicketAnswers:
    """A ``TicketAnswers`` from a draft's answers (unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(TicketAnswers)}
    values = {k: v for k, v in {**draft.answers, **overrides}.items() if k in names}
    values.setdefault("kind", draft.kind)
    values.setdefault("household_id", draft.household_id)
    values["reason_codes"] = tuple(values.get("reason_codes", ()))
    try:
        return TicketAnswers(**values)
    except TypeError as exc:
        raise InvalidAnswers(f"the draft is incomplete: {exc}") from exc
