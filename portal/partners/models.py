"""A partner system and its API key (SECURITY.md AU8).

Only the SHA-256 of the key is stored: a key is 256 random bits
(``keys.new_key``), so a fast hash is enough and a lookup is one indexed
equality. ``key_prefix`` (the key's first characters) lets a person tell
keys apart in a list without the key. A revoked partner keeps its row (its
tickets and audit rows point at it); its key stops working at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import BigId


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: A short name people use for it (``desa-app-jabar``): unique.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The admin who created it on the admin page; None from the command line.
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None
