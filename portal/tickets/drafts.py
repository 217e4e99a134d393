"""Drafts: the answers of a submission (or the text and files of a reply or
an appeal) in progress, kept between form pages as one encrypted row.

The id is a random token kept in the session; drafts expire
(``DRAFT_TTL_HOURS``). These functions add and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select

from portal.crypto import Keyring
from portal.extensions import db
from portal.tickets import sla
from portal.tickets.errors import InvalidAnswers
from portal.tickets.models import KINDS, P_DRAFT, Draft

#: ``Draft.kind``: a submission of one of ``KINDS``, or the text and files a
#: resident is writing for a ticket: a reply to the office's question, an appeal.
DRAFT_KINDS = (*KINDS, "reply", "appeal")


@dataclass(frozen=True)
class DraftData:
    id: str
    kind: str
    answers: dict
    household_id: int | None
    expires_at: dt.datetime


def _draft_purpose(draft_id: str) -> bytes:
    # Bound to the row: a ciphertext copied into another draft does not open.
    return P_DRAFT + b":" + draft_id.encode("ascii")


def save_draft(
    kind: str,
    answers: Mapping,
    *,
    keyring: Keyring,
    now: dt.datetime,
    draft_id: str | None = None,
    household_id: int | None = None,
) -> str:
    """Store the answers so far and return the draft id for the session.

    An unknown or expired ``draft_id`` starts a new draft. A draft saved
    with a ``household_id`` stays bound to it (``InvalidAnswers`` otherwise). Each save moves
    the expiry ``DRAFT_TTL_HOURS`` (default 24) ahead.
    """
    if kind not in DRAFT_KINDS:
        raise InvalidAnswers(f"unknown kind {kind!r}")
    now = sla.as_utc(now)
    expires_at = now + dt.timedelta(hours=current_app.config.get("DRAFT_TTL_HOURS", 24))
    draft = _live_draft(draft_id, now) if draft_id else None
    if draft is None:
        draft = Draft(id=secrets.token_urlsafe(16), created_at=now)
        db.session.add(draft)
    elif draft.household_id is not None and draft.household_id != household_id:
        # A draft bound to a household never moves to another (or to none):
        # its answers and files are that household's (a shared PC).
        raise InvalidAnswers("the draft is bound to another household")
    draft.kind = kind
    draft.household_id = household_id
    draft.data_enc = keyring.encrypt(json.dumps(dict(answers)), _draft_purpose(draft.id))
    draft.expires_at = expires_at
    db.session.flush()
    return draft.id


def load_draft(draft_id: str, *, keyring: Keyring, now: dt.datetime) -> DraftData | None:
    """The draft's answers, or None when unknown or expired."""
    draft = _live_draft(draft_id, sla.as_utc(now))
    if draft is None:
        return None
    answers = json.loads(keyring.decrypt(draft.data_enc, _draft_purpose(draft.id)))
    return DraftData(draft.id, draft.kind, answers, draft.household_id, draft.expires_at)


def discard_draft(draft_id: str) -> None:
    db.session.execute(delete(Draft).where(Draft.id == draft_id))


def claim_draft(draft_id: str | None) -> bool:
    """Delete the draft as the first step of sending it; False when it is
    already gone. Two clicks (or two tabs) sending one draft: the second's
    DELETE waits for the first's transaction and then finds no row, so
    only one sends (or adds) it."""
    if not draft_id:
        return True
    return db.session.execute(delete(Draft).where(Draft.id == draft_id)).rowcount == 1


def purge_expired_drafts(now: dt.datetime) -> int:
    """Delete expired drafts (a periodic job); returns how many."""
    result = db.session.execute(delete(Draft).where(Draft.expires_at <= sla.as_utc(now)))
    return result.rowcount


def _live_draft(draft_id: str, now: dt.datetime) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.id == draft_id, Draft.expires_at > now))
