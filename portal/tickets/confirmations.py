"""The confirmation page's secrets, kept briefly for the session that sent.

After sending, the resident is redirected to ``/submit/sent``, which shows the
reference, the PIN and the tracking link. Holding them server-side for
``SENT_PAGE_MINUTES`` (default 30) lets that page survive a reload, a language
switch, a browser that discards the tab, or a double click on "send" (the
second request finds the ticket by its idempotency key and shows the same
page) while the PIN is still shown only around the moment of sending: after
the window, or once the resident hides it, nothing can show it again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select

from portal.crypto import Keyring
from portal.extensions import db
from portal.tickets import sla
from portal.tickets.models import P_SENT, SentConfirmation


@dataclass(frozen=True)
class SentSecrets:
    ticket_id: int
    pin: str
    tracking_token: str


def _purpose(confirmation_id: str) -> bytes:
    return P_SENT + b":" + confirmation_id.encode("ascii")


def remember_sent(
    confirmation_id: str, secrets: SentSecrets, *, keyring: Keyring, now: dt.datetime
) -> None:
    """Keep the secrets for the confirmation page (in the sending transaction)."""
    minutes = current_app.config.get("SENT_PAGE_MINUTES", 30)
    payload = json.dumps({"pin": secrets.pin, "token": secrets.tracking_token})
    db.session.add(
        SentConfirmation(
            id=confirmation_id,
            ticket_id=secrets.ticket_id,
            secrets_enc=keyring.encrypt(payload, _purpose(confirmation_id)),
            expires_at=sla.as_utc(now) + dt.timedelta(minutes=minutes),
        )
    )
    db.session.flush()


def recall_sent(
    confirmation_id: str | None, *, keyring: Keyring, now: dt.datetime
) -> SentSecrets | None:
    """The secrets while the window is open, else None."""
    if not confirmation_id:
        return None
    row = db.session.scalar(
        select(SentConfirmation).where(
            SentConfirmation.id == confirmation_id,
            SentConfirmation.expires_at > sla.as_utc(now),
        )
    )
    if row is None:
        return None
    payload = json.loads(keyring.decrypt(row.secrets_enc, _purpose(row.id)))
    return SentSecrets(row.ticket_id, payload["pin"], payload["token"])


def forget_sent(confirmation_id: str) -> None:
    db.session.execute(delete(SentConfirmation).where(SentConfirmation.id == confirmation_id))


def purge_expired_confirmations(now: dt.datetime) -> int:
    """Delete confirmations past their window (a periodic job); returns how many."""
    result = db.session.execute(
        delete(SentConfirmation).where(SentConfirmation.expires_at <= sla.as_utc(now))
    )
    return result.rowcount
