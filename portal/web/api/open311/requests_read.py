"""``GET requests``: the query's filters, the one query, and each row as the
specification's service request.

What a public answer holds, and what it never holds (SECURITY.md PD5): the
reference, the kind, where the request stands (``open``/``closed`` and the
resident's own words for the status), the responsible office, the dates
and the village (its name and Kemendagri code). Never the description, a
name, a contact or a NIK: those columns are not even selected, except for
the partner whose request it is, asking with its key (``own_partner_id``),
and then only on its own rows.

The filters (GeoReport v2): ``service_request_id`` (references, comma
separated; it overrides every other filter), ``service_code`` and ``status``
(``open``/``closed``; both comma separated or repeated), ``start_date`` /
``end_date`` on the submission time, at most ``MAX_RANGE`` apart. Missing
dates: the last ``MAX_RANGE`` up to now; one date alone: ``MAX_RANGE`` from
(or up to) it. A date without a zone is WIB. Newest first, at most
``MAX_ROWS``; the range walks ``ix_tickets_created`` backwards.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Row, Select, String, case, func, select, type_coerce
from werkzeug.datastructures import MultiDict

from portal.crypto import Keyring
from portal.db import is_sqlite
from portal.extensions import db
from portal.regions.models import Office, Region
from portal.tickets.models import KINDS, P_DETAILS, P_REPORTER_CONTACT, Ticket
from portal.tickets.references import parse_reference
from portal.tickets.workflow import OPEN_STATUSES, PUBLIC_LABELS, STATUSES
from portal.web.api.open311.formats import WIB, Open311Error
from portal.web.public.ticket_labels import KIND_TITLES

MAX_ROWS = 1000
MAX_RANGE = dt.timedelta(days=90)
CLOSED_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES)
#: ``…T10:00:00 07:00``: a ``+`` sent unencoded in a query string arrives as a space.
_SPACED_OFFSET = re.compile(r" (\d\d:?\d\d)$")
_EMAIL = re.compile(r"[^\s<>;,]+@[^\s<>;,]+\.[^\s<>;,]+")
_PHONE = re.compile(r"\+?\d[\d\s-]{6,}\d")


@dataclass(frozen=True)
class RequestFilter:
    #: Request references: when given, the only filter.
    references: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    #: Workflow statuses (``open``/``closed`` expanded); empty: all.
    statuses: tuple[str, ...] = ()
    #: Submission time, inclusive, in UTC.
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def parse_filter(args: MultiDict, now: dt.datetime) -> RequestFilter:
    """The filters of a ``GET requests`` query string; raises a 400
    ``Open311Error`` saying which parameter is wrong (never echoing it)."""
    ids = _list(args, "service_request_id")
    if ids:
        if len(ids) > MAX_ROWS:
            raise Open311Error(400, f"service_request_id: at most {MAX_ROWS} references.")
        references = tuple(parse_reference(i) for i in ids)
        if None in references:
            raise Open311Error(
                400,
                "service_request_id must be request references such as DT-7KQ4-M9XW, "
                "comma-separated.",
            )
        return RequestFilter(references=references)
    kinds = _list(args, "service_code")
    if any(k not in KINDS for k in kinds):
        raise Open311Error(
            400,
            "service_code must be one or more of proposal, objection, correction, comma-separated.",
        )
    wanted = set(_list(args, "status"))
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or open,closed.")
    statuses: tuple[str, ...] = ()
    if len(wanted) == 1:
        statuses = tuple(sorted(OPEN_STATUSES)) if "open" in wanted else CLOSED_STATUSES
    start, end = _moment(args, "start_date"), _moment(args, "end_date")
    if start is None and end is None:
        end = now
    try:
        if start is None:
            start = end - MAX_RANGE
        elif end is None:
            end = start + MAX_RANGE
    except OverflowError:
        raise Open311Error(400, "start_date or end_date is out of range.") from None
    if end < start:
        raise Open311Error(400, "end_date is before start_date.")
    if end - start > MAX_RANGE:
        raise Open311Error(400, "start_date and end_date may be at most 90 days apart.")
    return RequestFilter(kinds=tuple(dict.fromkeys(kinds)), statuses=statuses, start=start, end=end)


def find_requests(f: RequestFilter, own_partner_id: int | None = None) -> list[Row]:
    """The rows of the requests ``f`` selects, newest first, at most
    ``MAX_ROWS``: Core rows of only the columns an answer shows, office and
    village names joined (one statement, whatever the number of rows)."""
    return db.session.execute(requests_query(f, own_partner_id)).all()


def requests_query(f: RequestFilter, own_partner_id: int | None = None) -> Select:
    """``find_requests``' statement (``bench/open311_bench.py`` shows its plan)."""
    t = Ticket.__table__
    query = _select(own_partner_id)
    if f.references:
        query = query.where(t.c.reference.in_(f.references))
    else:
        query = query.where(t.c.created_at >= f.start, t.c.created_at <= f.end)
        if f.kinds:
            query = query.where(t.c.kind.in_(f.kinds))
        if f.statuses:
            query = query.where(t.c.status.in_(f.statuses))
    return query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(MAX_ROWS)


