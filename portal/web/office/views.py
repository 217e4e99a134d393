"""Back-office evidence downloads (SECURITY.md UP7). The landing page is the
queue (``queue.py``)."""

from __future__ import annotations

import io
import logging

from flask import abort, g, make_response, send_file
from flask_babel import lazy_gettext as _l

from portal.audit.log import record
from portal.db import transaction
from portal.extensions import db
from portal.staff.permissions import TICKET_ROLES, can_see_file
from portal.tickets import evidence
from portal.tickets.models import Evidence, Ticket
from portal.web.office import bp
from portal.web.office.auth import staff_required

log = logging.getLogger("portal.office")
#: A downloaded file is never a page: no scripts, no plugins, no same-origin access.
EVIDENCE_CSP = "sandbox; default-src 'none'"
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "handler": _l("Case handler (Dinas Sosial)"),
    "operator": _l("Village operator"),
    "field_officer": _l("Field officer"),
}


@bp.get("/evidence/<int:evidence_id>")
@staff_required(*TICKET_ROLES)
def evidence_file(evidence_id: int):
    """One evidence file, as an attachment, to staff whose region it is in;
    anyone else gets the same 404 as for a file that does not exist."""
    row = db.session.get(Evidence, evidence_id)
    ticket = db.session.get(Ticket, row.ticket_id) if row is not None else None
    if ticket is None or not can_see_file(g.staff, g.staff_office, ticket, row):
        abort(404)
    try:
        data = evidence.read_stored(row.stored_name)
    except evidence.EvidenceNotFound:
        abort(404)
    response = make_response(
        send_file(
            io.BytesIO(data),
            mimetype=row.media_type,
            as_attachment=True,
            download_name=f"{ticket.reference}-{row.id}{evidence.EXTENSIONS[row.media_type][0]}",
            conditional=False,
            etag=False,
        )
    )
    response.headers["Content-Security-Policy"] = EVIDENCE_CSP  # no-store: the blueprint's
    response.headers["X-Content-Type-Options"] = "nosniff"
    staff_id, evidence_id = g.staff.id, row.id
    with transaction():  # SECURITY.md LG3; the file is not sent if this fails
        record(
            "evidence_opened",
            staff_id=staff_id,
            ticket_id=ticket.id,
            evidence_id=evidence_id,
            office_id=ticket.office_id,
        )
    log.info(
        "evidence opened",
        extra={
            "event": {"event": "evidence_opened", "staff_id": staff_id, "evidence_id": evidence_id}
        },
    )
    return response
