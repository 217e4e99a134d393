"""The target ticket of ``office_data.py``: one ticket under review in the big
office, with 20 events (notes encrypted like real ones) and 5 evidence files
(tiny real pictures, checked and stored like a resident's uploads)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import evidence
from portal.tickets.demo_content import picture
from portal.tickets.models import P_EVENT_NOTE, Evidence, Ticket, TicketEvent

EVENTS = 20
FILES = 5
#: (kind, from, to, public, note) after the submission.
HISTORY = [
    ("triaged", "submitted", "in_review", True, None),
    ("note", "in_review", "in_review", False, "Berkas diterima, mulai diperiksa."),
    ("info_requested", "in_review", "needs_info", True, "Mohon kirim foto KK terbaru."),
    ("evidence_added", "needs_info", "needs_info", True, None),
    ("info_received", "needs_info", "in_review", True, "Sudah saya kirim."),
    ("note", "in_review", "in_review", False, "KK sesuai, perlu cek rumah."),
]


def make_target(app, handlers: dict[int, list[int]]) -> dict:
    ring = app.extensions["keyring"]
    office_id = db.session.scalar(select(Office.id).where(Office.code == "dinsos-32.01"))
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.office_id == office_id, Ticket.status == "in_review")
        .order_by(Ticket.id)
        .limit(1)
    )
    assignee = handlers[office_id][0]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(days=12)
    with transaction():
        ticket.assignee_id = assignee
        db.session.execute(delete(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
        db.session.execute(delete(Evidence).where(Evidence.ticket_id == ticket.id))
        events = [TicketEvent(ticket_id=ticket.id, at=start, actor="resident", kind="submitted",
                              from_status=None, to_status="submitted", public=True)]  # fmt: skip
        i = 0
        while len(events) < EVENTS:
            kind, before, after, public, note = HISTORY[i % len(HISTORY)]
            i += 1
            actor = (
                "resident" if kind in ("evidence_added", "info_received") else f"staff:{assignee}"
            )
            events.append(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=start + dt.timedelta(hours=9 * i),
                    actor=actor,
                    kind=kind,
                    from_status=before,
                    to_status=after,
                    public=public,
                    note_enc=ring.encrypt(note, P_EVENT_NOTE) if note else None,
                )
            )
        db.session.add_all(events)
        for k in range(FILES):
            doc_type = ("kk", "ktp", "house_front", "house_inside", "village_letter")[k]
            name, data = picture(doc_type, f"bench-{k + 1}", png=k % 2 == 1)
            stored = evidence.store(
                evidence.process_upload(name, data, doc_type=doc_type, keep_gps=False)
            )
            db.session.add(
                Evidence(
                    ticket_id=ticket.id,
                    doc_type=doc_type,
                    media_type=stored.media_type,
                    stored_name=stored.stored_name,
                    sha256=stored.sha256,
                    size_bytes=stored.size,
                    created_at=start + dt.timedelta(hours=2 + k),
                )
            )
    office_tickets = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.office_id == office_id)
    )
    return {
        "reference": ticket.reference,
        "office_tickets": office_tickets,
        "assignee_id": assignee,
    }
