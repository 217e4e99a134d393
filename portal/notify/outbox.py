"""Claiming and marking outbox messages, the same on SQLite and PostgreSQL.

A worker **claims** a batch of due messages by writing its id and a lease
(``claimed_by``, ``claimed_until``) in one UPDATE; then, per message, it
sends and **marks** the outcome. Every mark is fenced
(``WHERE id = :id AND claimed_by = :me``): a worker whose lease ran out and
was taken over by another changes nothing. A worker that dies after sending
and before marking leaves a lease that expires; the message then counts a
try (``expire_abandoned``) and is claimed again and sent once more with the
same ``event_id`` (at least once; the receiver drops the repeat by that key).

Due: status ``pending`` or ``retry``, ``next_attempt_at`` null or past, no
live lease. PostgreSQL takes the rows with ``FOR UPDATE SKIP LOCKED``, so two
workers claiming at the same moment get different rows instead of waiting
for each other; SQLite has one writer at a time, so its plain UPDATE is
already atomic.

Retries back off: the n-th failure waits
``min(OUTBOX_BACKOFF_SECONDS * 2**(n-1), OUTBOX_BACKOFF_MAX_SECONDS)``
(30 s, 60 s, 120 s … 6 h); the ``OUTBOX_MAX_ATTEMPTS``-th failure, or a permanent
refusal, makes the message ``dead`` (the dead letter), with the reason in
``last_error``. These functions execute and flush; the worker commits after
each one (a crash loses at most the message in flight).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update

from portal.db import is_sqlite
from portal.extensions import db
from portal.tickets.models import OutboxMessage

DUE_STATUSES = ("pending", "retry")
#: ``last_error`` holds at most this (a short reason, never personal data).
ERROR_CHARS = 255


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float

    @classmethod
    def from_config(cls, config) -> RetryPolicy:
        return cls(
            int(config["OUTBOX_MAX_ATTEMPTS"]),
            float(config["OUTBOX_BACKOFF_SECONDS"]),
            float(config["OUTBOX_BACKOFF_MAX_SECONDS"]),
        )

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed try (1-based)."""
        seconds = self.backoff_seconds * 2 ** (attempts - 1)
        return dt.timedelta(seconds=min(seconds, self.backoff_max_seconds))


def _due(now: dt.datetime):
    m = OutboxMessage
    return (
        m.status.in_(DUE_STATUSES),
        m.sent_at.is_(None),
        or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now),
        or_(m.claimed_until.is_(None), m.claimed_until < now),
    )


#: ``last_error`` of a message whose lease ran out while it was claimed.
ABANDONED = "worker stopped while sending"


def expire_abandoned(now: dt.datetime, policy: RetryPolicy) -> int:
    """Count a try for every due message whose lease ran out while claimed:
    its worker died (or hung) before marking it, perhaps because of the
    message itself. So a message that kills every worker still reaches the
    dead letter after ``OUTBOX_MAX_ATTEMPTS`` leases. A message given back by
    ``release`` (no lease left) is not counted. Run before ``claim`` in the
    same transaction; on PostgreSQL a concurrent worker's UPDATE waits for the
    row and re-checks ``claimed_until``, so a lease is counted once."""
    m = OutboxMessage
    abandoned = (
        m.status.in_(DUE_STATUSES),
        m.sent_at.is_(None),
        m.claimed_until.is_not(None),
        m.claimed_until < now,
    )
    released = dict(claimed_by=None, claimed_until=None, last_error=ABANDONED)
    options = {"synchronize_session": False}
    dead = db.session.execute(
        update(m)
        .where(*abandoned, m.attempts + 1 >= policy.max_attempts)
        .values(status="dead", attempts=m.attempts + 1, next_attempt_at=None, **released)
        .execution_options(**options)
    ).rowcount
    retry = db.session.execute(
        update(m)
        .where(*abandoned)
        .values(status="retry", attempts=m.attempts + 1, **released)
        .execution_options(**options)
    ).rowcount
    return dead + retry


