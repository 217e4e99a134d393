"""Ticket tables. Personal data is never stored in clear: ``*_enc`` columns are
AES-GCM ciphertexts bound to their column by a purpose (``P_*`` below), and
``*_index`` columns are keyed digests (see ``portal.crypto``).

The states a ticket goes through, and who moves it, are in ``workflow.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import BigId

#: usulan, sanggahan, perbaikan data (see ``portal.tickets``).
KINDS = ("proposal", "objection", "correction")

#: What exactly is asked, per kind.
SUBKINDS: dict[str, tuple[str, ...]] = {
    "proposal": ("own_household", "other_household"),
    # (a) my own ranking or exclusion is wrong; (b) a recipient is not eligible.
    "objection": ("own_ranking", "ineligible_recipient"),
    "correction": (
        "member_died",
        "member_born",
        "member_moved",
        "wrong_name",
        "wrong_birth_date",
        "house_changed",
    ),
}

DOC_TYPES = (
    "ktp",
    "kk",
    "house_front",
    "house_inside",
    "death_certificate",
    "birth_certificate",
    "village_letter",
    "consent_form",
    "other",
)

# Encryption purposes: a ciphertext only decrypts in the column it was made for.
P_SUBJECT_NAME = b"ticket.subject_name"
P_SUBJECT_ADDRESS = b"ticket.subject_address"
P_DETAILS = b"ticket.details"
P_REPORTER_CONTACT = b"ticket.reporter_contact"
P_EVENT_NOTE = b"ticket_event.note"
P_EVIDENCE_GPS = b"evidence.gps"
P_DRAFT = b"draft.data"
P_SENT = b"sent_confirmation.secrets"
P_VISIT_FINDINGS = b"field_visit.findings"
P_VISIT_NOTES = b"field_visit.notes"
P_TRACKING_TOKEN = b"ticket.tracking_token"
P_RATING_COMMENT = b"rating.comment"
P_OUTBOX_RECIPIENT = b"outbox.recipient"
P_CONSENT_BY = b"ticket.consent_by"

#: How the resident gave consent to an assisted submission (``Ticket.consent_method``).
CONSENT_METHODS = ("signed_form", "in_person_verbal")
#: ``Ticket.escalation_level``: not escalated, at the province, at the nation.
ESCALATION_LEVELS = (0, 1, 2)

#: The languages a ticket's messages are written in (``Ticket.lang``).
LANGS = ("id", "en")


class Ticket(db.Model):
    """One request from a resident (or an operator on their behalf).

    ``version`` is SQLAlchemy's version counter: every ORM update of the row
    bumps it, and an update based on a stale copy fails instead of silently
    overwriting another handler's move. The receipt PDF is cached by it.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("kind IN ('proposal', 'objection', 'correction')", name="kind"),
        CheckConstraint(
            "household_id IS NOT NULL OR subject_name_enc IS NOT NULL", name="has_subject"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: ``DT-7KQ4-M9XW``: random, not a secret (``references.new_reference``).
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    #: Argon2 hash of the keyed 6-digit PIN shown once at submission.
    pin_hash: Mapped[str] = mapped_column(String(255))
    #: Attempts in the current window; at the limit the ticket locks until ``pin_locked_until``.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Keyed digest of the tracking token (``/t/<token>``), to find the ticket by it.
    tracking_token_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: The token itself, encrypted (``P_TRACKING_TOKEN`` + reference): only the
    #: notification worker opens it, to put the tracking link in a message.
    #: None for tickets sent before notifications existed (migration 0010).
    tracking_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: ``id`` or ``en``: the language the resident used, for their messages.
    lang: Mapped[str] = mapped_column(String(2), default="id", server_default="id")

    kind: Mapped[str] = mapped_column(String(12))
    subkind: Mapped[str] = mapped_column(String(24))
    #: The subject household, when it is known from the registry.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    #: Otherwise the subject as the resident described it.
    subject_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Keyed digest of village code + normalised name, to find duplicates.
    subject_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: The responsible office (``route_to_office``), changed by a transfer.
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)

    #: ``;``-separated reason codes, e.g. ``income_dropped;member_sick``.
    reason_codes: Mapped[str] = mapped_column(String(255), default="")
    details_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Objection (b): only the case handler may see who reported.
    reporter_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The village operator who submitted on the resident's behalf.
    submitted_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: Assisted submissions: how the resident consented (``CONSENT_METHODS``)
    #: and who gave it, as the operator recorded it (encrypted, ``P_CONSENT_BY``
    #: + reference). A photo of a signed form is an ``Evidence`` row of type
    #: ``consent_form``. None for a resident's own submission.
    consent_method: Mapped[str | None] = mapped_column(String(24))
    consent_by_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The partner system that sent it over the Open311 API (``portal.partners``),
    #: and the token its POST answered with (``/open311/v2/tokens/<token>``).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    partner_token: Mapped[str | None] = mapped_column(String(36), unique=True)

    #: One of ``workflow.STATUSES``.
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # SLA due dates (``sla.py``), in the portal's local calendar (WIB).
    due_triage: Mapped[dt.date] = mapped_column(Date)
    due_response: Mapped[dt.date | None] = mapped_column(Date)
    #: Objections only: verified within 14 calendar days.
    due_verification: Mapped[dt.date | None] = mapped_column(Date)
    due_decision: Mapped[dt.date | None] = mapped_column(Date)
    #: Set by a decision (accepted/rejected): the end of the appeal window.
    appeal_until: Mapped[dt.date | None] = mapped_column(Date)
    #: Set while the ticket waits for the resident (needs_info): the SLA clock stops.
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)

    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The last change of any kind (a move, a note, evidence); every change bumps ``version``.
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: From the submission form (SECURITY.md RE1): a double submit finds this row.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Set when the office marks this ticket a duplicate of a surviving one.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)

    #: The one case handler working on it (``claim-next``, assign, triage), or nobody.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: The date the queue sorts by: the nearest deadline of the current status
    #: (``workflow.next_due``); None while paused or after a decision.
    due_next: Mapped[dt.date | None] = mapped_column(Date)
    #: The office's first substantive response after triage (a move or a public
    #: message): until then ``due_response`` counts.
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: A decision's ``;``-separated reason codes (``DECISION_REASONS`` in configuration).
    decision_reasons: Mapped[str | None] = mapped_column(String(255))
    #: When the resident appealed the decision: one appeal per ticket.
    appealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: ``due_decision`` as it stood at the first decision (set by
    #: ``workflow.transition``): an appeal moves ``due_decision``, not this.
    #: "Decided on time" (``performance``) is counted against it.
    first_due_decision: Mapped[dt.date | None] = mapped_column(Date)

    #: The field officer sent to check the household (``field_check``), while
    #: the visit is still to be recorded; cleared when it is recorded or the
    #: ticket leaves the step. Only this officer sees the household then.
    field_officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    field_assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: ``ESCALATION_LEVELS``: 1 once overdue (the province supervisor), 2
    #: after ``ESCALATE_NATIONAL_AFTER_WORKING_DAYS`` more (the national
    #: office); set by ``flask tickets escalate``. The office keeps the ticket.
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


# The queue (``/office/``): one office's tickets by nearest deadline, optionally
# of one status or one assignee, walk an index instead of sorting.
Index("ix_tickets_office_due", Ticket.office_id, Ticket.due_next, Ticket.id)
Index("ix_tickets_office_status_due", Ticket.office_id, Ticket.status, Ticket.due_next)
Index("ix_tickets_assignee_due", Ticket.office_id, Ticket.assignee_id, Ticket.due_next, Ticket.id)
# ``flask tickets escalate``: open tickets past their nearest deadline, by level.
Index("ix_tickets_escalation", Ticket.escalation_level, Ticket.due_next)
# Open311 ``GET requests``: a date range of submissions, newest first.
Index("ix_tickets_created", Ticket.created_at, Ticket.id)


class TicketEvent(db.Model):
    """Something that happened to a ticket: who, when, and from which status to which.

    Public events are shown to the resident with ``note_enc`` as the message;
    the others are internal notes, never shown to the resident.
    """

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: ``resident``, ``staff:<id>`` or ``system``.
    actor: Mapped[str] = mapped_column(String(32))
    #: submitted, triaged, status_changed, replied, transferred, withdrawn, note, …
    kind: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: A resident's action (reply, withdraw, appeal) carries its form's key:
    #: a second click finds this event instead of acting twice (RE1).
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class Evidence(db.Model):
    """A file attached to a ticket, already checked and stored under a random name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: One of ``DOC_TYPES``.
    doc_type: Mapped[str] = mapped_column(String(24))
    media_type: Mapped[str] = mapped_column(String(32))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    #: Hex SHA-256 of the stored bytes.
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    #: Only when the resident agreed to share where the photo was taken: where
    #: the house is, encrypted and bound to this row (``service.evidence_gps``).
    gps_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: A small WebP of an image, made when the file is stored (None for a PDF).
    thumb_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The quality codes ("dark,blurred", ``portal.tickets.quality``) of a
    #: photo the resident kept although the check said it may be hard to read.
    quality_kept: Mapped[str | None] = mapped_column(String(64))
    #: Set for a photo taken on a field visit rather than sent by the resident.
    field_visit_id: Mapped[int | None] = mapped_column(ForeignKey("field_visits.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


#: ``OutboxMessage.status``: waiting for its first try; waiting for a retry
#: after a failure; delivered; given up after ``OUTBOX_MAX_ATTEMPTS`` or a
#: permanent refusal (dead letter); nothing to deliver (no contact, or a
#: change the resident is not told about).
OUTBOX_STATUSES = ("pending", "retry", "sent", "dead", "skipped")


class OutboxMessage(db.Model):
    """A message for the worker, written in the same transaction as the change
    it announces (SECURITY.md RE2/RE3). The payload names the ticket by id and
    reference only: no personal data; the worker finds the recipient on the
    ticket when it delivers (``portal.notify``).

    Delivery is at least once: the worker claims a row (``claimed_by`` until
    ``claimed_until``), sends, then marks it. A worker that dies between
    sending and marking leaves a claim that expires, and the message is sent
    again with the same ``event_id``, the idempotency key a receiver drops
    repeats by.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'retry', 'sent', 'dead', 'skipped')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: A UUID4 string: the idempotency key of every delivery of this message.
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: ``ticket.submitted``, ``ticket.status_changed``, ``ticket.message``,
    #: ``sms.reply`` (an answer to an inbound SMS).
    topic: Mapped[str] = mapped_column(String(64))
    #: JSON text.
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The ticket it is about, for the ticket page's delivery list.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: One of ``OUTBOX_STATUSES``.
    status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    #: ``email`` or ``sms`` once the worker has chosen; None before, or when skipped.
    channel: Mapped[str | None] = mapped_column(String(8))
    #: Not before this time (a retry's backoff); None: as soon as possible.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The worker holding the message, and until when (a lease).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Why the last try failed, or why nothing was sent (no personal data).
    last_error: Mapped[str | None] = mapped_column(String(255))
    #: A recipient other than the ticket's contact (an answer to an inbound
    #: SMS from any number), encrypted (``P_OUTBOX_RECIPIENT`` + ``event_id``).
    recipient_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    @classmethod
    def for_ticket(
        cls, topic: str, ticket: Ticket, now: dt.datetime, **extra: str | bool
    ) -> OutboxMessage:
        """A message about ``ticket``: its id and reference, plus ``extra`` (no personal data)."""
        payload = {"ticket_id": ticket.id, "reference": ticket.reference, **extra}
        return cls(
            event_id=str(uuid.uuid4()),
            topic=topic,
            payload=json.dumps(payload, sort_keys=True),
            created_at=now,
            attempts=0,
            ticket_id=ticket.id,
            status="pending",
        )


