"""Getting back to a ticket: by reference and PIN (attempts limited per
ticket, SECURITY.md AU5) or by the tracking link's token; and the sealed
copy of the token the notification worker puts in its messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, case, or_, select, update

from portal.crypto import Keyring
from portal.db import stored_utc
from portal.extensions import db
from portal.tickets import references, sla
from portal.tickets.models import P_TRACKING_TOKEN, Ticket


@dataclass(frozen=True)
class PinCheck:
    """``ticket`` when reference and PIN match; ``locked_until`` when too many
    attempts locked the ticket. Neither: a wrong PIN or an unknown reference
    (the same answer for both)."""

    ticket: Ticket | None
    locked_until: dt.datetime | None = None


def open_by_pin(reference: str, pin: str, *, keyring: Keyring, now: dt.datetime) -> PinCheck:
    """Check a PIN; ``PIN_MAX_ATTEMPTS`` (100) wrong ones in a row lock the
    ticket for ``PIN_LOCK_MINUTES`` (a day): at most 100 guesses a day, over ten years
    for 10^6 PINs. The far-later lock behind the per-address limits and the
    captcha of ``/track`` (``web/public/track.py``).

    An attempt is counted *before* the PIN is checked, in one atomic UPDATE,
    so parallel guesses cannot slip past the limit; a right PIN resets the
    count. The caller must commit whatever the result, or the count is lost.
    """
    now = sla.as_utc(now)
    config = current_app.config
    max_attempts = config["PIN_MAX_ATTEMPTS"]
    lock_until = now + dt.timedelta(minutes=config["PIN_LOCK_MINUTES"])
    canonical = references.parse_reference(reference)
    pin_ok_shape = pin.isdigit() and len(pin) == references.PIN_DIGITS

    t = Ticket.__table__
    unlocked = or_(t.c.pin_locked_until.is_(None), t.c.pin_locked_until <= now)
    lock_expired = and_(t.c.pin_locked_until.is_not(None), t.c.pin_locked_until <= now)
    attempts = case((lock_expired, 1), else_=t.c.pin_failures + 1)
    row = None
    if canonical is not None:
        row = db.session.execute(
            update(t)
            .where(t.c.reference == canonical, unlocked)
            .values(
                pin_failures=attempts,
                pin_locked_until=case((attempts >= max_attempts, lock_until), else_=None),
            )
            .returning(t.c.id, t.c.pin_hash)
        ).first()
    if row is None:
        locked = None
        if canonical is not None:
            locked = db.session.scalar(
                select(t.c.pin_locked_until).where(t.c.reference == canonical)
            )
        # unknown or locked: spend the time a check takes, so neither answers faster
        references.spend_pin_check_time(pin)
        return PinCheck(None, stored_utc(locked))
    ticket_id, pin_hash = row
    if not (pin_ok_shape and references.verify_pin(keyring, canonical, pin, pin_hash)):
        return PinCheck(None)
    db.session.execute(
        update(t).where(t.c.id == ticket_id).values(pin_failures=0, pin_locked_until=None)
    )
    return PinCheck(db.session.get(Ticket, ticket_id))


def seal_tracking_token(keyring: Keyring, reference: str, token: str) -> bytes:
    """The tracking token encrypted for its ticket alone (``Ticket.tracking_token_enc``)."""
    return keyring.encrypt(token, P_TRACKING_TOKEN + b":" + reference.encode())


def tracking_token(ticket: Ticket, keyring: Keyring) -> str | None:
    """The ticket's tracking token, for the link in a message; None for a
    ticket sent before tokens were kept (use ``/track`` instead)."""
    if ticket.tracking_token_enc is None:
        return None
    purpose = P_TRACKING_TOKEN + b":" + ticket.reference.encode()
    return keyring.decrypt(ticket.tracking_token_enc, purpose)


def open_by_tracking_token(token: str, *, keyring: Keyring) -> Ticket | None:
    """The ticket of a tracking link ``/t/<token>``, or None."""
    if not references.TRACKING_TOKEN_PATTERN.fullmatch(token or ""):
        return None
    index = references.tracking_token_index(keyring, token)
    return db.session.scalar(select(Ticket).where(Ticket.tracking_token_index == index))
