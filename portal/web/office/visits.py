"""The field visit: ``/office/tickets/<reference>/visit`` records a ground
check (``portal.tickets.visits``), and the ticket page lists the visits.

The photos go through the residents' upload checks and store
(``evidence.process_upload`` and ``evidence.store``), all of them checked
before any is stored: a refused photo shows the form again with everything
typed kept and nothing stored. The form carries the ticket's version (a
visit on a ticket that changed meanwhile is refused like any other move) and
a random key, so a second click records nothing more.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forms.office_visit import visit_form
from portal.tickets import evidence, sla, visits
from portal.tickets.workflow import FIELD_CHECK, Actor, needs_field_visit
from portal.web import large_bodies
from portal.web.office import auth, bp
from portal.web.office.auth import SESSION_STAFF, staff_required
from portal.web.office.tickets import (
    StaleTicket,
    expect_version,
    saving,
    section,
    visible_ticket_or_404,
)
from portal.web.office.visit_labels import (
    PHOTO_TYPE_LABELS,
    RECOMMENDATION_LABELS,
    REFUSALS,
    VARIABLE_LABELS,
    value_label,
)
from portal.web.public.ticket_labels import EVIDENCE_ERRORS

ROLES = ("handler", "supervisor")


@bp.route("/tickets/<reference>/visit", methods=["GET", "POST"])
@staff_required(*ROLES)
def visit(reference: str):
    ticket = visible_ticket_or_404(reference)
    if request.method == "POST" and visits.by_key(ticket, request.form.get("key")):
        return _to_ticket(ticket)  # a second click: the first one recorded it
    if ticket.status != FIELD_CHECK:
        return render_template("office/visit_refused.html", ticket=ticket), 409
    staff, today = g.staff, sla.local_date(auth.now())
    form = visit_form(
        visits.registry_values(ticket),
        [(str(s.id), s.display_name) for s in visits.officers(ticket, staff.id)],
        current_app.config["MAX_FILES_PER_TICKET"],
        earliest=sla.local_date(ticket.created_at),
        latest=today,
        defaults={
            "officer": str(staff.id),
            "version": str(ticket.version),
            "visited_on": today.isoformat(),
        },
    )
    if request.method == "GET":
        return _page(ticket, form)
    expect_version(ticket, request.form.get("version"))
    if not form.validate_on_submit():
        return _page(ticket, form, 400)
    photos = checked_photos(form, keep_gps=False)
    if photos is None:
        return _page(ticket, form, 400)
    stored = [evidence.store(p) for p in photos]
    try:
        with saving(ticket.reference):
            visits.record_visit(
                ticket,
                Actor.staff(staff.id, staff.role),
                dt.date.fromisoformat(form.visited_on.data),
                int(form.officer.data),
                form.observed(),
                form.notes.data or None,
                form.recommendation.data,
                stored,
                auth.now(),
                idempotency_key=form.key.data or None,
            )
    except StaleTicket:  # another change committed in between: nothing recorded
        forget(stored)
        raise
    except visits.VisitRefused as exc:
        forget(stored)
        form.form_errors.append(str(REFUSALS[exc.code]))
        return _page(ticket, form, 409 if exc.code == "not_field_check" else 400)
    except IntegrityError:
        forget(stored)
        if visits.by_key(ticket, form.key.data) is None:
            raise
        return _to_ticket(ticket)  # the same key committed by a concurrent click
    flash(_("The field visit is recorded."))
    return _to_ticket(ticket)


def checked_photos(form, *, keep_gps: bool) -> list[evidence.ProcessedFile] | None:
    """Every chosen photo checked (none stored yet), or None with the errors
    set. ``keep_gps``: keep where each photo was taken (a field officer's choice)."""
    config = current_app.config
    processed, failed = [], False
    for upload_field, type_field in form.photo_fields():
        upload = upload_field.data
        if upload is None or not getattr(upload, "filename", ""):
            continue
        try:
            if _stream_size(upload.stream) > config["MAX_FILE_BYTES"]:
                raise evidence.EvidenceError("too_large", max_bytes=config["MAX_FILE_BYTES"])
            item = evidence.process_upload(
                upload.filename, upload.read(), doc_type=type_field.data, keep_gps=keep_gps
            )
            if item.media_type == evidence.PDF:
                raise evidence.EvidenceError("unsupported_type")
            processed.append(item)
        except evidence.EvidenceError as exc:
            upload_field.errors = [_photo_message(exc.code)]
            failed = True
    if failed:
        form.form_errors.append(_("No photo was saved. Choose the photos again."))
        return None
    return processed


def _photo_message(code: str) -> str:
    if code in ("unsupported_type", "pdf_active_content", "pdf_encrypted", "pdf_uninspectable"):
        return str(REFUSALS["bad_photo"])
    config = current_app.config
    return str(EVIDENCE_ERRORS[code]) % {
        "max_mb": config["MAX_FILE_BYTES"] // (1024 * 1024),
        "max_files": config["MAX_FILES_PER_TICKET"],
    }


def _stream_size(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def forget(stored: list[evidence.StoredFile]) -> None:
    for f in stored:
        evidence.delete_stored(f.stored_name)


def _to_ticket(ticket):
    return redirect(url_for("office.ticket", reference=ticket.reference), 303)


def form_page(template: str, ticket, form, **context) -> str:
    """A visit form's page: the handler's (``office/visit.html``) or the
    field officer's (``office/visits/record.html``), both built on
    ``office/_visit_form.html``."""
    return render_template(
        template,
        ticket=ticket,
        form=form,
        variable_labels=VARIABLE_LABELS,
        value_label=value_label,
        **context,
    )


def _page(ticket, form, status: int = 200):
    return form_page("office/visit.html", ticket, form), status


# The request body -------------------------------------------------------------------------


def carries_photos(endpoint: str) -> None:
    """A logged-in staff member's visit form at ``endpoint`` carries its
    photos (several files over ``MAX_CONTENT_LENGTH`` together)."""
    large_bodies.raise_limit(bp, (endpoint,), lambda: bool(session.get(SESSION_STAFF)))


carries_photos("office.visit")


# The ticket page's section ----------------------------------------------------------------


@section("office/ticket/_visits.html", slot="main", order=30)
def _visits_section(ticket, staff, office):
    """The recorded visits (findings, recommendation, photos), and the link
    to record one while the ticket is in the field check."""
    if staff.role not in ROLES:  # village operators do not see the findings
        return None
    recorded = visits.visits_of(ticket)
    may_record = ticket.status == FIELD_CHECK
    if not recorded and not may_record and not needs_field_visit(ticket):
        return None
    keyring = current_app.extensions["keyring"]
    photos = visits.photos_of(recorded)
    names = visits.staff_names(
        {v.officer_id for v in recorded} | {v.recorded_by_id for v in recorded}
    )
    return {
        "visits": [
            {
                "visit": v,
                "findings": visits.findings_of(v, keyring),
                "notes": visits.notes_of(v, keyring),
                "photos": photos.get(v.id, []),
                "officer": names.get(v.officer_id, "–"),
            }
            for v in recorded
        ],
        "may_record": may_record,
        "needs_visit": needs_field_visit(ticket),
        "record_url": url_for("office.visit", reference=ticket.reference),
        "variable_labels": VARIABLE_LABELS,
        "value_label": value_label,
        "recommendation_labels": RECOMMENDATION_LABELS,
        "photo_type_labels": PHOTO_TYPE_LABELS,
    }
