"""``/office/visits/<reference>/record``: the field officer records the visit
on their phone (the field-check form of ``forms/office_visit.py``, through
``visits.record_visit``), they being the visiting officer.

The photos go through the residents' upload checks (``visits.checked_photos``:
all checked before any is stored; a refused photo shows the form again with
everything typed kept). Where a photo was taken is kept only when the officer
ticks the box. A random key makes a second click record nothing more. Each
showing of the form (it holds the registry's reading of the household) is an
audit row, ``visit_form_opened``. Once
recorded, the visit is no longer assigned: the officer's pages answer 404 and
the ticket waits in the field check for the case handler's decision.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forms.office_visit import visit_form
from portal.audit.log import record
from portal.db import transaction
from portal.extensions import db
from portal.tickets import evidence, sla, visits
from portal.tickets.models import FieldVisit, Ticket
from portal.tickets.workflow import Actor
from portal.web.office import auth, bp
from portal.web.office.auth import staff_required
from portal.web.office.field import ROLES, labels, visit_or_404
from portal.web.office.tickets import StaleTicket, saving
from portal.web.office.visit_labels import REFUSALS
from portal.web.office.visits import carries_photos, checked_photos, forget, form_page

RECORDED = _l("The visit is recorded. The case handler decides what happens next.")
CHANGED = _l("The ticket changed while you filled in the form. Check the visit and try again.")


def _already_recorded(reference: str, key: str | None) -> bool:
    """A second click: this officer already recorded a visit with this key."""
    if not key:
        return False
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()))
    visit = visits.by_key(ticket, key) if ticket is not None else None
    return isinstance(visit, FieldVisit) and visit.recorded_by_id == g.staff.id


def _to_list():
    return redirect(url_for("office.visits"), 303)


@bp.route("/visits/<reference>/record", methods=["GET", "POST"])
@staff_required(*ROLES)
def visit_record(reference: str):
    if request.method == "POST" and _already_recorded(reference, request.form.get("key")):
        flash(str(RECORDED))
        return _to_list()
    ticket = visit_or_404(reference)
    staff, today = g.staff, sla.local_date(auth.now())
    form = visit_form(
        visits.registry_values(ticket),
        [(str(staff.id), staff.display_name)],
        current_app.config["MAX_FILES_PER_TICKET"],
        earliest=sla.local_date(ticket.created_at),
        latest=today,
        defaults={"version": str(ticket.version), "visited_on": today.isoformat()},
    )
    form.officer.data = str(staff.id)  # the officer is the one who visited: no choice
    if request.method == "GET":
        return _page(ticket, form)
    if not form.validate_on_submit():
        return _page(ticket, form, 400)
    photos = checked_photos(form, keep_gps=bool(form.keep_gps.data))
    if photos is None:
        return _page(ticket, form, 400)
    stored = [evidence.store(p) for p in photos]
    try:
        with saving(ticket.reference):
            visits.record_visit(
                ticket,
                Actor.staff(staff.id, staff.role),
                dt.date.fromisoformat(form.visited_on.data),
                staff.id,
                form.observed(),
                form.notes.data or None,
                form.recommendation.data,
                stored,
                auth.now(),
                idempotency_key=form.key.data or None,
            )
    except StaleTicket:  # another change committed in between: nothing recorded
        forget(stored)
        form.form_errors.append(str(CHANGED))
        return _page(ticket, form, 409)
    except visits.VisitRefused as exc:
        forget(stored)
        form.form_errors.append(str(REFUSALS[exc.code]))
        return _page(ticket, form, 409 if exc.code == "not_field_check" else 400)
    except IntegrityError:
        forget(stored)
        if not _already_recorded(reference, form.key.data):
            raise
    flash(str(RECORDED))
    return _to_list()


def _page(ticket, form, status: int = 200):
    page = form_page("office/visits/record.html", ticket, form, **labels(ticket))
    # The form shows what the registry holds of the household: each showing
    # is an audit row, once the page is made (as ``visit_opened``).
    with transaction():
        record("visit_form_opened", staff_id=g.staff.id, ticket_id=ticket.id, now=auth.now())
    return page, status


carries_photos("office.visit_record")
