"""Writing the audit log: ``record()`` appends one hash-chained row.

The chain is one list in id order: each row's ``prev_hash`` is the row before
it's ``row_hash``, and ``row_hash`` is SHA-256 over ``prev_hash`` and the
row's canonical content. Appends are serialised so two transactions never
chain onto the same row: a transaction-scoped advisory lock on PostgreSQL, the
database's single write lock on SQLite (taken by a write that touches no row
before the last hash is read). Should that ever fail, ``prev_hash`` is unique:
the second of two rows chaining onto the same row is refused, not forked. The
caller's transaction commits the row with the action it records, or neither.

What the chain cannot do alone: someone who can write to the database and
recomputes every later hash, or removes rows from the end, leaves a valid
chain. ``flask audit verify`` prints the last row's hash; kept elsewhere
(a ticket, an e-mail), it shows later that the log up to there is unchanged.
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
DETAIL = re.compile(r"[a-z0-9_.:>-]{1,64}")
#: ``kind``: ``login``, ``evidence_opened``, ``account_changed``, …
KIND = re.compile(r"[a-z][a-z_]{0,31}")


def canonical(entry) -> bytes:
    """The row's content as hashed: every column but the id and the hashes.
    ``entry`` is an ``AuditEntry`` or a row of the table's columns."""
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


def chain_hash(prev_hash: bytes, entry) -> bytes:
    return hashlib.sha256(bytes(prev_hash) + canonical(entry)).digest()


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
    """Append one row for a staff action. Adds and flushes; the caller commits.

    ``kind`` and ``detail`` are short codes, the others ids (ints) or None;
    anything else is refused (ValueError) before the database is touched.
    ``now`` without a zone is taken as UTC, like every stored time."""
    if not isinstance(kind, str) or not KIND.fullmatch(kind):
        raise ValueError("an audit kind is a short lowercase code")
    if detail is not None and (not isinstance(detail, str) or not DETAIL.fullmatch(detail)):
        raise ValueError("an audit detail is a short code, not free text")
    ids = {
        "staff_id": staff_id,
        "ticket_id": ticket_id,
        "evidence_id": evidence_id,
        "target_staff_id": target_staff_id,
        "office_id": office_id,
    }
    for name, value in ids.items():
        # An id given as "5" would be stored as 5 and hashed as "5": refused.
        if value is not None and type(value) is not int:
            raise ValueError(f"audit {name} must be an int id")
    _serialise_appends()
    prev_hash = db.session.scalar(
        select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1)
    )
    entry = AuditEntry(
        at=stored_utc(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
        kind=kind,
        detail=detail,
        prev_hash=bytes(prev_hash) if prev_hash is not None else GENESIS,
        **ids,
    )
    entry.row_hash = chain_hash(entry.prev_hash, entry)
    db.session.add(entry)
    db.session.flush()
    return entry


def _serialise_appends() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        # Held to the end of the caller's transaction; under READ COMMITTED
        # the next statement then sees the row the previous holder committed.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    else:
        # Starts the transaction with SQLite's write lock held (waiting for it
        # up to the busy timeout), so the last row read next stays the last.
        # It touches no row, so the table's BEFORE UPDATE trigger does not fire.
        db.session.execute(text("UPDATE audit_log SET kind = kind WHERE 0"))
