"""The by-name list for the village meeting (Musdes in a desa, Muskel in a
kelurahan: *musyawarah desa/kelurahan*), issue 12 §6b: a PDF per village
of the households proposed, objected to and corrected, with the office's
recommendation, for the meeting to confirm.

The rules, stated first (``docs/exports.md``):

* **Which tickets.** The office's tickets about the village that were sent
  in the period (WIB dates, inclusive), whatever their status now, and
  every one of them still open (``workflow.OPEN_STATUSES``) whenever it was
  sent: the meeting sees what is new and what is still pending. Withdrawn
  requests and duplicates (joined with another ticket, which is listed) are
  left out.
* **What of each.** The subject's name and address, decrypted for this list
  only: for a registry household its head's name (``kepala_keluarga``) and
  the household's address, otherwise the name and address the request gave;
  the kind and subkind, the status, and the recommendation: the decision
  when decided (the latest ``decided`` event), else the latest field visit's
  recommendation, else "under review".
* **Never the reporter.** Nothing about who sent a request is read: not the
  contact, not the assisting operator, not the request's free text (which
  may say who wrote it). A confidential objection (``reporter_confidential``)
  is listed by its subject household like any other.

Rendering reuses the receipt's safe fetcher, font configuration and lock
(``portal.tickets.receipt``); labels come from the caller, so this module
holds codes only.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import or_, select
from weasyprint import CSS, HTML, Document

from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import Region
from portal.registry.identity import open_identity
from portal.registry.models import Household, Person
from portal.registry.validation import P_ADDRESS
from portal.tickets import receipt
from portal.tickets.exports import Period
from portal.tickets.models import (
    P_SUBJECT_ADDRESS,
    P_SUBJECT_NAME,
    FieldVisit,
    Ticket,
    TicketEvent,
)
from portal.tickets.sla import local_date
from portal.tickets.workflow import DUPLICATE, OPEN_STATUSES, WITHDRAWN

TEMPLATE = "pdf/musdes.html"
STYLESHEET = Path("css") / "musdes.css"
#: The kinds in the order the meeting takes them.
KIND_ORDER = ("proposal", "objection", "correction")
UNDER_REVIEW = "under_review"


@dataclass(frozen=True)
class Recommendation:
    """``source``: ``decision`` (code accepted/rejected), ``visit`` (a field
    visit's recommendation code) or ``none`` (code ``under_review``)."""

    source: str
    code: str


@dataclass(frozen=True)
class MusdesRow:
    reference: str
    name: str
    address: str
    kind: str
    subkind: str
    status: str
    recommendation: Recommendation
    sent_on: dt.date


def village_in_office(village_code: str, office_region: str | None) -> Region | None:
    """The village (a level-4 region) if it lies in the office's kab/kota."""
    if not office_region or not village_code.startswith(office_region + "."):
        return None
    region = db.session.get(Region, village_code)
    return region if region is not None and region.level == 4 else None


def village_path(village: Region) -> str:
    """``Desa X, Kecamatan Y``: the village and its kecamatan with their kinds
    (desa or kelurahan; kecamatan or distrik), as the meeting names them."""
    district = db.session.get(Region, village.parent_code) if village.parent_code else None
    return ", ".join(
        f"{r.kind.replace('_', ' ').title()} {r.name}" for r in (village, district) if r is not None
    )


def musdes_rows(office_id: int, village_code: str, period: Period, keyring: Keyring):
    """The list, in meeting order: by kind, then by date sent."""
    first, after = period.utc_bounds
    tickets = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.office_id == office_id,
            Ticket.village_code == village_code,
            Ticket.status.not_in((WITHDRAWN, DUPLICATE)),
            or_(
                Ticket.status.in_(OPEN_STATUSES),
                (Ticket.created_at >= first) & (Ticket.created_at < after),
            ),
        )
        .order_by(Ticket.created_at, Ticket.id)
    ).all()
    ids = [t.id for t in tickets]
    decisions = _latest(TicketEvent, TicketEvent.to_status, ids, TicketEvent.kind == "decided")
    visits = _latest(FieldVisit, FieldVisit.recommendation, ids)
    subjects = _households({t.household_id for t in tickets if t.household_id}, keyring)
    rows = []
    for t in tickets:
        if t.household_id in subjects:
            name, address = subjects[t.household_id]
        else:
            name = keyring.decrypt(t.subject_name_enc, P_SUBJECT_NAME) if t.subject_name_enc else ""
            address = (
                keyring.decrypt(t.subject_address_enc, P_SUBJECT_ADDRESS)
                if t.subject_address_enc
                else ""
            )
        rows.append(
            MusdesRow(
                reference=t.reference,
                name=name,
                address=address,
                kind=t.kind,
                subkind=t.subkind,
                status=t.status,
                recommendation=recommendation(t.status, decisions.get(t.id), visits.get(t.id)),
                sent_on=local_date(t.created_at),
            )
        )
    rows.sort(key=lambda r: KIND_ORDER.index(r.kind))  # stable: date order kept within a kind
    return rows


