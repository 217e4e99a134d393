"""Which requests this browser may act on, after opening one by PIN or link.

Opening a request (``/track`` with the right PIN, or ``/t/<token>``) grants
this session that request for ``TRACK_GRANT_MINUTES``: the status page at
``/track/<reference>`` and the resident's actions under it (reply, withdraw,
appeal, rate) need no PIN again until then. The grant is the ticket id and an
expiry in the signed session cookie; a session holds a few at most. Without
a live grant, the pages send the resident to ``/track`` with the ticket
number filled in, and say nothing about the request.
"""

from __future__ import annotations

import functools
import time

from flask import current_app, redirect, session, url_for
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Ticket
from portal.tickets.references import parse_reference

SESSION_KEY = "tracked"
#: Grants kept per session: the newest win.
MAX_GRANTS = 5


def grant(ticket: Ticket) -> None:
    """Let this session act on ``ticket`` for ``TRACK_GRANT_MINUTES``."""
    now = int(time.time())
    until = now + 60 * int(current_app.config["TRACK_GRANT_MINUTES"])
    live = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if v > now}
    live[str(ticket.id)] = until
    newest = sorted(live.items(), key=lambda item: item[1])[-MAX_GRANTS:]
    session[SESSION_KEY] = dict(newest)


def is_granted(ticket: Ticket) -> bool:
    until = (session.get(SESSION_KEY) or {}).get(str(ticket.id))
    return isinstance(until, int) and until > time.time()


def granted_ticket(reference: str) -> Ticket | None:
    """The ticket ``reference`` names, if this session may act on it; else None."""
    canonical = parse_reference(reference)
    if canonical is None or not session.get(SESSION_KEY):
        return None
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == canonical))
    if ticket is None or not is_granted(ticket):
        return None
    return ticket


def resident_ticket(view):
    """A view of ``/track/<reference>/…`` called as ``view(ticket, **kwargs)``
    with the granted ticket; without a grant, a redirect to ``/track``."""

    @functools.wraps(view)
    def wrapper(reference: str, **kwargs):
        ticket = granted_ticket(reference)
        if ticket is None:
            return redirect(url_for("track.track", reference=parse_reference(reference) or None))
        return view(ticket, **kwargs)

    return wrapper
