"""``GET /office/escalated``: the escalated open tickets of a supervisor's
region (``portal.tickets.escalated``), the most overdue first. Each links to
the ticket page, where the supervisor comments, reassigns within the
ticket's office or transfers it (the existing note, assign and move routes)."""

from __future__ import annotations

from flask import current_app, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from forms.escalated import EscalatedFilterForm
from portal.tickets import escalated, sla
from portal.tickets.labels import OFFICE_STATUS_LABELS
from portal.web.office import auth, bp, nav
from portal.web.office.auth import staff_required
from portal.web.office.queue import ticket_url
from portal.web.office.tickets import section
from portal.web.public.ticket_labels import KIND_TITLES

ROLES = ("supervisor",)

nav.register("office.escalated", _l("Escalated"), ROLES, order=30)


@bp.get("/escalated", endpoint="escalated")
@staff_required(*ROLES)
def escalated_page():
    staff, office = g.staff, g.staff_office
    form = EscalatedFilterForm(request.args)
    if not request.args.get("level"):
        form.level.data = escalated.default_level(office)
    valid = form.validate()
    today = sla.local_date(auth.now())
    page = escalated.fetch(
        staff,
        office,
        today,
        level=form.level.data if valid else None,
        page=(form.page.data or 1) if valid else 1,
    )
    args = request.args.to_dict(flat=False)
    return render_template(
        "office/escalated.html",
        form=form,
        office=office,
        page=page,
        national_after=current_app.config["ESCALATE_NATIONAL_AFTER_WORKING_DAYS"],
        status_labels=OFFICE_STATUS_LABELS,
        kind_titles=KIND_TITLES,
        ticket_url=ticket_url,
        page_url=lambda n: url_for("office.escalated", **{**args, "page": [str(n)]}),
    ), (200 if valid else 400)


@section("office/ticket/_escalation.html", slot="aside", order=5)
def escalation_box(ticket, staff, office) -> dict | None:
    """On the ticket page, for the office and its supervisors: since when
    the ticket is escalated, and to whom."""
    if not ticket.escalation_level or ticket.escalated_at is None:
        return None
    if staff.role not in ("handler", "supervisor"):
        return None
    return {"level": ticket.escalation_level, "since": ticket.escalated_at}
