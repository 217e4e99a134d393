"""The office's moves on a ticket (issue 10 §4): each a named step with a
button, a call into ``workflow.transition`` and an audit row, in the
caller's transaction.

``make(ticket, name, staff, …)`` is the one entry point. A move the
workflow refuses raises ``MoveRefused`` with a message in the reader's
language, ready for the page. Who may see the ticket (region scope) is the
views' check; which moves exist and who may make them is ``workflow.MOVES``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal.audit import log as audit
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets import decisions, duplicates, workflow
from portal.tickets.models import Ticket
from portal.tickets.workflow import Actor, InvalidTransition


@dataclass(frozen=True)
class OfficeMove:
    #: In the URL: ``/office/tickets/<reference>/move/<name>``.
    name: str
    to_status: str
    label: object
    #: True when the move asks for text (a page of its own), False for a button.
    has_page: bool


OFFICE_MOVES: dict[str, OfficeMove] = {
    m.name: m
    for m in (
        OfficeMove("triage", workflow.IN_REVIEW, _l("Take on this request (triage)"), False),
        OfficeMove("resume", workflow.IN_REVIEW, _l("Resume the review"), False),
        OfficeMove("ask", workflow.NEEDS_INFO, _l("Ask the resident for more information"), True),
        OfficeMove("field-check", workflow.FIELD_CHECK, _l("Start a field check"), False),
        OfficeMove("verify", workflow.VERIFIED, _l("Mark as verified"), False),
        OfficeMove("accept", workflow.ACCEPTED, _l("Accept"), True),
        OfficeMove("reject", workflow.REJECTED, _l("Reject"), True),
        OfficeMove("forward", workflow.FORWARDED, _l("Forward for the data update"), False),
        OfficeMove("transfer", workflow.TRANSFERRED, _l("Transfer to another office"), True),
        OfficeMove("duplicate", workflow.DUPLICATE, _l("Mark as a duplicate"), True),
        OfficeMove("close", workflow.CLOSED, _l("Close"), False),
    )
}

REFUSALS = {
    "not_a_move": _l("This step is not possible for the request as it stands now."),
    "not_for_role": _l("Your role cannot take this step."),
    "needs_other_office": _l("Choose another office to transfer the request to."),
    "needs_survivor": _l("Enter the number of another request, not this one."),
    "survivor_is_duplicate": _l(
        "That request is itself a duplicate: enter the number of the request it was joined with."
    ),
    "survivor_not_open": _l(
        "That request is no longer open (withdrawn, decided or closed): "
        "a duplicate can only be joined with an open request."
    ),
    "survivor_not_found": _l("There is no request with that number among those you can see."),
    "different_subject": _l(
        "That request is about another household: only a request about the same "
        "household can be a duplicate."
    ),
    "needs_field_visit": _l(
        "Objections and corrections of the house's condition are checked on the ground: "
        "record the field visit before verifying or deciding."
    ),
    "appeal_window_open": _l(
        "The appeal period runs until %(date)s: the request can be closed after that date."
    ),
}


class MoveRefused(Exception):
    """A move that cannot be made; ``message`` is translated for the page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def refusal(code: str, ticket: Ticket) -> MoveRefused:
    text = REFUSALS.get(code, REFUSALS["not_a_move"])
    if code == "appeal_window_open":
        return MoveRefused(code, str(text) % {"date": format_date(ticket.appeal_until, "long")})
    return MoveRefused(code, str(text))


def name_for(from_status: str, to_status: str) -> str:
    if to_status == workflow.IN_REVIEW:
        return "resume" if from_status == workflow.NEEDS_INFO else "triage"
    return next(m.name for m in OFFICE_MOVES.values() if m.to_status == to_status)


def available(ticket: Ticket, actor: Actor) -> list[OfficeMove]:
    """The moves ``actor`` (a staff member) may make on ``ticket`` now."""
    if actor.role not in workflow.OFFICE:
        return []
    return [
        OFFICE_MOVES[name_for(ticket.status, to)]
        for to in workflow.allowed_moves(ticket.status, actor)
    ]


@dataclass
class MoveInput:
    """What the move's form gave. ``note`` is the public text (question,
    explanation) or, for a transfer, the internal reason."""

    note: str | None = None
    reasons: list[str] = field(default_factory=list)
    office_id: int | None = None
    duplicate_of: Ticket | None = None
    #: The typed reference was not found among the tickets this person may see.
    duplicate_not_found: bool = False


def make(ticket: Ticket, name: str, actor: Actor, given: MoveInput, *, now: dt.datetime) -> None:
    """Make the office move ``name``, or raise ``MoveRefused``. Adds and flushes."""
    move = OFFICE_MOVES[name]
    from_status = ticket.status
    if actor.role not in workflow.OFFICE:
        raise refusal("not_for_role", ticket)
    if move not in available(ticket, actor):
        raise refusal("not_a_move", ticket)
    if name == "duplicate":
        _check_survivor(ticket, given)
    note, public = given.note, True
    if name in ("accept", "reject"):
        ticket.decision_reasons = decisions.stored(given.reasons)
    if name == "transfer":
        note, public = None, True  # the reason is an internal note, below
    try:
        workflow.transition(
            ticket,
            move.to_status,
            actor,
            note,
            public,
            now=now,
            office_id=given.office_id,
            duplicate_of=given.duplicate_of,
        )
    except InvalidTransition as refused:
        raise refusal(refused.code, ticket) from refused
    if name == "transfer" and given.note:
        workflow.add_note(ticket, actor, given.note, public=False, now=now)
    detail = f"{from_status}>{move.to_status}"
    if name == "duplicate":
        detail += f":dup_of:{given.duplicate_of.id}"  # the survivor, by id
    audit.record(
        "moved",
        staff_id=actor.staff_id,
        ticket_id=ticket.id,
        office_id=given.office_id if name == "transfer" else None,
        detail=detail,
        now=now,
    )
    if name == "triage" and ticket.assignee_id is None and _in_office(actor, ticket):
        ticket.assignee_id = actor.staff_id
        audit.record(
            "assigned",
            staff_id=actor.staff_id,
            ticket_id=ticket.id,
            target_staff_id=actor.staff_id,
            now=now,
        )


def _in_office(actor: Actor, ticket: Ticket) -> bool:
    """Whether ``actor`` works at the ticket's office (a province or national
    supervisor who triages another office's ticket does not become its assignee)."""
    staff = db.session.get(StaffUser, actor.staff_id) if actor.staff_id else None
    return staff is not None and staff.office_id == ticket.office_id


def _check_survivor(ticket: Ticket, given: MoveInput) -> None:
    survivor = given.duplicate_of
    if given.duplicate_not_found or survivor is None:
        raise refusal("survivor_not_found", ticket)
    if survivor.id == ticket.id:
        raise refusal("needs_survivor", ticket)
    if survivor.status == workflow.DUPLICATE:
        raise refusal("survivor_is_duplicate", ticket)
    if not duplicates.same_subject(ticket, survivor):
        raise refusal("different_subject", ticket)
