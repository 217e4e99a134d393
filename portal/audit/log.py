"""Writing the audit log: ``record()`` appends one hash-chained row.

The chain is one list in id order: each row's ``prev_hash`` is the row before
it's ``row_hash``, and ``row_hash`` is SHA-256 over ``prev_hash`` and the
row's canonical content. Appends are serialised so two transactions never
chain onto the same row: a transaction-scoped advisory lock on PostgreSQL, the
database's single write lock on SQLite (taken by a write that touches no row
before the last hash is read). The caller's transaction commits the row with
the action it records, or neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from sqlalchemy import select, text

from portal.audit.models import AuditEntry
from portal.db import stored_utc
from portal.extensions import db

#: The first row's ``prev_hash``.
GENESIS = bytes(32)
#: Any 64-bit number, the same on every server: the advisory lock's key.
PG_LOCK_KEY = 0x44545345_4E415544  # "DTSENAUD"
#: ``detail`` is a code, never free text: no spaces, no names.
DETAIL = re.compile(r"^[a-z0-9_.:>-]{1,64}$")


def canonical(entry: AuditEntry) -> bytes:
    """The row's content as hashed: every column but the id and the hashes."""
    at = stored_utc(entry.at).astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [
        at,
        entry.staff_id,
        entry.kind,
        entry.ticket_id,
        entry.evidence_id,
        entry.target_staff_id,
        entry.office_id,
        entry.detail,
    ]
    return json.dumps(fields, separators=(",", ":")).encode()


def chain_hash(prev_hash: bytes, entry: AuditEntry) -> bytes:
    return hashlib.sha256(prev_hash + canonical(entry)).digest()


def record(
    kind: str,
    *,
    staff_id: int | None = None,
    ticket_id: int | None = None,
    evidence_id: int | None = None,
    target_staff_id: int | None = None,
    office_id: int | None = None,
    detail: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append one row for a staff action. Adds and flushes; the caller commits."""
    if detail is not None and not DETAIL.match(detail):
        raise ValueError("an audit detail is a short code, not free text")
    _serialise_appends()
    prev_hash = db.session.scalar(
        select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1)
    )
    entry = AuditEntry(
        at=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
        staff_id=staff_id,
        kind=kind,
        ticket_id=ticket_id,
        evidence_id=evidence_id,
        target_staff_id=target_staff_id,
        office_id=office_id,
        detail=detail,
        prev_hash=prev_hash or GENESIS,
    )
    entry.row_hash = chain_hash(entry.prev_hash, entry)
    db.session.add(entry)
    db.session.flush()
    return entry


def _serialise_appends() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    else:
        # Starts the transaction with SQLite's write lock held (waiting for it
        # up to the busy timeout), so the last row read next stays the last.
        db.session.execute(text("UPDATE audit_log SET kind = kind WHERE 0"))
