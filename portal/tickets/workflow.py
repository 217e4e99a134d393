"""How a ticket moves (DESIGN.md §4): its states, who may move it where, and
what every move records.

```
submitted ─triage─▶ in_review ─▶ field_check ─▶ verified ─▶ accepted ─▶ forwarded ─▶ closed
    │                  │  ▲            │                 └▶ rejected ─────────────────▶ closed
    │                  ▼  │            │
    │              needs_info (clock paused; resident replies with text/evidence)
    ├─▶ transferred (wrong office: re-routed, clock restarts at triage)
    ├─▶ duplicate (linked to the surviving ticket)
    └─▶ withdrawn (by the resident, before a decision)
```

After a decision (accepted or rejected) the resident may appeal once, within
the appeal window: the ticket goes back to ``in_review`` at the same office
with new response and decision dates (``appealed`` event).

``MOVES`` below is the whole rule book. Beyond the drawing it allows what a
handler needs in practice: verifying from the documents without a field
visit (``in_review → verified``), except for the kinds checked on the
ground (objections, house corrections: ``needs_field_visit``), which are
neither verified nor decided before a visit is recorded; transferring or
marking a duplicate during review, not only at triage ("bukan wewenang"
often shows only then); triaging a transferred ticket at its new office. A
village operator may pass on a resident's reply (assisted, like an assisted
submission) but cannot withdraw for them. Closing waits for the appeal
window after a decision.

``transition()`` is the only way to change a ticket's status. Every move
writes a ``TicketEvent`` (actor, time, from, to, optional encrypted note), an
outbox message for notifications, and bumps ``Ticket.version``. Region
scoping (which handler may touch which office's tickets) is the office
views' permission check, not this module's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.crypto import Keyring
from portal.db import keyring as portal_keyring
from portal.extensions import db
from portal.tickets import sla
from portal.tickets.models import P_EVENT_NOTE, FieldVisit, OutboxMessage, Ticket, TicketEvent

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
NEEDS_INFO = "needs_info"
FIELD_CHECK = "field_check"
VERIFIED = "verified"
ACCEPTED = "accepted"
REJECTED = "rejected"
FORWARDED = "forwarded"
CLOSED = "closed"
TRANSFERRED = "transferred"
DUPLICATE = "duplicate"
WITHDRAWN = "withdrawn"

STATUSES = (
    SUBMITTED,
    IN_REVIEW,
    NEEDS_INFO,
    FIELD_CHECK,
    VERIFIED,
    ACCEPTED,
    REJECTED,
    FORWARDED,
    CLOSED,
    TRANSFERRED,
    DUPLICATE,
    WITHDRAWN,
)
#: Before a decision: the office is still working on it. Duplicates are looked for here.
OPEN_STATUSES = frozenset({SUBMITTED, TRANSFERRED, IN_REVIEW, NEEDS_INFO, FIELD_CHECK, VERIFIED})
#: Nothing moves out of these.
FINAL_STATUSES = frozenset({CLOSED, DUPLICATE, WITHDRAWN})

#: What the resident sees: fewer, plainer states than the office works with.
PUBLIC_LABELS = {
    SUBMITTED: _l("Received"),
    TRANSFERRED: _l("Received"),
    IN_REVIEW: _l("Being checked"),
    FIELD_CHECK: _l("Being checked"),
    NEEDS_INFO: _l("Waiting for your reply"),
    VERIFIED: _l("Waiting for a decision"),
    ACCEPTED: _l("Accepted"),
    FORWARDED: _l("Accepted"),
    REJECTED: _l("Not accepted"),
    CLOSED: _l("Closed"),
    DUPLICATE: _l("Joined with another request"),
    WITHDRAWN: _l("Withdrawn"),
}

# Who may make a move: staff roles, "resident" or "system".
OFFICE = frozenset({"handler", "supervisor"})
RESIDENT = frozenset({"resident"})
RESIDENT_OR_OPERATOR = frozenset({"resident", "operator"})
SYSTEM = frozenset({"system"})


@dataclass(frozen=True)
class Move:
    from_status: str
    to_status: str
    by: frozenset[str]
    #: ``TicketEvent.kind`` recorded for the move.
    event: str


MOVES: tuple[Move, ...] = (
    # Triage: the responsible office takes the ticket on.
    Move(SUBMITTED, IN_REVIEW, OFFICE, "triaged"),
    Move(TRANSFERRED, IN_REVIEW, OFFICE, "triaged"),
    # Not this office's ("bukan wewenang"): re-routed, the clock restarts.
    Move(SUBMITTED, TRANSFERRED, OFFICE, "transferred"),
    Move(IN_REVIEW, TRANSFERRED, OFFICE, "transferred"),
    Move(TRANSFERRED, TRANSFERRED, OFFICE, "transferred"),
    # The same request again: linked to the surviving ticket.
    Move(SUBMITTED, DUPLICATE, OFFICE, "marked_duplicate"),
    Move(IN_REVIEW, DUPLICATE, OFFICE, "marked_duplicate"),
    Move(TRANSFERRED, DUPLICATE, OFFICE, "marked_duplicate"),
    # Review, with the clock paused while the resident is asked for more.
    Move(IN_REVIEW, NEEDS_INFO, OFFICE, "info_requested"),
    Move(FIELD_CHECK, NEEDS_INFO, OFFICE, "info_requested"),
    Move(NEEDS_INFO, IN_REVIEW, RESIDENT_OR_OPERATOR | OFFICE, "info_received"),
    Move(IN_REVIEW, FIELD_CHECK, OFFICE, "status_changed"),
    Move(IN_REVIEW, VERIFIED, OFFICE, "status_changed"),
    Move(FIELD_CHECK, VERIFIED, OFFICE, "status_changed"),
    # Decision, then the appeal window.
    Move(VERIFIED, ACCEPTED, OFFICE, "decided"),
    Move(VERIFIED, REJECTED, OFFICE, "decided"),
    Move(ACCEPTED, FORWARDED, OFFICE, "forwarded"),
    Move(FORWARDED, CLOSED, OFFICE | SYSTEM, "closed"),
    Move(REJECTED, CLOSED, OFFICE | SYSTEM, "closed"),
    # Within the appeal window, once: back to review at the same office.
    Move(ACCEPTED, IN_REVIEW, RESIDENT, "appealed"),
    Move(REJECTED, IN_REVIEW, RESIDENT, "appealed"),
    # The resident may withdraw until a decision.
    *(
        Move(status, WITHDRAWN, RESIDENT, "withdrawn")
        for status in (SUBMITTED, TRANSFERRED, IN_REVIEW, NEEDS_INFO, FIELD_CHECK, VERIFIED)
    ),
)
_MOVES = {(m.from_status, m.to_status): m for m in MOVES}
#: Moves out of review that are not the office's first response to the resident.
_NOT_A_RESPONSE = frozenset({TRANSFERRED, DUPLICATE, WITHDRAWN})


class InvalidTransition(ValueError):
    """The move is not in ``MOVES``, not allowed for this actor, or lacks what it needs."""

    def __init__(
        self, from_status: str, to_status: str, reason: str, code: str = "refused"
    ) -> None:
        super().__init__(f"{from_status} → {to_status}: {reason}")
        self.from_status = from_status
        self.to_status = to_status
        self.reason = reason
        #: A short name for the reason, for a translated message (``office_moves``).
        self.code = code


@dataclass(frozen=True)
class Actor:
    """Who makes a move: ``role`` is "resident", "system" or a staff role."""

    role: str
    staff_id: int | None = None

    @classmethod
    def resident(cls) -> Actor:
        return cls("resident")

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @classmethod
    def staff(cls, staff_id: int, role: str) -> Actor:
        return cls(role, staff_id)

    @property
    def label(self) -> str:
        """``TicketEvent.actor``: ``resident``, ``system`` or ``staff:<id>``."""
        return self.role if self.staff_id is None else f"staff:{self.staff_id}"


def next_due(ticket: Ticket) -> dt.date | None:
    """The deadline the office works to now, for ``Ticket.due_next`` (the queue's order).

    Before triage, triage; under review, the earliest of the first response
    (until the office has responded), the objection's verification (until
    verified) and the decision; nothing while the clock is paused for the
    resident or once decided.
    """
    if ticket.status in (SUBMITTED, TRANSFERRED):
        return ticket.due_triage
    if ticket.status not in (IN_REVIEW, FIELD_CHECK, VERIFIED):
        return None
    candidates = [ticket.due_decision]
    if ticket.responded_at is None:
        candidates.append(ticket.due_response)
    if ticket.status != VERIFIED:
        candidates.append(ticket.due_verification)
    dates = [day for day in candidates if day is not None]
    return min(dates) if dates else None


def public_label(status: str) -> str:
    return str(PUBLIC_LABELS[status])


def allowed_moves(status: str, actor: Actor) -> list[str]:
    """The statuses ``actor`` may move a ticket in ``status`` to (for buttons)."""
    return [m.to_status for m in MOVES if m.from_status == status and actor.role in m.by]


def transition(
    ticket: Ticket,
    to_status: str,
    actor: Actor,
    note: str | None = None,
    public: bool = True,
    *,
    now: dt.datetime | None = None,
    keyring: Keyring | None = None,
    rules: sla.SlaRules | None = None,
    office_id: int | None = None,
    duplicate_of: Ticket | None = None,
) -> TicketEvent:
    """Move ``ticket`` to ``to_status``, or raise ``InvalidTransition``.

    ``office_id`` is the new office of a transfer; ``duplicate_of`` the
    surviving ticket of a duplicate. ``public=False`` keeps the event (and its
    note) from the resident. Adds and flushes; the caller commits.
    """
    from_status = ticket.status
    move = _MOVES.get((from_status, to_status))
    if move is None:
        raise InvalidTransition(
            from_status, to_status, "not a move the workflow allows", "not_a_move"
        )
    if actor.role not in move.by:
        raise InvalidTransition(
            from_status, to_status, f"not allowed for {actor.role}", "not_for_role"
        )
    now = sla.as_utc(now)
    rules = rules or sla.rules_from_config(current_app.config)
    today = sla.local_date(now)
    _check_preconditions(ticket, to_status, today, office_id, duplicate_of)

    if from_status == NEEDS_INFO:
        _resume_clock(ticket, today)
    if to_status == NEEDS_INFO:
        ticket.paused_at = now
    elif move.event == "triaged":
        ticket.due_response = sla.response_due(today, rules)
    elif to_status == TRANSFERRED:
        # A new office, a new clock: its first response is still to come,
        # and it assigns its own people.
        ticket.office_id = office_id
        ticket.assignee_id = None
        ticket.responded_at = None
        _set_due_dates(ticket, sla.due_dates(ticket.kind, today, rules))
    elif to_status == DUPLICATE:
        ticket.duplicate_of_id = duplicate_of.id
        _repoint_duplicates(ticket, duplicate_of)
    elif move.event == "decided":
        ticket.appeal_until = sla.appeal_deadline(today, rules)
        if ticket.first_due_decision is None:  # an appeal moves due_decision, not this
            ticket.first_due_decision = ticket.due_decision
    elif move.event == "appealed":
        # The appeal is a new request about the decision: its own response
        # and decision dates from today; the window closes with it.
        ticket.appealed_at = now
        ticket.appeal_until = None
        ticket.responded_at = None
        ticket.due_response = sla.response_due(today, rules)
        ticket.due_decision = today + dt.timedelta(days=rules.decision_days)
        if ticket.due_verification is not None:
            ticket.due_verification = today + dt.timedelta(days=rules.objection_verification_days)

    responds = from_status in (IN_REVIEW, FIELD_CHECK) and to_status not in _NOT_A_RESPONSE
    if responds and ticket.responded_at is None:
        ticket.responded_at = now
    if from_status == FIELD_CHECK:  # the field officer's visit ends with the check
        ticket.field_officer_id = None
    ticket.status = to_status
    ticket.status_changed_at = now
    ticket.due_next = next_due(ticket)
    event = record_event(
        ticket, actor, move.event, note, public, now=now, keyring=keyring, from_status=from_status
    )
    db.session.add(
        OutboxMessage.for_ticket(
            "ticket.status_changed", ticket, now, status=to_status, public=public
        )
    )
    db.session.flush()
    return event


def add_note(
    ticket: Ticket,
    actor: Actor,
    note: str,
    public: bool = False,
    *,
    now: dt.datetime | None = None,
    keyring: Keyring | None = None,
) -> TicketEvent:
    """An office note without a move: internal by default, or a public
    message to the resident. Raises ``InvalidTransition`` for anyone but the office."""
    if actor.role not in OFFICE:
        raise InvalidTransition(ticket.status, ticket.status, f"not allowed for {actor.role}")
    if not note:
        raise InvalidTransition(ticket.status, ticket.status, "a note needs text")
    event = record_event(ticket, actor, "note", note, public, now=now, keyring=keyring)
    if public:
        # The resident is told a message is waiting (never its text: it may be personal).
        db.session.add(OutboxMessage.for_ticket("ticket.message", ticket, sla.as_utc(now)))
    db.session.flush()
    return event


def record_event(
    ticket: Ticket,
    actor: Actor,
    kind: str,
    note: str | None = None,
    public: bool = True,
    *,
    now: dt.datetime | None = None,
    keyring: Keyring | None = None,
    from_status: str | None = None,
) -> TicketEvent:
    """Add a ``TicketEvent`` and mark the ticket changed (``updated_at``, and so
    ``version``). Checks nothing: ``transition``, ``add_note`` and
    ``service.add_evidence`` decide whether it may happen."""
    now = sla.as_utc(now)
    ticket.updated_at = now
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor=actor.label,
        kind=kind,
        from_status=from_status or ticket.status,
        to_status=ticket.status,
        public=public,
        note_enc=_encrypt_note(note, keyring),
    )
    db.session.add(event)
    return event


def _check_preconditions(
    ticket: Ticket,
    to_status: str,
    today: dt.date,
    office_id: int | None,
    duplicate_of: Ticket | None,
) -> None:
    def refuse(reason: str, code: str) -> InvalidTransition:
        return InvalidTransition(ticket.status, to_status, reason, code)

    if to_status == TRANSFERRED and (office_id is None or office_id == ticket.office_id):
        raise refuse("a transfer needs another office", "needs_other_office")
    if to_status == DUPLICATE:
        if duplicate_of is None or duplicate_of.id == ticket.id:
            raise refuse("a duplicate needs the surviving ticket", "needs_survivor")
        if duplicate_of.status == DUPLICATE:
            raise refuse(
                "link to the surviving ticket, not to another duplicate", "survivor_is_duplicate"
            )
        if duplicate_of.status not in OPEN_STATUSES:
            raise refuse("the surviving ticket must still be open", "survivor_not_open")
    if to_status == IN_REVIEW and ticket.status in (ACCEPTED, REJECTED):
        code = appeal_refusal(ticket, today)
        if code is not None:
            raise refuse(APPEAL_REFUSALS[code], code)
    if to_status == CLOSED and ticket.appeal_until and today <= ticket.appeal_until:
        raise refuse(
            f"the appeal window is open until {ticket.appeal_until.isoformat()}",
            "appeal_window_open",
        )
    needs_visit = to_status in (VERIFIED, ACCEPTED, REJECTED) and needs_field_visit(ticket)
    if needs_visit and not _has_field_visit(ticket):
        raise refuse("a field visit must be recorded first", "needs_field_visit")


#: Why an appeal is refused, by ``InvalidTransition.code``.
APPEAL_REFUSALS = {
    "not_a_move": "only a decision (accepted or rejected) can be appealed",
    "already_appealed": "a decision can be appealed once",
    "appeal_window_closed": "the appeal window has closed",
}


def appeal_refusal(ticket: Ticket, today: dt.date) -> str | None:
    """Why the resident cannot appeal ``ticket`` on ``today`` (a key of
    ``APPEAL_REFUSALS``), or None when they can: once, after an accepted or
    rejected decision (not once forwarded), until ``appeal_until`` inclusive.
    The one statement of the rule: the pages and messages ask it too."""
    if ticket.appealed_at is not None:
        return "already_appealed"
    if ticket.status not in (ACCEPTED, REJECTED):
        return "not_a_move"
    if ticket.appeal_until is None or today > ticket.appeal_until:
        return "appeal_window_closed"
    return None


def _repoint_duplicates(ticket: Ticket, survivor: Ticket) -> None:
    """The tickets already joined with ``ticket`` now point at ``survivor``:
    no duplicate ever points at another duplicate."""
    with db.session.no_autoflush:  # ``ticket`` is written once, by the caller's flush
        joined = db.session.scalars(select(Ticket).where(Ticket.duplicate_of_id == ticket.id)).all()
    for earlier in joined:
        earlier.duplicate_of_id = survivor.id


def needs_field_visit(ticket: Ticket) -> bool:
    """Objections, and corrections of the house's condition, are checked on
    the ground: they are not verified or decided without a recorded visit."""
    return ticket.kind == "objection" or (
        ticket.kind == "correction" and ticket.subkind == "house_changed"
    )


def _has_field_visit(ticket: Ticket) -> bool:
    found = db.session.scalar(
        select(FieldVisit.id).where(FieldVisit.ticket_id == ticket.id).limit(1)
    )
    return found is not None


def _resume_clock(ticket: Ticket, today: dt.date) -> None:
    if ticket.paused_at is not None:
        moved = sla.after_pause(_due_dates(ticket), sla.local_date(ticket.paused_at), today)
        _set_due_dates(ticket, moved)
    ticket.paused_at = None


def _due_dates(ticket: Ticket) -> sla.DueDates:
    return sla.DueDates(
        triage=ticket.due_triage,
        response=ticket.due_response or ticket.due_triage,
        verification=ticket.due_verification,
        decision=ticket.due_decision or ticket.due_triage,
    )


def _set_due_dates(ticket: Ticket, due: sla.DueDates) -> None:
    ticket.due_triage = due.triage
    ticket.due_response = due.response
    ticket.due_verification = due.verification
    ticket.due_decision = due.decision
    ticket.paused_at = None


def _encrypt_note(note: str | None, keyring: Keyring | None) -> bytes | None:
    if not note:
        return None
    keyring = keyring or portal_keyring()
    return keyring.encrypt(note, P_EVENT_NOTE)