# The worker's scan: messages still to deliver, by when they are due.
Index("ix_outbox_status_next", OutboxMessage.status, OutboxMessage.next_attempt_at)


class Draft(db.Model):
    """The answers of an unfinished submission, kept between form pages.

    The id is a random 128-bit token kept in the resident's session; the
    answers are one encrypted JSON document. Drafts expire (``DRAFT_TTL_HOURS``).
    """

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    data_enc: Mapped[bytes] = mapped_column(LargeBinary)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class SentConfirmation(db.Model):
    """The PIN and tracking token of a request just sent, for its confirmation page.

    The page is reached by a redirect after sending, so reloading it, switching
    its language or a second click on "send" shows the same PIN and link
    instead of losing them. Only the session that sent the request can open
    it: the id is the sent draft's id, a random token kept in that session.
    The secrets are one AES-GCM ciphertext bound to the row, and the row
    expires after ``SENT_PAGE_MINUTES``; nothing can show the PIN after that.
    """

    __tablename__ = "sent_confirmations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    secrets_enc: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class FieldVisit(db.Model):
    """A ground check of the subject household (the ``field_check`` step).

    ``findings_enc`` is one encrypted JSON document: for each house-condition
    variable of DESIGN.md §5, what the registry holds and what the officer
    saw. Photos are ``Evidence`` rows with this visit's id.
    """

    __tablename__ = "field_visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    #: Who went: a staff account (the recording handler, or a field officer).
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    findings_enc: Mapped[bytes] = mapped_column(LargeBinary)
    notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: ``registry_right``, ``request_right`` or ``unclear``.
    recommendation: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: From the visit form: a double submit finds this row instead of adding one.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class ReplyTemplate(db.Model):
    """A public text the office starts from: a needs-info question or a
    decision's explanation, per language. ``office_id`` None is the national
    default; an office's own row with the same ``purpose`` and ``code``
    overrides it. Placeholders: ``{reference}`` and ``{due_date}`` only."""

    __tablename__ = "reply_templates"
    __table_args__ = (
        UniqueConstraint("office_id", "purpose", "code", "lang"),
        CheckConstraint("purpose IN ('needs_info', 'accepted', 'rejected')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    #: ``needs_info``, ``accepted`` or ``rejected``.
    purpose: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    #: ``id`` or ``en``.
    lang: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


def rating_comment_purpose(ticket_id: int) -> bytes:
    """A rating's comment decrypts only as the comment of its own ticket's rating."""
    return P_RATING_COMMENT + b":" + str(ticket_id).encode()


class Rating(db.Model):
    """How the resident rated the handling of their request, once, after the
    decision: shown to the office and counted in statistics, never shown
    publicly per person."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    #: The office that decided (the ticket's office when rated), for statistics.
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    #: Encrypted for this ticket alone (``rating_comment_purpose``).
    comment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
