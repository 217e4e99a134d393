"""What the office calls each status: more precise than the resident's
``workflow.PUBLIC_LABELS`` (the office needs to tell triage from review,
forwarded from accepted). One place, for the queue, its filters and the
ticket page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.tickets import workflow as w

OFFICE_STATUS_LABELS = {
    w.SUBMITTED: _l("New, to triage"),
    w.IN_REVIEW: _l("In review"),
    w.NEEDS_INFO: _l("Waiting for the resident"),
    w.FIELD_CHECK: _l("Field check"),
    w.VERIFIED: _l("Verified, to decide"),
    w.ACCEPTED: _l("Accepted"),
    w.REJECTED: _l("Rejected"),
    w.FORWARDED: _l("Forwarded"),
    w.CLOSED: _l("Closed"),
    w.TRANSFERRED: _l("Transferred in, to triage"),
    w.DUPLICATE: _l("Duplicate"),
    w.WITHDRAWN: _l("Withdrawn"),
}


def office_label(status: str) -> str:
    return str(OFFICE_STATUS_LABELS[status])
