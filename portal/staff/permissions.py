"""Who may see which ticket (SECURITY.md AU4). The one place the rules live;
views ask ``can_see_ticket`` and list with ``ticket_filter``.

* handler: tickets routed to their own office (a Dinas Sosial: its kab/kota);
* operator: tickets about their own village;
* supervisor: tickets routed to an office of their province (a province
  office: by the ticket's office, so a transfer across provinces moves the
  ticket to the other province's supervisors), anywhere (the national
  office), or those routed to their office when it is a kab/kota Dinas
  Sosial (the head of a Dinas Sosial supervises its own handlers);
* field officer: no ticket through these rules (no queue, no ticket page);
  only the household of a visit assigned to them, while it is to be
  recorded and they still cover its kecamatan, through ``can_visit``
  (``/office/visits``);
* admin: manages accounts and rules, sees no tickets.

Evidence follows the ticket, with one exception: files of a confidential
objection (``reporter_confidential``) are not shown to village operators,
except to the operator who sent it (DESIGN.md §3: only the office may know
who reported). The reporter's contact, and which operator assisted, follow
the same rule (``can_see_reporter``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffArea, StaffUser
from portal.tickets.models import Ticket
from portal.tickets.workflow import FIELD_CHECK

#: Roles that work tickets, and so may open the back office's ticket views.
TICKET_ROLES = ("handler", "supervisor", "operator")


def _province_prefix(office: Office | None) -> str | None:
    """The code prefix a supervisor sees: ``"32."``, ``""`` for national, None otherwise."""
    if office is None:
        return None
    if office.level == "national":
        return ""
    if office.level == "province" and office.region_code:
        return office.region_code + "."
    return None


def can_see_ticket(user: StaffUser, office: Office | None, ticket: Ticket) -> bool:
    if user.role == "handler":
        return user.office_id is not None and ticket.office_id == user.office_id
    if user.role == "operator":
        return user.village_code is not None and ticket.village_code == user.village_code
    if user.role == "supervisor":
        if _supervises_own_office(office):
            return ticket.office_id == office.id
        prefix = _province_prefix(office)
        if prefix is None:
            return False
        place = db.session.get(Office, ticket.office_id)
        return place is not None and (place.region_code or "").startswith(prefix)
    return False


def district_of(village_code: str) -> str:
    """The kecamatan of a village: ``32.01.01.2001`` -> ``32.01.01``."""
    return village_code.rsplit(".", 1)[0]


def covers(officer: StaffUser, ticket: Ticket) -> bool:
    """May ``officer`` be sent to this ticket's household: an active field
    officer of the ticket's office whose kecamatan list holds its village."""
    if officer.role != "field_officer" or not officer.active:
        return False
    if officer.office_id is None or officer.office_id != ticket.office_id:
        return False
    area = db.session.get(StaffArea, (officer.id, district_of(ticket.village_code)))
    return area is not None


def can_visit(user: StaffUser, ticket: Ticket) -> bool:
    """A field officer sees a household only while its visit is assigned to
    them and not yet recorded: nothing after the record or a reassignment,
    nor once they no longer ``cover`` it (moved to another office or
    kecamatan, another role, deactivated)."""
    return (
        user.role == "field_officer"
        and user.active
        and ticket.field_officer_id == user.id
        and ticket.status == FIELD_CHECK
        and covers(user, ticket)
    )


def _supervises_own_office(office: Office | None) -> bool:
    return office is not None and office.level == "regency"


def can_see_evidence(user: StaffUser, office: Office | None, ticket: Ticket) -> bool:
    if not can_see_ticket(user, office, ticket):
        return False
    if user.role == "operator" and ticket.reporter_confidential:
        return ticket.submitted_by_staff_id == user.id
    return True


def can_see_reporter(user: StaffUser, office: Office | None, ticket: Ticket) -> bool:
    """Who reported (contact, assisting operator): as ``can_see_evidence``."""
    return can_see_evidence(user, office, ticket)


def can_see_file(user: StaffUser, office: Office | None, ticket: Ticket, evidence) -> bool:
    """One evidence file: ``can_see_evidence``, and a field visit's photos
    (``Evidence.field_visit_id``) only for the office, like the visit itself."""
    if evidence.field_visit_id is not None and user.role == "operator":
        return False
    return can_see_evidence(user, office, ticket)


def ticket_filter(user: StaffUser, office: Office | None) -> ColumnElement[bool]:
    """The same rule as ``can_see_ticket``, as a WHERE clause for lists."""
    if user.role == "handler" and user.office_id is not None:
        return Ticket.office_id == user.office_id
    if user.role == "operator" and user.village_code is not None:
        return Ticket.village_code == user.village_code
    if user.role == "supervisor":
        if _supervises_own_office(office):
            return Ticket.office_id == office.id
        prefix = _province_prefix(office)
        if prefix == "":
            return true()
        if prefix:
            offices = select(Office.id).where(Office.region_code.startswith(prefix))
            return Ticket.office_id.in_(offices)
    return false()


# Public names of the region rules above, for other modules that apply them
# to something other than tickets (the exports' offices, issue 12 §6).
def province_prefix(office: Office | None) -> str | None:
    """The region code prefix a supervisor of ``office`` sees: ``"32."`` for
    a province office, ``""`` for the national office, None otherwise."""
    return _province_prefix(office)


def supervises_own_office(office: Office | None) -> bool:
    """A supervisor of ``office`` sees that office only (a kab/kota office)."""
    return _supervises_own_office(office)
