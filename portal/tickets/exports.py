"""Exports for the registry update batch (issue 12 §6a): one office's
decisions of a period as CSV, and who may export which office.

The rules, stated first (``docs/exports.md`` is the reader's version):

* **Which tickets.** A ticket of the office (``Ticket.office_id``) whose
  standing decision falls in the period: its latest ``decided`` event (the
  move ``verified → accepted|rejected``) happened on a WIB date from ``start``
  to ``end`` inclusive, and the ticket still rests on it (status accepted,
  rejected, forwarded or closed; an appeal sends it back to review, and its
  new decision is the one exported, in the period it was made). One row per
  ticket.
* **What of the household.** The KK number of the subject household and the
  NIK of its head (the member whose relationship is ``kepala_keluarga``, the
  lowest person id if the snapshot had two), decrypted here and only for
  this file; both empty when the subject is not a registry household (a
  proposal for a household outside the registry) or the household has no
  head. Nothing else personal leaves: no names, addresses or reporters.
* **Cells.** RFC 4180 (comma, CRLF, quotes doubled), UTF-8 without BOM, a
  header row; a cell starting with ``= + - @``, a tab or a carriage return is
  prefixed with ``'`` so a spreadsheet never runs it as a formula.
* **Memory flat.** One streamed query (a server-side cursor on PostgreSQL),
  read ``BATCH`` rows at a time; each batch becomes one chunk of text.
* **Who.** ``exportable_offices``: the rules of ``portal.staff.permissions``
  applied to offices: a handler and a kab/kota supervisor their own office, a
  province supervisor the kab/kota offices of their province, the national
  office every kab/kota office; nobody else any.

The caller writes the audit row and commits it before the first byte goes
out (``portal.web.office.exports``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, select, true
from sqlalchemy.orm import aliased

from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.regions.models import Office
from portal.registry.identity import open_identity
from portal.registry.models import Household, Person
from portal.registry.validation import P_KK
from portal.staff.models import StaffUser
from portal.staff.permissions import province_prefix, supervises_own_office
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.sla import WIB
from portal.tickets.workflow import ACCEPTED, CLOSED, FORWARDED, REJECTED

#: Rows fetched and written per chunk.
BATCH = 500
#: The longest period one export may cover, in days (a year, leap years too).
MAX_DAYS = 366
#: Statuses that still rest on the latest decision (an appeal leaves them).
DECIDED = (ACCEPTED, REJECTED, FORWARDED, CLOSED)
#: Roles that may export at all (the office's staff, not operators or admins).
EXPORT_ROLES = ("handler", "supervisor")

COLUMNS = (
    "reference",
    "kind",
    "subkind",
    "decision",
    "reason_codes",
    "kk_number",
    "nik",
    "village_code",
    "decided_at",
)
#: What a spreadsheet would read as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    """WIB dates, both inclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise ValueError(f"a period covers at most {MAX_DAYS} days")

    @property
    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[from, until) in UTC: WIB midnight of ``start`` to that after ``end``."""
        first = dt.datetime.combine(self.start, dt.time(), WIB)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), WIB)
        return first.astimezone(dt.UTC), after.astimezone(dt.UTC)


# Who may export which office --------------------------------------------------------------


def office_scope(user: StaffUser, office: Office | None) -> ColumnElement[bool]:
    """The kab/kota offices ``user`` may export, as a WHERE clause on ``Office``
    (the rule of ``permissions.ticket_filter``, applied to offices)."""
    if user.role not in EXPORT_ROLES or not user.active:
        return false()
    regency = Office.level == "regency"
    if user.role == "handler":
        return and_(regency, Office.id == user.office_id) if user.office_id else false()
    if supervises_own_office(office):
        return and_(regency, Office.id == office.id)
    prefix = province_prefix(office)
    if prefix == "":
        return and_(regency, true())
    if prefix:
        return and_(regency, Office.region_code.startswith(prefix))
    return false()


def exportable_offices(user: StaffUser, office: Office | None) -> list[Office]:
    return list(
        db.session.scalars(select(Office).where(office_scope(user, office)).order_by(Office.code))
    )


def exportable_office(user: StaffUser, office: Office | None, office_id: int) -> Office | None:
    """The office ``office_id`` if ``user`` may export it, else None."""
    return db.session.scalar(
        select(Office).where(Office.id == office_id, office_scope(user, office))
    )


# The decisions ---------------------------------------------------------------------------


def decisions_query(office_id: int, period: Period):
    """One row per ticket with a standing decision in the period: the
    ticket's columns, the decision event's status and time, the household's
    KK ciphertext and its head's identity ciphertext (or None)."""
    decided = aliased(TicketEvent)
    later = aliased(TicketEvent)
    first, after = period.utc_bounds
    head_identity = (
        select(Person.identity_enc)
        .where(Person.household_id == Ticket.household_id, Person.relationship == "kepala_keluarga")
        .order_by(Person.id)
        .limit(1)
        .scalar_subquery()
    )
    superseded = exists().where(
        later.ticket_id == decided.ticket_id, later.kind == "decided", later.id > decided.id
    )
    return (
        select(
            Ticket.reference,
            Ticket.kind,
            Ticket.subkind,
            decided.to_status,
            Ticket.decision_reasons,
            Household.kk_enc,
            head_identity,
            Ticket.village_code,
            decided.at,
        )
        .select_from(Ticket)
        .join(decided, decided.ticket_id == Ticket.id)
        .outerjoin(Household, Household.id == Ticket.household_id)
        .where(
            Ticket.office_id == office_id,
            Ticket.status.in_(DECIDED),
            decided.kind == "decided",
            decided.at >= first,
            decided.at < after,
            ~superseded,
        )
        .order_by(decided.at, Ticket.id)
    )


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character is escaped."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def decided_at_text(moment: dt.datetime) -> str:
    """ISO 8601 in WIB with its offset: ``2026-03-16T10:00:00+07:00``."""
    return stored_utc(moment).astimezone(WIB).isoformat(timespec="seconds")


def format_row(row, keyring: Keyring) -> list[str]:
    reference, kind, subkind, decision, reasons, kk_enc, head_enc, village, at = row
    kk = keyring.decrypt(kk_enc, P_KK) if kk_enc is not None else ""
    nik = open_identity(keyring, head_enc).nik if kk_enc is not None and head_enc else ""
    when = decided_at_text(at)
    cells = (reference, kind, subkind, decision, reasons or "", kk, nik, village, when)
    return [safe_cell(cell) for cell in cells]


def decisions_csv(office_id: int, period: Period, keyring: Keyring) -> Iterator[str]:
    """The CSV as chunks of text: the header, then one chunk per ``BATCH`` rows.

    Reads through the request's session in a read transaction of its own,
    ended when the last chunk is made (or the download is abandoned)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield take()
    try:
        result = db.session.execute(
            decisions_query(office_id, period),
            execution_options={"stream_results": True, "yield_per": BATCH},
        )
        for rows in result.partitions(BATCH):
            writer.writerows(format_row(row, keyring) for row in rows)
            yield take()
    finally:
        db.session.rollback()  # nothing was written: end the read transaction


def decisions_filename(office: Office, period: Period) -> str:
    return f"keputusan-{office.code}-{period.start.isoformat()}-{period.end.isoformat()}.csv"


def decisions_audit_detail(period: Period) -> str:
    """The ``exported`` audit row's detail: what left the office,
    ``decisions:<from>..<to>`` (32 characters; ``audit.log.DETAIL``)."""
    return f"decisions:{period.start.isoformat()}..{period.end.isoformat()}"
