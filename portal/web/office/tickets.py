"""What every page about one ticket shares: finding it for this account, the
optimistic version check, and the sections other modules add to its page.

* ``visible_ticket_or_404(reference)``: the ticket, or the same 404 as for a
  reference that does not exist (another office's ticket is not revealed).
* ``expect_version(ticket, version)``: every form on the ticket page carries
  the ``Ticket.version`` it was shown with; a form based on an older version
  raises ``StaleTicket``, which the blueprint answers by showing the ticket
  again with "this ticket changed since you opened it" (never a silent overwrite).
* ``saving(reference)``: ``with transaction():`` for a change to a ticket; a
  concurrent change that committed first (``StaleDataError``) becomes
  ``StaleTicket``, answered like a stale form instead of a 500.
* ``section(template, slot, order)``: registers a function that gives a
  section of the ticket page its context (``ctx`` in its template), e.g. the
  assignment box or the move forms. The ticket page renders them in order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import abort, flash, g, redirect, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.db import transaction
from portal.extensions import db
from portal.staff.permissions import can_see_ticket
from portal.tickets.models import Ticket
from portal.web.office import bp
from portal.web.office.auth import log_denied

STALE = _l(
    "This ticket changed since you opened it. Here is how it stands now: check it and try again."
)


class StaleTicket(Exception):
    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def visible_ticket_or_404(reference: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()))
    if ticket is None or not can_see_ticket(g.staff, g.staff_office, ticket):
        log_denied("not_visible")
        abort(404)
    return ticket


@contextlib.contextmanager
def saving(reference: str) -> Iterator[None]:
    """``transaction()`` for a change to the ticket ``reference``: another
    change committed in between (the version check at flush) raises
    ``StaleTicket`` instead of a server error."""
    try:
        with transaction():
            yield
    except StaleDataError:
        raise StaleTicket(reference) from None


def expect_version(ticket: Ticket, version: object) -> None:
    """Raise ``StaleTicket`` unless ``version`` (from the form) is the ticket's current one."""
    if str(version) != str(ticket.version):
        raise StaleTicket(ticket.reference)


@bp.errorhandler(StaleTicket)
def _stale(error: StaleTicket):
    flash(str(STALE), "error")
    return redirect(url_for("office.ticket", reference=error.reference), 303)


@dataclass(frozen=True)
class Section:
    template: str
    #: ``main`` (beside the request) or ``aside`` (the actions column).
    slot: str
    order: int
    context: Callable[..., dict | None]


SECTIONS: list[Section] = []


def section(template: str, slot: str = "aside", order: int = 50):
    """Register ``fn(ticket, staff, office) -> dict | None`` as a section of
    the ticket page; None leaves the section out (e.g. no move allowed)."""

    def register(fn: Callable[..., dict | None]):
        SECTIONS.append(Section(template, slot, order, fn))
        SECTIONS.sort(key=lambda s: s.order)
        return fn

    return register


def sections_for(ticket: Ticket, staff, office) -> dict[str, list[tuple[str, dict]]]:
    """``{slot: [(template, ctx), …]}`` for the ticket page."""
    out: dict[str, list[tuple[str, dict]]] = {"main": [], "aside": []}
    for s in SECTIONS:
        ctx = s.context(ticket, staff, office)
        if ctx is not None:
            out[s.slot].append((s.template, ctx))
    return out
