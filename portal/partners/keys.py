"""Partner API keys: made, hashed and looked up here, nowhere else.

A key is ``dtsen_`` + 43 URL-safe characters (32 random bytes). It is shown
once, when it is made; the database keeps its SHA-256 (``hash_key``).
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from portal.extensions import db
from portal.partners.models import Partner

KEY_PREFIX = "dtsen_"
#: How much of a key the lists show (``dtsen_`` and 6 characters).
SHOWN_PREFIX_LENGTH = 12


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw: str) -> bytes:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).digest()


def partner_for_key(raw: str | None) -> Partner | None:
    """The active partner whose key this is, else None (unknown, malformed or
    revoked: the caller answers all three alike)."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 128:
        return None
    return db.session.scalar(
        select(Partner).where(Partner.key_hash == hash_key(raw), Partner.revoked_at.is_(None))
    )
