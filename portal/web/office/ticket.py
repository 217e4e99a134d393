"""The ticket page (``office.ticket``), its internal notes and evidence thumbnails.

Every opening of the page and of a thumbnail is written to the audit log
(``ticket_opened``, ``evidence_opened``); so is every note (``note``).
Other modules add boxes to the page with ``tickets.section`` (the assign
box, the move forms); they are rendered in the "main" and "aside" slots.
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import abort, flash, g, make_response, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from forms.office_note import NoteForm
from portal.audit.log import record
from portal.db import keyring, transaction
from portal.extensions import db
from portal.registry.models import CONDITION_COLUMNS
from portal.staff.permissions import (
    TICKET_ROLES,
    can_see_evidence,
    can_see_file,
    can_see_reporter,
)
from portal.tickets import casefile, evidence, sla
from portal.tickets.models import Evidence, Ticket
from portal.tickets.workflow import OFFICE, Actor, InvalidTransition, add_note
from portal.web.office import auth, bp
from portal.web.office.auth import staff_required
from portal.web.office.labels import (
    DEADLINE_LABELS,
    channel_label,
    delivery_reason,
    event_label,
    message_label,
    status_label,
)
from portal.web.office.tickets import (
    expect_version,
    saving,
    sections_for,
    visible_ticket_or_404,
)
from portal.web.office.views import EVIDENCE_CSP
from portal.web.office.visit_labels import VARIABLE_LABELS, value_label
from portal.web.public import evidence_quality
from portal.web.public.labels import PROGRAM_NAMES, RELATIONSHIP_LABELS
from portal.web.public.ticket_labels import (
    CONSENT_METHOD_LABELS,
    KIND_TITLES,
    OFFICE_DOC_TYPE_LABELS,
    REASONS,
    SUBKIND_LABELS,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
NOTE_SAVED = _l("Your internal note was added.")


def local_time(moment: dt.datetime) -> str:
    """A stored moment as Jakarta time, in the page's language."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    shown = format_datetime(moment, "medium", tzinfo=JAKARTA, locale=str(get_locale()))
    return f"{shown} WIB"


@bp.get("/tickets/<reference>")
@staff_required(*TICKET_ROLES)
def ticket(reference: str):
    return _page(visible_ticket_or_404(reference), NoteForm())


@bp.post("/tickets/<reference>/note")
@staff_required("handler", "supervisor")
def ticket_note(reference: str):
    ticket = visible_ticket_or_404(reference)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(ticket, form, status=400)
    expect_version(ticket, form.version.data)
    now = auth.now()
    try:
        with saving(ticket.reference):  # a concurrent change: StaleTicket
            add_note(ticket, Actor.staff(g.staff.id, g.staff.role), form.note.data, now=now)
            record("note", staff_id=g.staff.id, ticket_id=ticket.id, now=now)
    except InvalidTransition:  # the actor or the text: both checked above
        abort(400)
    flash(str(NOTE_SAVED))
    return redirect(url_for("office.ticket", reference=ticket.reference), 303)


def _page(ticket: Ticket, form: NoteForm, status: int = 200):
    staff, office = g.staff, g.staff_office
    now = auth.now()
    case = casefile.load(
        ticket,
        keyring(),
        show_reporter=can_see_reporter(staff, office, ticket),
        today=sla.local_date(now),
        show_internal=staff.role in OFFICE,
    )
    form.version.data = str(ticket.version)
    reasons = REASONS.get((ticket.kind, ticket.subkind), {})
    page = render_template(
        "office/ticket.html",
        case=case,
        ticket=ticket,
        form=form,
        may_note=staff.role in OFFICE,
        show_internal=staff.role in OFFICE,
        show_files=can_see_evidence(staff, office, ticket),
        sections=sections_for(ticket, staff, office),
        kind_title=KIND_TITLES.get(ticket.kind, ticket.kind),
        subkind_label=SUBKIND_LABELS.get(ticket.kind, {}).get(ticket.subkind, ticket.subkind),
        reasons=[reasons.get(code, code) for code in ticket.reason_codes.split(";") if code],
        doc_type_labels=OFFICE_DOC_TYPE_LABELS,
        quality_reasons=evidence_quality.reasons_text,
        consent_method_labels=CONSENT_METHOD_LABELS,
        program_names=PROGRAM_NAMES,
        relationship_labels=RELATIONSHIP_LABELS,
        condition_labels=VARIABLE_LABELS,
        value_label=value_label,
        condition_columns=CONDITION_COLUMNS,
        deadline_labels=DEADLINE_LABELS,
        status_label=status_label,
        event_label=event_label,
        message_label=message_label,
        channel_label=channel_label,
        delivery_reason=delivery_reason,
        local_time=local_time,
    )
    # Recorded once the page is made, before it leaves: committing first
    # would expire the ticket and the account, read again while rendering.
    # A page that fails to render shows nothing and records nothing.
    with transaction():
        record("ticket_opened", staff_id=staff.id, ticket_id=ticket.id, now=now)
    return page, status


@bp.get("/evidence/<int:evidence_id>/thumb")
@staff_required(*TICKET_ROLES)
def evidence_thumb(evidence_id: int):
    """An image's small WebP, inline, to the same staff as the file itself
    (``office.evidence_file``) and with the same safe headers."""
    row = db.session.get(Evidence, evidence_id)
    ticket = db.session.get(Ticket, row.ticket_id) if row is not None else None
    if ticket is None or not can_see_file(g.staff, g.staff_office, ticket, row):
        abort(404)
    if not row.thumb_name:
        abort(404)
    try:
        data = evidence.read_stored(row.thumb_name)
    except evidence.EvidenceNotFound:
        abort(404)
    with transaction():
        record(
            "evidence_opened",
            staff_id=g.staff.id,
            ticket_id=ticket.id,
            evidence_id=row.id,
            detail="thumb",
            now=auth.now(),
        )
    response = make_response(
        send_file(io.BytesIO(data), mimetype="image/webp", conditional=False, etag=False)
    )
    response.headers["Content-Security-Policy"] = EVIDENCE_CSP  # no-store: the blueprint's
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
