"""The proof that a session looked its household up (SECURITY.md LK7).

A lookup that matches NIK and name proves that the session knows them. The
proof lets that session see the result again after the redirect (a reload,
Back, a language switch cost no new lookup) and start a request for the
household without typing the NIK again. It used to be the household id in
the signed client-side session, a bearer value that lived as long as the
cookie (31 days) and outlived sending; a copied cookie opened another
resident's request. Now:

* the session holds only a random token (``new_token``); the row, keyed by
  the token's SHA-256, names the household, so a copy of the database holds
  no usable token and nothing in the cookie says which household it is;
* the row expires ``LOOKUP_PROOF_MINUTES`` (30) after the lookup, whatever
  the cookie says; each step of a request renews it (``renew``: 30 minutes
  since the last activity, a journey with photos on a slow phone takes
  longer than 30 minutes), never past ``LOOKUP_PROOF_MAX_HOURS`` (3) after
  the lookup;
* sending a request, finishing, or a new lookup deletes it (``forget``).

These functions add, flush or delete; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import DateTime, delete, select, update
from sqlalchemy.dialects import sqlite

from portal.db import placeholder, write_unflushed
from portal.extensions import db, once_per_app
from portal.registry.models import LookupProof


def proof_id(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def expiry(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=current_app.config["LOOKUP_PROOF_MINUTES"])


def prove(token: str, household_id: int, *, now: dt.datetime) -> None:
    """Record that the session holding ``token`` proved ``household_id``."""
    db.session.add(
        LookupProof(
            id=proof_id(token), household_id=household_id, created_at=now, expires_at=expiry(now)
        )
    )
    db.session.flush()


#: ``prove_unflushed``'s statement, straight to the driver (``read_rows``' pool).
_INSERT_SQL = (
    "INSERT INTO lookup_proofs (id, household_id, created_at, expires_at) "
    "VALUES ({p}, {p}, {p}, {p})"
)


def prove_unflushed(token: str, household_id: int, *, now: dt.datetime) -> None:
    """``prove``, committed at once and on its own, without waiting for the
    disk (``portal.db.write_unflushed``): a lookup's hot path. The row is one
    a machine crash may lose: the resident then looks up again. Only for a
    new proof: deleting one (``forget``) stays a durable commit, or a crash
    could bring back a proof the resident had ended."""
    times = tuple(_stored_time(t) for t in (now, expiry(now)))
    sql = _INSERT_SQL.format(p=placeholder())
    write_unflushed(sql, (proof_id(token), household_id, *times))


def _stored_time(moment: dt.datetime):
    """What the ORM would store: SQLite gets SQLAlchemy's text form (the
    column compares as text there), PostgreSQL the aware datetime."""
    if placeholder() != "?":
        return moment
    return once_per_app("portal_proof_time", _sqlite_time)(moment)


def _sqlite_time():
    dialect = sqlite.dialect()
    return DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)


def proven_household(token: str | None, *, now: dt.datetime) -> int | None:
    """The household the session holding ``token`` proved, while the proof lasts."""
    if not token:
        return None
    return db.session.scalar(
        select(LookupProof.household_id).where(
            LookupProof.id == proof_id(token), LookupProof.expires_at > now
        )
    )


def renew(token: str | None, *, now: dt.datetime) -> None:
    """Move a live proof's expiry to ``LOOKUP_PROOF_MINUTES`` from ``now``,
    capped at ``LOOKUP_PROOF_MAX_HOURS`` after the lookup. An expired proof
    stays expired."""
    if not token:
        return
    proof = db.session.scalar(
        select(LookupProof).where(LookupProof.id == proof_id(token), LookupProof.expires_at > now)
    )
    if proof is None:
        return
    cap = _as_utc(proof.created_at) + dt.timedelta(
        hours=current_app.config["LOOKUP_PROOF_MAX_HOURS"]
    )
    db.session.execute(
        update(LookupProof)
        .where(LookupProof.id == proof.id)
        .values(expires_at=min(expiry(now), cap))
    )


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def forget(token: str | None) -> None:
    if token:
        db.session.execute(delete(LookupProof).where(LookupProof.id == proof_id(token)))


def purge_expired_proofs(now: dt.datetime) -> int:
    """Delete proofs past their expiry (a periodic job); returns how many."""
    result = db.session.execute(delete(LookupProof).where(LookupProof.expires_at <= now))
    return result.rowcount
