"""Sending a field officer (``portal.tickets.field_assign``): the section of
the ticket page with the officer the visit is assigned to and a select of
the officers who cover the ticket, and ``POST
/office/tickets/<reference>/field-officer`` to assign, reassign or take back.

The form carries the ticket's version (a form based on an older ticket is
answered like any stale form) and a random key: the keys of the last changes
are kept in the session, so a second click of the same form changes nothing
more and says the change was saved; a form asking for what is already so
(the same officer) is saved as well.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets import field_assign as assignment
from portal.tickets.workflow import FIELD_CHECK, OFFICE
from portal.web.converters import MAX_ID
from portal.web.office import auth, bp
from portal.web.office.auth import staff_required
from portal.web.office.labels import EVENT_LABELS
from portal.web.office.tickets import (
    expect_version,
    saving,
    section,
    visible_ticket_or_404,
)

EVENT_LABELS.setdefault("field_assigned", _l("Field visit assigned"))
EVENT_LABELS.setdefault("field_unassigned", _l("Field visit taken back"))

SAVED = _l("The field visit's officer is saved.")
REFUSALS = {
    "not_office": _l("Only the case handlers and supervisors who see this ticket send officers."),
    "not_field_check": _l(
        "A field officer is sent only while the ticket is in the field check. "
        "Move the ticket to the field check first."
    ),
    "not_covering": _l(
        "This field officer does not cover the ticket's village. Choose an officer "
        "of this office whose kecamatan list holds the village."
    ),
}
#: How many recent form keys the session remembers.
_KEYS_KEPT = 20
_SESSION_KEYS = "field_assign_keys"


def _officer(value: str | None) -> StaffUser | None:
    """The chosen officer; an unknown id is refused as "does not cover"."""
    if not value or value == "none":
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        abort(400)
    return db.session.get(StaffUser, int(value)) or abort(400)


def _to_ticket(ticket):
    return redirect(url_for("office.ticket", reference=ticket.reference), 303)


@bp.post("/tickets/<reference>/field-officer")
@staff_required(*sorted(OFFICE))
def field_officer(reference: str):
    ticket = visible_ticket_or_404(reference)
    key = (request.form.get("key") or "")[:64]
    done = session.get(_SESSION_KEYS, [])
    officer = None if "unassign" in request.form else _officer(request.form.get("officer"))
    wanted = officer.id if officer is not None else None
    if (key and key in done) or (ticket.field_officer_id == wanted and wanted is not None):
        flash(str(SAVED))  # a second click: the first one saved it
        return _to_ticket(ticket)
    expect_version(ticket, request.form.get("version"))
    try:
        with saving(ticket.reference):
            assignment.assign_field(ticket, officer, g.staff, now=auth.now())
    except assignment.FieldAssignRefused as refused:
        flash(str(REFUSALS[refused.code]), "error")
        return _to_ticket(ticket)
    if key:
        session[_SESSION_KEYS] = [*done, key][-_KEYS_KEPT:]
    flash(str(SAVED))
    return _to_ticket(ticket)


@section("office/visits/_assign.html", slot="aside", order=15)
def _field_officer_box(ticket, staff, office) -> dict | None:
    """While the ticket is in the field check: the officer sent, and whom to send."""
    if staff.role not in OFFICE or ticket.status != FIELD_CHECK:
        return None
    current = (
        db.session.get(StaffUser, ticket.field_officer_id) if ticket.field_officer_id else None
    )
    return {
        "reference": ticket.reference,
        "current": current,
        "assigned_at": ticket.field_assigned_at,
        "officers": [(o.id, o.display_name) for o in assignment.eligible_officers(ticket)],
        "version": ticket.version,
        "key": secrets.token_urlsafe(16),
    }
