"""Claiming and assigning tickets (``portal.tickets.assign``): claim-next and
bulk assignment from the queue, and the assignment box of the ticket page."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from forms.queue import BulkAssignForm
from portal.db import transaction
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.staff.permissions import ticket_filter
from portal.tickets import assign
from portal.tickets.models import Ticket
from portal.web.converters import MAX_ID
from portal.web.office import auth, bp
from portal.web.office.auth import staff_required
from portal.web.office.queue import ticket_url
from portal.web.office.tickets import StaleTicket, expect_version, section, visible_ticket_or_404

NONE_LEFT = _l("There is no unassigned open ticket left in your office's queue.")
ASSIGNED = _l("Assignment saved.")
CHANGED_MEANWHILE = _l(
    "These tickets changed after the queue was shown and were left as they are: "
    "%(references)s. Check them and try again."
)


@bp.post("/claim-next")
@staff_required(*assign.WORKERS)
def claim_next():
    with transaction():
        ticket_id = assign.claim_next(g.staff, now=auth.now())
        reference = db.session.get(Ticket, ticket_id).reference if ticket_id else None
    if reference is None:
        flash(str(NONE_LEFT))
        return redirect(url_for("office.home"), 303)
    return redirect(ticket_url(reference), 303)


def _target(value: str | None) -> StaffUser | None:
    """The chosen colleague, None for "nobody"; an unknown id is refused later
    as not of this office (no account is revealed)."""
    if not value or value == "none":
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        abort(400)
    return db.session.get(StaffUser, int(value)) or abort(400)


@bp.post("/tickets/<reference>/assign")
@staff_required(*assign.WORKERS)
def assign_ticket(reference: str):
    ticket = visible_ticket_or_404(reference)
    expect_version(ticket, request.form.get("version"))
    target = None if "unassign" in request.form else _target(request.form.get("assignee"))
    try:
        with transaction():
            assign.assign(ticket, target, g.staff, now=auth.now())
    except StaleDataError as changed:
        raise StaleTicket(ticket.reference) from changed
    except assign.AssignRefused as refused:
        flash(str(refused.message), "error")
    else:
        flash(str(ASSIGNED))
    return redirect(ticket_url(ticket.reference), 303)


@bp.post("/assign")
@staff_required(*assign.WORKERS)
def bulk_assign():
    form = BulkAssignForm()
    back = _safe_back(form.back.data)
    if not form.validate():
        for errors in form.errors.values():
            flash(str(errors[0]), "error")
        return redirect(back, 303)
    target = None if "unassign" in request.form else _target(form.assignee.data)
    versions = _selected(form.ticket.data)
    references = sorted(versions)
    visible = select(Ticket).where(
        Ticket.reference.in_(references), ticket_filter(g.staff, g.staff_office)
    )
    changed: list[str] = []
    try:
        with transaction():
            tickets = assign.lock_in_order(visible)
            if len(tickets) != len(references):
                abort(404)
            changed = assign.assign_many(tickets, versions, target, g.staff, now=auth.now())
    except assign.AssignRefused as refused:
        flash(str(refused.message), "error")
        return redirect(back, 303)
    except StaleDataError:
        flash(str(CHANGED_MEANWHILE % {"references": ", ".join(references)}), "error")
        return redirect(back, 303)
    if changed:
        flash(str(CHANGED_MEANWHILE % {"references": ", ".join(changed)}), "error")
    if len(changed) < len(references):
        flash(str(ASSIGNED))
    return redirect(back, 303)


def _selected(values: list[str]) -> dict[str, int]:
    """``{reference: version}`` from the checkboxes' ``REFERENCE:VERSION`` values."""
    selected = {}
    for value in values:
        reference, _, version = value.partition(":")
        if not version.isdigit():
            abort(400)
        selected[reference.upper()] = int(version)
    return selected


def _safe_back(value: str | None) -> str:
    """Back to the queue as it was filtered: a path of this blueprint only."""
    home = url_for("office.home")
    if value and value.startswith(home) and "//" not in value and "\\" not in value:
        return value
    return home


@section("office/ticket/_assign.html", slot="aside", order=10)
def assignment_box(ticket: Ticket, staff: StaffUser, office) -> dict | None:
    if staff.role not in assign.WORKERS:
        return None
    current = db.session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
    return {
        "reference": ticket.reference,
        "assignee": current.display_name if current else None,
        "assignee_id": ticket.assignee_id,
        "colleagues": assign.colleagues(ticket.office_id),
        "version": ticket.version,
        "me": staff.id,
    }
