"""A field officer's pages (issue 12 §3): ``/office/visits``, the visits
assigned to them grouped by village, and ``/office/visits/<reference>``,
one household's address, members, what the resident claims and what the
registry holds, decrypted for this officer only while the visit is assigned
to them (``permissions.can_visit``; otherwise the same 404 as for a
reference that does not exist). Every opening is an audit row
(``visit_opened``). Made for a phone: lists, no wide tables.
"""

from __future__ import annotations

from flask import abort, current_app, g, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.log import record
from portal.db import transaction
from portal.extensions import db
from portal.staff.permissions import can_visit
from portal.tickets import field_visits
from portal.tickets.models import Ticket
from portal.web.office import auth, bp, nav
from portal.web.office.auth import log_denied, staff_required
from portal.web.office.visit_labels import VARIABLE_LABELS, value_label
from portal.web.public.labels import RELATIONSHIP_LABELS
from portal.web.public.ticket_labels import KIND_TITLES, REASONS, SUBKIND_LABELS

ROLES = ("field_officer",)

nav.register("office.visits", _l("My visits"), ROLES, order=10)


def visit_or_404(reference: str) -> Ticket:
    """The ticket of a visit assigned to this officer and still to be
    recorded, or the 404 of a ticket that does not exist."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()))
    if ticket is None or not can_visit(g.staff, ticket):
        log_denied("not_visible")
        abort(404)
    return ticket


def labels(ticket: Ticket) -> dict:
    """The words for the ticket's kind, what is asked and the reasons."""
    reasons = REASONS.get((ticket.kind, ticket.subkind), {})
    return {
        "kind_title": KIND_TITLES.get(ticket.kind, ticket.kind),
        "subkind_label": SUBKIND_LABELS.get(ticket.kind, {}).get(ticket.subkind, ticket.subkind),
        "reasons": [reasons.get(c, c) for c in ticket.reason_codes.split(";") if c],
    }


@bp.get("/visits")
@staff_required(*ROLES)
def visits():
    groups = field_visits.assigned(g.staff)
    return render_template(
        "office/visits/list.html",
        groups=groups,
        kind_titles=KIND_TITLES,
        subkind_labels=SUBKIND_LABELS,
    )


@bp.get("/visits/<reference>")
@staff_required(*ROLES)
def visit_page(reference: str):
    ticket = visit_or_404(reference)
    file = field_visits.visit_file(ticket, current_app.extensions["keyring"])
    page = render_template(
        "office/visits/visit.html",
        ticket=ticket,
        file=file,
        variable_labels=VARIABLE_LABELS,
        value_label=value_label,
        relationship_labels=RELATIONSHIP_LABELS,
        **labels(ticket),
    )
    # Recorded once the page is made (as the ticket page does): a page that
    # fails to render shows nothing and records nothing.
    with transaction():
        record("visit_opened", staff_id=g.staff.id, ticket_id=ticket.id, now=auth.now())
    return page