def claim(now: dt.datetime, worker_id: str, batch: int, lease_seconds: float) -> list[int]:
    """Take up to ``batch`` due messages, oldest first, for ``lease_seconds``."""
    m = OutboxMessage
    ids = select(m.id).where(*_due(now)).order_by(m.id).limit(batch)
    if is_sqlite():
        chosen = m.id.in_(ids.scalar_subquery())
    else:
        # A CTE: a locking subquery in ``IN (…)`` may be planned as a join
        # that runs it again per row, and then LIMIT no longer limits.
        due = ids.with_for_update(skip_locked=True).cte("due")
        chosen = m.id == due.c.id
    claimed = db.session.scalars(
        update(m)
        # The due conditions again: PostgreSQL re-checks them on the locked row.
        .where(chosen, *_due(now))
        .values(claimed_by=worker_id, claimed_until=now + dt.timedelta(seconds=lease_seconds))
        .returning(m.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed)


def renew(message_id: int, worker_id: str, now: dt.datetime, lease_seconds: float) -> bool:
    """Extend the lease before a send; False when another worker holds it now."""
    return _fenced(message_id, worker_id, claimed_until=now + dt.timedelta(seconds=lease_seconds))


def release(message_ids: list[int], worker_id: str) -> None:
    """Give back claimed messages not tried (the worker is stopping)."""
    if message_ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_by == worker_id)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def mark_sent(message_id: int, worker_id: str, now: dt.datetime, channel: str) -> bool:
    return _fenced(
        message_id,
        worker_id,
        status="sent",
        sent_at=now,
        channel=channel,
        attempts=OutboxMessage.attempts + 1,
        next_attempt_at=None,
        last_error=None,
        claimed_by=None,
        claimed_until=None,
    )


def mark_failed(
    message_id: int,
    worker_id: str,
    now: dt.datetime,
    *,
    attempts_before: int,
    error: str,
    permanent: bool,
    policy: RetryPolicy,
    channel: str | None = None,
) -> str | None:
    """Record a failed try: ``retry`` after the backoff, or ``dead``. Returns
    the new status, or None when the lease was lost. ``attempts_before`` is
    the count read when the message was taken (the fence keeps it current)."""
    attempts = attempts_before + 1
    dead = permanent or attempts >= policy.max_attempts
    status = "dead" if dead else "retry"
    done = _fenced(
        message_id,
        worker_id,
        attempts_before=attempts_before,
        status=status,
        attempts=attempts,
        channel=channel,
        next_attempt_at=None if dead else now + policy.delay(attempts),
        last_error=error[:ERROR_CHARS],
        claimed_by=None,
        claimed_until=None,
    )
    return status if done else None


def mark_skipped(message_id: int, worker_id: str, reason: str) -> bool:
    """Nothing to deliver (no contact, channel off, a change not told): not a try."""
    return _fenced(
        message_id,
        worker_id,
        status="skipped",
        channel=None,
        next_attempt_at=None,
        last_error=reason[:ERROR_CHARS],
        claimed_by=None,
        claimed_until=None,
    )


def _fenced(message_id: int, worker_id: str, attempts_before: int | None = None, **values) -> bool:
    m = OutboxMessage
    conditions = [m.id == message_id, m.claimed_by == worker_id]
    if attempts_before is not None:
        conditions.append(m.attempts == attempts_before)
    result = db.session.execute(
        update(m).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


#: Statuses nothing happens to any more: kept ``OUTBOX_KEEP_DAYS``, then deleted.
FINISHED_STATUSES = ("sent", "skipped", "dead")


def retry_dead(since: dt.datetime | None = None) -> int:
    """Set dead messages (written at or after ``since``) back to be tried
    again at once, with a fresh count of tries (``flask outbox retry-dead``,
    after a long outage). ``last_error`` stays until the next try."""
    m = OutboxMessage
    conditions = [m.status == "dead", m.sent_at.is_(None)]
    if since is not None:
        conditions.append(m.created_at >= since)
    return db.session.execute(
        update(m)
        .where(*conditions)
        .values(
            status="retry", attempts=0, next_attempt_at=None, claimed_by=None, claimed_until=None
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def purge_finished(before: dt.datetime) -> int:
    """Delete sent, skipped and dead messages written before ``before``
    (with them the encrypted number of anyone who texted the SMS hook)."""
    m = OutboxMessage
    return db.session.execute(
        delete(m)
        .where(m.status.in_(FINISHED_STATUSES), m.created_at < before)
        .execution_options(synchronize_session=False)
    ).rowcount


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: n for status, n in rows}


def oldest_due_created_at() -> dt.datetime | None:
    """When the oldest message still to deliver was written."""
    return db.session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_(DUE_STATUSES), OutboxMessage.sent_at.is_(None)
        )
    )
