"""The resident's rating of how their request was handled (issue 11 §4).

The rule: a ticket may be rated **once** (``ratings.ticket_id`` is unique),
**after a decision** — its status is ``accepted``, ``rejected`` or
``forwarded`` — and **within the appeal window**, up to and including
``Ticket.appeal_until`` (a WIB date, 10 working days after the decision).
A closed ticket cannot be rated: it is closed only once that window has
passed (``workflow``: closing waits for it), so "closed after a decision"
is always outside the window. During an appeal (back in review) there is
no decision to rate until the new one, which opens a new window.

The comment is encrypted for its ticket (``rating_comment_purpose``); ``office_id`` is the
ticket's office when rated, for the office's statistics. Ratings are shown
to the office and counted, never shown publicly per person.

Adds and flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.crypto import Keyring
from portal.extensions import db
from portal.tickets import sla
from portal.tickets.models import Rating, Ticket, rating_comment_purpose
from portal.tickets.workflow import ACCEPTED, CLOSED, FORWARDED, REJECTED

#: Statuses whose decision may be rated.
RATABLE = frozenset({ACCEPTED, REJECTED, FORWARDED})
SCORES = range(1, 6)


class RatingRefused(ValueError):
    """Why a rating is not taken: ``code`` is ``already_rated``,
    ``not_decided``, ``window_closed`` or ``bad_score``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def refusal(ticket: Ticket, today: dt.date) -> str | None:
    """Why ``ticket`` cannot be rated on ``today`` (WIB), or None when it can."""
    if has_rating(ticket):
        return "already_rated"
    if ticket.status == CLOSED:
        return "window_closed"  # closed only once the window has passed
    if ticket.status not in RATABLE:
        return "not_decided"
    if ticket.appeal_until is None or today > ticket.appeal_until:
        return "window_closed"
    return None


def has_rating(ticket: Ticket) -> bool:
    return db.session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None


def rate(
    ticket: Ticket, score: int, comment: str | None, now: dt.datetime, keyring: Keyring
) -> Rating:
    """Store the rating or raise ``RatingRefused``. A parallel rating of the
    same ticket that commits first makes this one ``already_rated`` (the
    session is rolled back)."""
    now = sla.as_utc(now)
    if not isinstance(score, int) or score not in SCORES:
        raise RatingRefused("bad_score")
    refused = refusal(ticket, sla.local_date(now))
    if refused:
        raise RatingRefused(refused)
    rating = Rating(
        ticket_id=ticket.id,
        office_id=ticket.office_id,
        score=score,
        comment_enc=keyring.encrypt(comment, rating_comment_purpose(ticket.id))
        if comment
        else None,
        created_at=now,
    )
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise RatingRefused("already_rated") from exc
    return rating
