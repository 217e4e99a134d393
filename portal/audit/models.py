"""The audit log's one table (SECURITY.md LG3).

Each row holds ids and an event kind only: never a NIK, a name or free text.
``row_hash`` is SHA-256 over the previous row's hash and this row's canonical
content, so a changed, removed or inserted row breaks the chain
(``flask audit verify``). The database refuses UPDATE and DELETE on it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import BigId


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The staff account that acted; None for the system or a failed login.
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    #: ``login``, ``logout``, ``locked``, ``ticket_opened``, ``evidence_opened``,
    #: ``moved``, ``note``, ``assigned``, ``exported``, ``account_changed``, …
    kind: Mapped[str] = mapped_column(String(32))
    # What it was done to: ids only, no foreign keys (the log outlives rows).
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    evidence_id: Mapped[int | None] = mapped_column(BigInteger)
    target_staff_id: Mapped[int | None] = mapped_column(BigInteger)
    office_id: Mapped[int | None] = mapped_column(BigInteger)
    #: A short code, never free text: e.g. ``in_review>verified``.
    detail: Mapped[str | None] = mapped_column(String(64))
    #: Unique: two rows never chain onto the same row (one chain, no forks).
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    row_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
