"""Reply templates (issue 10 §5): the public texts a handler starts from when
asking the resident for more (``needs_info``) or explaining a decision
(``accepted``, ``rejected``). The handler always edits before sending.

* National defaults have ``office_id`` None; an office's row with the same
  purpose, code and language overrides the default for that office and the
  offices under it (a province's override applies to its kab/kota offices,
  unless a kab/kota has its own).
* Only two placeholders exist, ``{reference}`` and ``{due_date}``, replaced
  by plain substitution: any other brace text stays exactly as typed (never
  ``str.format`` on text people write).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from babel.dates import format_date
from sqlalchemy import select

from portal.audit import log as audit
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.models import ReplyTemplate
from portal.tickets.reply_defaults import DEFAULTS, TemplateText

PURPOSES = ("needs_info", "accepted", "rejected")
LANGS = ("id", "en")
PLACEHOLDERS = ("{reference}", "{due_date}")


def render(text: str, *, reference: str, due_date: dt.date | None, lang: str) -> str:
    """``text`` with the two placeholders filled in; nothing else changes."""
    due = format_date(due_date, "long", locale=lang) if due_date else ""
    return text.replace("{reference}", reference).replace("{due_date}", due)


def office_chain(office: Office | None) -> list[int]:
    """``office`` and the offices above it, nearest first (national last)."""
    ids: list[int] = []
    while office is not None and office.id not in ids:
        ids.append(office.id)
        office = db.session.get(Office, office.parent_id) if office.parent_id else None
    return ids


def office_of(ticket) -> Office | None:
    """The office whose templates a ticket's texts start from: its own."""
    return db.session.get(Office, ticket.office_id)


def effective(office: Office | None, purpose: str | None = None) -> list[ReplyTemplate]:
    """The templates ``office`` uses: for each purpose, code and language the
    nearest office's row, else the national default. Indonesian first, then
    in the order they were made (the seeded order)."""
    chain = office_chain(office)
    query = select(ReplyTemplate).where(
        ReplyTemplate.office_id.is_(None) | ReplyTemplate.office_id.in_(chain)
    )
    if purpose is not None:
        query = query.where(ReplyTemplate.purpose == purpose)
    rank = {office_id: i for i, office_id in enumerate(chain)}
    best: dict[tuple[str, str, str], ReplyTemplate] = {}
    for row in db.session.scalars(query):
        key = (row.purpose, row.code, row.lang)
        mine = rank.get(row.office_id, len(chain))
        held = best.get(key)
        if held is None or mine < rank.get(held.office_id, len(chain)):
            best[key] = row
    return sorted(
        best.values(), key=lambda r: (PURPOSES.index(r.purpose), LANGS.index(r.lang), r.id)
    )


class TemplateExists(Exception):
    """A new template's purpose, code and language are already this scope's."""


def fingerprint(row: ReplyTemplate) -> str:
    """What the edit form carries: it changes whenever the row does (even
    twice in the same second), so a save over someone else's is noticed."""
    stamp = f"{row.id}\0{row.updated_at}\0{row.title}\0{row.body}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:32]


def save(
    text: TemplateText,
    *,
    office_id: int | None,
    staff_id: int,
    now: dt.datetime,
    new: bool = False,
) -> ReplyTemplate:
    """Create or change the row of ``office_id`` (None: the national default)
    for this purpose, code and language, with its audit row. Adds and flushes.
    With ``new`` an existing row is never overwritten: ``TemplateExists``."""
    row = db.session.scalar(
        select(ReplyTemplate).where(
            _office_is(office_id),
            ReplyTemplate.purpose == text.purpose,
            ReplyTemplate.code == text.code,
            ReplyTemplate.lang == text.lang,
        )
    )
    if row is not None and new:
        raise TemplateExists
    if row is None:
        row = ReplyTemplate(
            office_id=office_id, purpose=text.purpose, code=text.code, lang=text.lang
        )
        db.session.add(row)
    row.title, row.body = text.title, text.body
    row.updated_at, row.updated_by_id = now, staff_id
    db.session.flush()
    audit.record(
        "template_changed",
        staff_id=staff_id,
        office_id=office_id,
        detail=f"{text.purpose}:{text.code}:{text.lang}",
        now=now,
    )
    return row


def seed_defaults(now: dt.datetime) -> int:
    """Add the national defaults that are missing; never changes an existing
    row (a supervisor may have edited it). Returns how many were added."""
    have = set(
        db.session.execute(
            select(ReplyTemplate.purpose, ReplyTemplate.code, ReplyTemplate.lang).where(
                ReplyTemplate.office_id.is_(None)
            )
        ).all()
    )
    added = 0
    for text in DEFAULTS:
        if (text.purpose, text.code, text.lang) in have:
            continue
        db.session.add(
            ReplyTemplate(
                office_id=None,
                purpose=text.purpose,
                code=text.code,
                lang=text.lang,
                title=text.title,
                body=text.body,
                updated_at=now,
            )
        )
        added += 1
    db.session.flush()
    return added


def _office_is(office_id: int | None):
    if office_id is None:
        return ReplyTemplate.office_id.is_(None)
    return ReplyTemplate.office_id == office_id