def find_request(reference: str, own_partner_id: int | None = None) -> Row | None:
    """One request by its reference, as ``find_requests`` gives it."""
    query = _select(own_partner_id).where(Ticket.__table__.c.reference == reference)
    return db.session.execute(query).first()


def _select(own_partner_id: int | None):
    t, office, village = Ticket.__table__, Office.__table__, Region.__table__
    sqlite = is_sqlite()
    columns = [
        t.c.reference,
        t.c.kind,
        t.c.status,
        _wib_text(t.c.created_at, sqlite).label("requested"),
        _wib_text(t.c.updated_at, sqlite).label("updated"),
        _wib_day_text(t.c.due_next, sqlite).label("expected"),
        t.c.village_code,
        office.c.name.label("office_name"),
        village.c.name.label("village_name"),
    ]
    if own_partner_id is not None:
        # The ciphertexts only of the partner's own rows: nobody else's leave the database.
        own = t.c.partner_id == own_partner_id
        columns += [
            case((own, t.c.details_enc)).label("details_enc"),
            case((own, t.c.reporter_contact_enc)).label("contact_enc"),
            case((own, True), else_=False).label("own"),
        ]
    return (
        select(*columns)
        .join(office, office.c.id == t.c.office_id)
        .join(village, village.c.code == t.c.village_code)
    )


def reference_for_token(token: str) -> str | None:
    """The reference of the request a partner's POST answered with ``token``."""
    return db.session.scalar(select(Ticket.reference).where(Ticket.partner_token == token))


class Words:
    """The words an answer uses, in the request's language, looked up once
    per answer rather than once per row."""

    def __init__(self) -> None:
        self.status_notes = {status: str(label) for status, label in PUBLIC_LABELS.items()}
        self.service_names = {kind: str(title) for kind, title in KIND_TITLES.items()}


def as_request(row: Row, words: Words, keyring: Keyring | None = None) -> dict:
    """One service request in the specification's fields. The description
    and the reporter's contact only on a partner's own row (``row.own``)."""
    reference, kind, status, created, updated, due, code, office, village = row[:9]
    item = {
        "service_request_id": reference,
        "status": "open" if status in OPEN_STATUSES else "closed",
        "status_notes": words.status_notes[status],
        "service_name": words.service_names[kind],
        "service_code": kind,
        "agency_responsible": office,
        "service_notice": None,
        "requested_datetime": created,
        "updated_datetime": updated,
        "expected_datetime": due,
        "address": village,
        "address_id": code,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if keyring is not None and row.own:
        details = keyring.decrypt(row.details_enc, P_DETAILS) if row.details_enc else ""
        contact = keyring.decrypt(row.contact_enc, P_REPORTER_CONTACT) if row.contact_enc else ""
        item["description"] = details
        item.update(contact_fields(contact))
    return item


def contact_fields(contact: str) -> dict:
    """The reporter's contact as the specification's fields: the first email
    address and the first phone number found in it. Names are not given back
    (the contract keeps them only inside the contact)."""
    email = _EMAIL.search(contact)
    phone = _PHONE.search(_EMAIL.sub(" ", contact))
    return {
        "email": email.group(0) if email else None,
        "phone": re.sub(r"[\s-]", "", phone.group(0)) if phone else None,
        "first_name": None,
        "last_name": None,
    }


def _wib_text(column, sqlite: bool):
    """A stored time as ``formats.iso`` writes it (``2026-03-16T10:00:00+07:00``),
    formatted by the database: a thousand rows carry two thousand of them,
    and Python's time-zone arithmetic on each was a third of the answer's
    time (``bench/open311_bench.py``). WIB has no daylight saving."""
    if sqlite:  # SQLite keeps UTC wall times
        return func.strftime("%Y-%m-%dT%H:%M:%S+07:00", column, "+7 hours")
    return func.to_char(func.timezone("Asia/Jakarta", column), 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"')


def _wib_day_text(column, sqlite: bool):
    """A due date as ``formats.iso`` writes a date: the start of that day in WIB."""
    if sqlite:  # stored as YYYY-MM-DD
        return type_coerce(column, String).concat("T00:00:00+07:00")
    return func.to_char(column, 'YYYY-MM-DD"T00:00:00+07:00"')


def _list(args: MultiDict, name: str) -> list[str]:
    """A parameter given comma-separated, repeated, or both; blanks dropped."""
    return [
        part.strip() for value in args.getlist(name) for part in value.split(",") if part.strip()
    ]


def _moment(args: MultiDict, name: str) -> dt.datetime | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    raw = _SPACED_OFFSET.sub(r"+\1", raw)
    try:
        value = dt.datetime.fromisoformat(raw)
        if value.tzinfo is None:
            value = value.replace(tzinfo=WIB)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise Open311Error(
            400,
            f"{name} must be an ISO 8601 date and time with its zone, "
            "e.g. 2026-03-01T00:00:00+07:00.",
        ) from None
