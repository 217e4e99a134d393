"""Making, listing and revoking partners: one place for the command line
(``flask partners``) and the admin page (``/office/admin/partners``).

Adds and flushes; the caller commits (``with portal.db.transaction():``).
Each change writes an audit row (``partner_created`` / ``partner_revoked``,
detail ``partner:<id>``, ``staff_id`` the admin or None from the command
line): the name is free text and never goes into the log.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from portal.audit.log import record
from portal.extensions import db
from portal.partners.keys import SHOWN_PREFIX_LENGTH, hash_key, new_key
from portal.partners.models import Partner

#: A partner's name: lowercase letters, digits, ``.``, ``_`` and ``-``, 2 to
#: 64 characters, starting with a letter or digit (``desa-app-jabar``).
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class PartnerError(Exception):
    """Refused: ``code`` is ``bad_name``, ``name_taken``, ``unknown`` or ``revoked``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_name(raw: str | None) -> str:
    """The name as stored (trimmed, lowercase); ``PartnerError("bad_name")`` if it is none."""
    name = (raw or "").strip().lower()
    if not NAME.fullmatch(name):
        raise PartnerError("bad_name")
    return name


def create_partner(
    raw_name: str, *, now: dt.datetime, staff_id: int | None = None
) -> tuple[Partner, str]:
    """A new partner and its key, in clear: the only time the key exists
    outside the caller's hands. Raises ``PartnerError``."""
    name = clean_name(raw_name)
    if db.session.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise PartnerError("name_taken")
    key = new_key()
    partner = Partner(
        name=name,
        key_hash=hash_key(key),
        key_prefix=key[:SHOWN_PREFIX_LENGTH],
        created_at=now,
        created_by_staff_id=staff_id,
    )
    db.session.add(partner)
    db.session.flush()
    record("partner_created", staff_id=staff_id, detail=f"partner:{partner.id}", now=now)
    return partner, key


def partner_named(raw_name: str | None) -> Partner | None:
    try:
        name = clean_name(raw_name)
    except PartnerError:
        return None
    return db.session.scalar(select(Partner).where(Partner.name == name))


def revoke_partner(
    partner: Partner | None, *, now: dt.datetime, staff_id: int | None = None
) -> Partner:
    """Stop the partner's key at once; its row, tickets and audit rows stay.
    Raises ``PartnerError("unknown")`` or ``("revoked")`` (already)."""
    if partner is None:
        raise PartnerError("unknown")
    # One conditional UPDATE: of two concurrent revokes, one changes the row
    # (and writes the audit row), the other finds it revoked.
    changed = db.session.execute(
        update(Partner)
        .where(Partner.id == partner.id, Partner.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise PartnerError("revoked")
    db.session.refresh(partner)
    record("partner_revoked", staff_id=staff_id, detail=f"partner:{partner.id}", now=now)
    return partner


def all_partners() -> list[Partner]:
    """Every partner, active ones first, then by name."""
    return list(
        db.session.scalars(select(Partner).order_by(Partner.revoked_at.is_not(None), Partner.name))
    )
