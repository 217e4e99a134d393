"""``flask tickets escalate``: overdue tickets go to the province supervisor's
attention, then the national office's (DESIGN.md §4, issue 12 §4). The
office keeps the ticket: escalation changes who watches it, never who works it.

The rule, in WIB calendar dates (``sla.local_date``) and Indonesian working
days (``sla.is_working_day``: weekends, libur nasional and cuti bersama off):

* Only an open ticket (``workflow.OPEN_STATUSES``) with a nearest deadline
  (``Ticket.due_next``) escalates. A ticket waiting for the resident
  (``needs_info``) has no ``due_next`` (the clock is paused) and never does.
* **Level 1, the province supervisor**: on the first working day after
  ``due_next``. Due on a Friday: not on Saturday or Sunday, but on Monday,
  or on Tuesday when that Monday is a holiday.
* **Level 2, the national office**: ``ESCALATE_NATIONAL_AFTER_WORKING_DAYS``
  (default 10) working days after the level-1 day.
* **Back to 0**: a ticket that is no longer overdue (its new deadline, after
  triage, a transfer, a pause for the resident or a decision, has not reached
  its level-1 day; or it is no longer open) drops back to level 0 at the next
  run, with an internal ``deescalated`` event and no notification. While a
  ticket stays overdue its level never goes down (2 stays 2 even when a new
  deadline would only give 1): whoever watches it keeps watching until the
  office has caught up.

Each step up is an internal ticket event (actor ``system``, kind
``escalated``, the level in the note) and an e-mail to the ticket's office's
supervisors and assignee and to the supervisors of the province office
(level 1) or of the national office (level 2): one ``ticket.escalated``
outbox row per recipient, addressed by ``recipient_enc`` (the text is
written by ``portal.notify.staff_messages`` when it is sent; no personal data). A ticket
found two levels behind (the command did not run for weeks) gets both
events, and each recipient one message, at level 2, with the province's
supervisors among them.

Idempotent: the level is a function of the ticket and today, so a second
run the same day finds nothing to change. Work goes in batches keyed by
ticket id, each its own transaction in the caller; on PostgreSQL a batch
locks its rows ``FOR UPDATE SKIP LOCKED``, so a ticket a handler is moving
right now is left for the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.tickets import sla
from portal.tickets.models import P_OUTBOX_RECIPIENT, OutboxMessage, Ticket
from portal.tickets.workflow import OPEN_STATUSES, Actor, record_event

#: The outbox topic of a step up (``portal.notify.staff_messages`` words it).
TOPIC = "ticket.escalated"
#: ``TicketEvent.kind`` of a step up and of the drop back to 0.
ESCALATED, DEESCALATED = "escalated", "deescalated"
DEFAULT_NATIONAL_AFTER = 10


@dataclass(frozen=True)
class Cutoffs:
    """A ticket due before ``province`` is at least at level 1 today, one
    due before ``national`` at level 2 (dates, so the scan is one index range)."""

    province: dt.date
    national: dt.date


def cutoffs(today: dt.date, national_after: int) -> Cutoffs:
    """The level-1 day of a due date D is the first working day after D, so
    it has come when a working day lies in (D, today]: D before the latest
    working day up to today. Level 2 needs ``national_after`` more of them."""
    latest = today if sla.is_working_day(today) else sla.add_working_days(today, -1)
    return Cutoffs(latest, sla.add_working_days(latest, -national_after))


def province_day(due: dt.date) -> dt.date:
    """The day a ticket due on ``due`` goes to the province supervisor."""
    return sla.add_working_days(due, 1)


def national_day(due: dt.date, national_after: int) -> dt.date:
    """The day it goes to the national office."""
    return sla.add_working_days(province_day(due), national_after)


def level_due(status: str, due_next: dt.date | None, cut: Cutoffs) -> int:
    """The level the rule gives today, before the "never down while overdue" rule."""
    if status not in OPEN_STATUSES or due_next is None:
        return 0
    if due_next < cut.national:
        return 2
    return 1 if due_next < cut.province else 0


def new_level(ticket: Ticket, cut: Cutoffs) -> int:
    target = level_due(ticket.status, ticket.due_next, cut)
    if target == 0:
        return 0
    return max(target, ticket.escalation_level or 0)


@dataclass
class Batch:
    escalated: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0})
    deescalated: int = 0
    messages: int = 0
    #: The highest ticket id looked at, the next batch's start; None: nothing left.
    last_id: int | None = None


def _candidates(cut: Cutoffs):
    open_ = Ticket.status.in_(sorted(OPEN_STATUSES))
    up = and_(
        open_,
        or_(
            and_(Ticket.escalation_level < 1, Ticket.due_next < cut.province),
            and_(Ticket.escalation_level < 2, Ticket.due_next < cut.national),
        ),
    )
    down = and_(
        Ticket.escalation_level > 0,
        or_(~open_, Ticket.due_next.is_(None), Ticket.due_next >= cut.province),
    )
    return or_(up, down)


def escalate_batch(
    today: dt.date,
    now: dt.datetime,
    keyring: Keyring,
    *,
    national_after: int = DEFAULT_NATIONAL_AFTER,
    after_id: int = 0,
    limit: int = 500,
) -> Batch:
    """Move up to ``limit`` tickets with ids above ``after_id`` to the level
    the rule gives today. Adds and flushes; the caller commits."""
    cut = cutoffs(today, national_after)
    tickets = db.session.scalars(
        select(Ticket)
        .where(_candidates(cut), Ticket.id > after_id)
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    batch = Batch(last_id=tickets[-1].id if tickets else None)
    for ticket in tickets:
        before, after = ticket.escalation_level or 0, new_level(ticket, cut)
        if after == before:
            continue
        if after == 0:
            ticket.escalation_level, ticket.escalated_at = 0, None
            record_event(ticket, Actor.system(), DEESCALATED, public=False, now=now)
            batch.deescalated += 1
            continue
        for level in range(before + 1, after + 1):
            record_event(
                ticket, Actor.system(), ESCALATED, f"level {level}", public=False, now=now,
                keyring=keyring,
            )  # fmt: skip
            batch.escalated[level] += 1
        ticket.escalation_level, ticket.escalated_at = after, now
        batch.messages += notify(ticket, before, after, now, keyring)
    db.session.flush()
    return batch


def recipients(ticket: Ticket, before: int, after: int) -> list[StaffUser]:
    """Who is told of a step from ``before`` to ``after``: the office's
    supervisors and the assignee, and the supervisors of each level reached
    (the province office above the ticket's office; the national office)."""
    office = db.session.get(Office, ticket.office_id)
    offices = [ticket.office_id]
    if before < 1 <= after and office is not None and office.parent_id is not None:
        parent = db.session.get(Office, office.parent_id)
        if parent is not None and parent.level == "province":
            offices.append(parent.id)
    if after >= 2:
        offices.extend(db.session.scalars(select(Office.id).where(Office.level == "national")))
    people = db.session.scalars(
        select(StaffUser)
        .where(
            StaffUser.office_id.in_(offices),
            StaffUser.role == "supervisor",
            StaffUser.active.is_(True),
        )
        .order_by(StaffUser.id)
    ).all()
    found = {person.id: person for person in people}
    if ticket.assignee_id is not None and ticket.assignee_id not in found:
        assignee = db.session.get(StaffUser, ticket.assignee_id)
        if assignee is not None and assignee.active:
            found[assignee.id] = assignee
    return [found[i] for i in sorted(found)]


def notify(ticket: Ticket, before: int, after: int, now: dt.datetime, keyring: Keyring) -> int:
    """One ``ticket.escalated`` message per recipient; returns how many."""
    payload = json.dumps(
        {
            "ticket_id": ticket.id,
            "reference": ticket.reference,
            "level": after,
            "office_id": ticket.office_id,
            "due": ticket.due_next.isoformat() if ticket.due_next else None,
        },
        sort_keys=True,
    )
    people = recipients(ticket, before, after)
    for person in people:
        event_id = str(uuid.uuid4())
        purpose = P_OUTBOX_RECIPIENT + b":" + event_id.encode()
        db.session.add(
            OutboxMessage(
                event_id=event_id,
                topic=TOPIC,
                payload=payload,
                created_at=now,
                attempts=0,
                ticket_id=ticket.id,
                status="pending",
                recipient_enc=keyring.encrypt(person.email, purpose),
            )
        )
    return len(people)
