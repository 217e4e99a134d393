"""``flask breach report`` (SECURITY.md PD3; UU PDP No. 27/2022 art. 46: the
subjects and the regulator are told within 3×24 hours): whose data the staff
access of a time window touched, read from the audit log.

What counts as access to a ticket's subjects (``audit_log`` rows in
``[start, end)``):

* every row naming a ticket (``ticket_opened``, ``evidence_opened``,
  ``visit_opened``, ``note``, ``moved``, ``claimed``, …), except the
  retention job's own rows;
* every ``exported`` row, expanded to the tickets the file could have held:
  a decisions CSV (``decisions:<from>..<to>``): the office's tickets with a
  decision in that period; a meeting list (``musdes:<village>:<from>..<to>``):
  the office's tickets of that village sent before the export. Both are
  over-estimates (a later appeal or withdrawal cannot be replayed): for a
  breach notice, too many is the safe side.

Not attributable to a subject, and counted apart: ``assist_lookup`` (an
operator's household lookup: the audit row holds the outcome, not the
household) and ``partner_api_use`` (a partner's API call).

The subjects of a ticket: its registry household (KK number, every member),
or the named subject of a proposal outside the registry; and its reporter
(a contact, when one was given).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.regions.models import Office
from portal.registry.identity import open_identity
from portal.registry.models import Household, Person
from portal.registry.validation import P_KK
from portal.tickets.exports import Period
from portal.tickets.models import P_REPORTER_CONTACT, P_SUBJECT_NAME, Ticket, TicketEvent

EXPORT_DETAIL = re.compile(
    r"(?:decisions|musdes:(?P<village>[0-9.]+)):(?P<start>\d{4}-\d\d-\d\d)\.\.(?P<end>\d{4}-\d\d-\d\d)"
)
UNATTRIBUTED = ("assist_lookup", "partner_api_use")
NOT_ACCESS = ("retention",)


@dataclass
class Touched:
    """One ticket whose subjects the window's access reached."""

    ticket_id: int
    kinds: set[str] = field(default_factory=set)
    staff: set[int] = field(default_factory=set)
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None

    def saw(self, row) -> None:
        self.kinds.add(row.kind)
        if row.staff_id is not None:
            self.staff.add(row.staff_id)
        at = stored_utc(row.at)
        self.first_at = min(filter(None, (self.first_at, at)))
        self.last_at = max(filter(None, (self.last_at, at)))


@dataclass
class BreachReport:
    start: dt.datetime
    end: dt.datetime
    audit_rows: int = 0
    touched: dict[int, Touched] = field(default_factory=dict)
    unattributed: dict[str, int] = field(default_factory=dict)


def _touch(report: BreachReport, ticket_id: int, row) -> None:
    report.touched.setdefault(ticket_id, Touched(ticket_id)).saw(row)


def _exported_tickets(row) -> list[int]:
    match = EXPORT_DETAIL.fullmatch(row.detail or "")
    if match is None or row.office_id is None:
        return []
    period = Period(dt.date.fromisoformat(match["start"]), dt.date.fromisoformat(match["end"]))
    query = select(Ticket.id).where(Ticket.office_id == row.office_id)
    if match["village"]:
        query = query.where(Ticket.village_code == match["village"], Ticket.created_at <= row.at)
    else:
        first, after = period.utc_bounds
        decided = select(TicketEvent.ticket_id).where(
            TicketEvent.kind == "decided", TicketEvent.at >= first, TicketEvent.at < after
        )
        query = query.where(Ticket.id.in_(decided))
    return list(db.session.scalars(query))


def breach_report(
    start: dt.datetime, end: dt.datetime, *, ticket_id: int | None = None
) -> BreachReport:
    """The tickets the access in ``[start, end)`` touched (only ``ticket_id``'s
    rows when given), from the audit log."""
    # In UTC, as stored (SQLite compares the wall time and drops the zone).
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    report = BreachReport(start, end)
    query = select(AuditEntry).where(AuditEntry.at >= start, AuditEntry.at < end)
    for row in db.session.scalars(query.order_by(AuditEntry.id)):
        report.audit_rows += 1
        if row.kind in UNATTRIBUTED and ticket_id is None:
            report.unattributed[row.kind] = report.unattributed.get(row.kind, 0) + 1
        elif row.kind == "exported":
            for touched in _exported_tickets(row):
                if ticket_id in (None, touched):
                    _touch(report, touched, row)
        elif (
            row.ticket_id is not None
            and row.kind not in NOT_ACCESS
            and ticket_id in (None, row.ticket_id)
        ):
            _touch(report, row.ticket_id, row)
    return report


def mask(value: str) -> str:
    """Enough to recognise, too little to use: ``3201********0001``, ``S*** A***``."""
    if value.isdigit() and len(value) > 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in value.split())


COLUMNS = (
    "reference",
    "office",
    "village_code",
    "access",
    "first_access_utc",
    "last_access_utc",
    "staff_accounts",
    "kk_number",
    "household_members",
    "head_nik",
    "head_name",
    "subject_name",
    "reporter_contact",
)


def subject_rows(report: BreachReport, keyring: Keyring, *, masked: bool):
    """One row per touched ticket (``COLUMNS``), and the totals: tickets,
    registry households, their persons, other named subjects, reporters."""
    show = mask if masked else (lambda v: v)
    ids = sorted(report.touched)
    tickets = db.session.execute(
        select(Ticket, Office.code)
        .join(Office, Office.id == Ticket.office_id)
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.reference)
    ).all()
    household_ids = {t.household_id for t, _ in tickets if t.household_id}
    members = dict(
        db.session.execute(
            select(Person.household_id, func.count())
            .where(Person.household_id.in_(household_ids))
            .group_by(Person.household_id)
        ).all()
    )
    totals = defaultdict(int, tickets=len(tickets), households=len(household_ids))
    totals["persons"] = sum(members.values())
    rows = []
    for ticket, office_code in tickets:
        touched = report.touched[ticket.id]
        kk = head_nik = head_name = subject = contact = ""
        if ticket.household_id:
            household = db.session.get(Household, ticket.household_id)
            kk = show(keyring.decrypt(household.kk_enc, P_KK))
            head = db.session.scalar(
                select(Person.identity_enc)
                .where(Person.household_id == household.id)
                .order_by(Person.relationship != "kepala_keluarga", Person.id)
                .limit(1)
            )
            if head is not None:
                identity = open_identity(keyring, head)
                head_nik, head_name = show(identity.nik), show(identity.full_name)
        elif ticket.subject_name_enc:
            subject = show(keyring.decrypt(ticket.subject_name_enc, P_SUBJECT_NAME))
            totals["other_subjects"] += 1
        if ticket.reporter_contact_enc:
            contact = show(keyring.decrypt(ticket.reporter_contact_enc, P_REPORTER_CONTACT))
            totals["reporters"] += 1
        rows.append(
            (
                ticket.reference,
                office_code,
                ticket.village_code,
                ";".join(sorted(touched.kinds)),
                touched.first_at.isoformat(timespec="seconds"),
                touched.last_at.isoformat(timespec="seconds"),
                str(len(touched.staff)),
                kk,
                str(members.get(ticket.household_id, 0)) if ticket.household_id else "",
                head_nik,
                head_name,
                subject,
                contact,
            )
        )
    return rows, dict(totals)
