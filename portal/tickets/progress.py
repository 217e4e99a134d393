"""Where a request stands against its deadlines, as the resident is told it
on the tracking page (issue 11 §1).

The date shown is ``Ticket.due_next``: the one deadline the office works to
now (``workflow.next_due``). It is *late* once at least one working day has
passed after it (``sla.working_days_between``): a deadline on a Friday is not
"0 working days late" on the Saturday, it is 1 working day late on Monday.
While the office waits for the resident (``needs_info``) the clock is paused
and there is no date to show; after a decision neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.workflow import NEEDS_INFO, SUBMITTED, TRANSFERRED

#: What the office has to do by the date (``Due.what``).
TRIAGE, RESPONSE, VERIFICATION, DECISION = "triage", "response", "verification", "decision"


@dataclass(frozen=True)
class Due:
    #: The deadline, or None while paused or once decided.
    date: dt.date | None
    #: ``TRIAGE``, ``RESPONSE``, ``VERIFICATION`` or ``DECISION``; None without a date.
    what: str | None
    #: Working days past ``date`` (0 when not late).
    late_working_days: int
    #: True while the office waits for the resident (the clock is stopped).
    paused: bool


def current_due(ticket: Ticket, today: dt.date) -> Due:
    """The deadline the office works to on ``today`` (a WIB date), and how late it is."""
    if ticket.status == NEEDS_INFO:
        return Due(None, None, 0, paused=True)
    due = ticket.due_next
    if due is None:
        return Due(None, None, 0, paused=False)
    late = max(0, sla.working_days_between(due, today)) if today > due else 0
    return Due(due, _what_is_due(ticket, due), late, paused=False)


def _what_is_due(ticket: Ticket, due: dt.date) -> str:
    """Which deadline ``due`` is; when two fall on one day, the earlier step."""
    if ticket.status in (SUBMITTED, TRANSFERRED):
        return TRIAGE
    if ticket.responded_at is None and due == ticket.due_response:
        return RESPONSE
    if due == ticket.due_verification:
        return VERIFICATION
    return DECISION