def recommendation(status: str, decision: str | None, visit: str | None) -> Recommendation:
    """The decision when the ticket rests on one, else the latest field visit's
    recommendation, else under review (an appeal reopens a decided ticket)."""
    if status not in OPEN_STATUSES and decision is not None:
        return Recommendation("decision", decision)
    if visit is not None:
        return Recommendation("visit", visit)
    return Recommendation("none", UNDER_REVIEW)


def _latest(model, column, ticket_ids: list[int], *where) -> dict[int, str]:
    """``column`` of the newest ``model`` row per ticket (by id)."""
    if not ticket_ids:
        return {}
    found: dict[int, str] = {}
    rows = db.session.execute(
        select(model.ticket_id, column)
        .where(model.ticket_id.in_(ticket_ids), *where)
        .order_by(model.id)
    )
    for ticket_id, value in rows:
        found[ticket_id] = value  # later rows overwrite earlier ones
    return found


def _households(ids: set[int], keyring: Keyring) -> dict[int, tuple[str, str]]:
    """Household id -> (head's name, address), decrypted."""
    if not ids:
        return {}
    found = {}
    for household_id, address_enc in db.session.execute(
        select(Household.id, Household.address_enc).where(Household.id.in_(ids))
    ):
        found[household_id] = ["", keyring.decrypt(address_enc, P_ADDRESS)]
    heads = db.session.execute(
        select(Person.household_id, Person.identity_enc)
        .where(Person.household_id.in_(ids), Person.relationship == "kepala_keluarga")
        .order_by(Person.id.desc())  # the lowest id is written last and wins
    )
    for household_id, identity_enc in heads:
        found[household_id][0] = open_identity(keyring, identity_enc).full_name
    return {k: (name, address) for k, (name, address) in found.items()}


# Rendering -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _stylesheet(static_root: Path) -> CSS:
    return CSS(
        filename=str(static_root / STYLESHEET),
        font_config=receipt.font_config(),
        url_fetcher=receipt.StaticOnlyFetcher(static_root),
    )


def render_musdes_document(context: dict) -> Document:
    """Lay the list out (tests read its text). ``context`` is the template's;
    render inside the page's ``force_locale``."""
    static_root = Path(current_app.static_folder or "").resolve(strict=True)
    html = HTML(
        string=render_template(TEMPLATE, **context),
        base_url=str(static_root) + os.sep,
        url_fetcher=receipt.StaticOnlyFetcher(static_root),
    )
    with receipt.render_lock():
        return html.render(
            font_config=receipt.font_config(), stylesheets=[_stylesheet(static_root)]
        )


def render_musdes(context: dict) -> bytes:
    document = render_musdes_document(context)
    with receipt.render_lock():
        return document.write_pdf(pdf_tags=True)


def musdes_filename(village_code: str, period: Period) -> str:
    return f"musdes-{village_code}-{period.start.isoformat()}-{period.end.isoformat()}.pdf"


def musdes_audit_detail(village_code: str, period: Period) -> str:
    """The ``exported`` audit row's detail: what left the office,
    ``musdes:<village code>:<from>..<to>`` (43 characters for a 13-character
    village code; ``audit.log.DETAIL`` allows 64)."""
    return f"musdes:{village_code}:{period.start.isoformat()}..{period.end.isoformat()}"
