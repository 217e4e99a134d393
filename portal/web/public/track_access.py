"""Which requests this browser may act on, after opening one by PIN or link.

Opening a request (``/track`` with the right PIN, or ``/t/<token>``) grants
this session that request for ``TRACK_GRANT_MINUTES``: the status page at
``/track/<reference>`` and the resident's actions under it (reply, withdraw,
appeal, rate) need no PIN again until then. The grant slides: each page
under it renews it for ``TRACK_GRANT_MINUTES`` more, so it ends only after
that long without a request. The grant is the ticket id and an expiry in the
signed session cookie; a session holds ``MAX_GRANTS`` at most. Without a live
grant, the pages send the resident to ``/track`` with the ticket number
filled in, and say nothing about the request.

A POST that comes after the grant ended (a long text typed slowly) keeps
what was typed where a page registered a keeper (``keeps_typed``): the reply
and appeal pages save the text to this session's draft of the page, shown
again once the request is opened with the PIN. Only for a session that held
a grant of that request (an expired one); nothing else is read or said. The
withdraw reason and the rating comment are short and are not kept: the
resident writes them again. When a keeper kept some text it says so
(returns True), and the ``/track`` page the POST is sent to says, once,
that the text was kept (``pop_kept_notice``): a flag in the session only,
nothing in the address.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import current_app, redirect, request, session, url_for
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Ticket
from portal.tickets.references import parse_reference

SESSION_KEY = "tracked"
#: Grants kept per session: the newest win.
MAX_GRANTS = 5
#: Session flag: a POST after the grant ended kept its text (shown once on ``/track``).
KEPT_KEY = "track_kept_text"
#: ``endpoint -> keep(ticket) -> bool``: what a POST after the grant ended
#: keeps; True when it kept some text.
_KEEPERS: dict[str, Callable[[Ticket], bool]] = {}


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
            if request.method == "POST":
                _keep_typed(reference)
            return redirect(url_for("track.track", reference=parse_reference(reference) or None))
        grant(ticket)  # slides: TRACK_GRANT_MINUTES from this request
        return view(ticket, **kwargs)

    return wrapper


def keeps_typed(*endpoints: str):
    """Register ``keep(ticket) -> bool`` for ``endpoints``: called with the
    request's ticket when a POST to one comes after this session's grant of
    it ended; returns True when it kept some text."""

    def register(keep: Callable[[Ticket], bool]):
        for endpoint in endpoints:
            _KEEPERS[endpoint] = keep
        return keep

    return register


def _keep_typed(reference: str) -> None:
    keep = _KEEPERS.get(request.endpoint or "")

    canonical = parse_reference(reference)
    if keep is None or canonical is None or not session.get(SESSION_KEY):
        return
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == canonical))
    if ticket is not None and str(ticket.id) in session[SESSION_KEY] and keep(ticket):
        session[KEPT_KEY] = True


def pop_kept_notice() -> bool:
    """Whether a POST after the grant ended kept its text since ``/track``
    was last shown; True once."""
    return bool(session.pop(KEPT_KEY, False))
