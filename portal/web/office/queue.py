"""``GET /office/``: the queue (``portal.tickets.queue``), filtered by query
parameters so a filtered queue can be bookmarked; ``q`` jumps to a ticket."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from forms.queue import BulkAssignForm, QueueFilterForm
from portal.tickets import assign, queue, sla
from portal.tickets.labels import OFFICE_STATUS_LABELS
from portal.tickets.references import parse_reference
from portal.web.office import auth, bp, nav
from portal.web.office.auth import staff_required
from portal.web.office.views import ROLE_LABELS
from portal.web.public.ticket_labels import KIND_TITLES

NOT_FOUND = _l("No ticket you can see has the number %(reference)s.")
#: What was typed is not repeated: it may be a NIK or a name (it would sit in the session cookie).
NOT_A_REFERENCE = _l("That is not a ticket number. A ticket number looks like DT-7KQ4-M9XW.")


def ticket_url(reference: str) -> str:
    """The ticket page (``office.ticket``)."""
    return url_for("office.ticket", reference=reference)


nav.register("office.home", _l("Queue"), ("handler", "supervisor", "operator"), order=10)


@bp.get("/", endpoint="home")
@staff_required()
def queue_page():
    staff, office = g.staff, g.staff_office
    if staff.role == "field_officer":  # no queue: their visits (portal/web/office/field.py)
        return redirect(url_for("office.visits"), 303)
    form = QueueFilterForm(request.args)
    team = assign.colleagues(staff.office_id) if staff.role in assign.WORKERS else []
    form.assignee.choices = [
        ("", _l("Anyone")),
        ("me", _l("Me")),
        ("none", _l("Nobody")),
        *((str(i), name) for i, name in team if i != staff.id),
    ]
    valid = form.validate()
    if valid and form.q.data:
        reference = parse_reference(form.q.data)
        found = reference and queue.find_visible(staff, office, reference)
        if found:
            return redirect(ticket_url(found), 303)
        if reference:  # only a well-formed ticket number is echoed back
            flash(str(NOT_FOUND) % {"reference": reference})
        else:
            flash(str(NOT_A_REFERENCE))
    today = sla.local_date(auth.now())
    counts = queue.counts(staff, office, today)
    page = None
    if valid:
        page = queue.fetch_page(staff, office, form.filters(), today, form.page.data or 1)
    bulk = BulkAssignForm()
    bulk.assignee.choices = [("none", _l("Nobody (unassign)")), *((str(i), n) for i, n in team)]
    args = request.args.to_dict(flat=False)
    return render_template(
        "office/queue.html",
        staff=staff,
        office=office,
        role_labels=ROLE_LABELS,
        form=form,
        bulk=bulk,
        counts=counts,
        page=page,
        today=today,
        badge=queue.badge,
        may_assign=bool(team),
        status_labels=OFFICE_STATUS_LABELS,
        kind_titles=KIND_TITLES,
        ticket_url=ticket_url,
        page_url=lambda n: url_for("office.home", **{**args, "page": [str(n)]}),
        back=request.full_path.rstrip("?"),
    )
