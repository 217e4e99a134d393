"""The delivery loop behind ``flask outbox run``.

A round: claim up to ``OUTBOX_BATCH`` due messages (one commit), then for
each one: read it, its ticket and its recipient and write the text (one
short transaction, or a ``skipped`` mark), send it outside any transaction,
and mark the outcome (one commit). So a crash loses at most the message in
flight, which is sent again with the same key once its lease expires.

Just before each send the lease is renewed in full, and the send runs
under a deadline of a third of the lease (``portal.notify.deadline``): a
slow server is cut off long before the lease ends, so no other worker takes
a message still being sent. An unexpected exception in a channel (a bug, a
non-ASCII password) is a failed try like any other, never the end of the
round; a lease that ran out while claimed (the worker died mid-send) counts
a try too (``outbox.expire_abandoned``), so a message that kills workers
still reaches the dead letter. On SIGTERM/SIGINT, or an exception outside
a send, the worker gives back the rest of its batch and stops (after the
message in flight).

Logs carry counts and short reasons only, never an address or a text.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from portal.crypto import Keyring
from portal.db import transaction
from portal.extensions import db
from portal.notify import DeliveryError, outbox
from portal.notify.deadline import deadline
from portal.notify.email import SmtpChannel
from portal.notify.messages import Composed, Skip, compose
from portal.notify.recipients import Recipient, recipient
from portal.notify.sms import SmsGateway
from portal.tickets import sla
from portal.tickets.models import OutboxMessage, Ticket

log = logging.getLogger("portal.notify")

#: Test hook for fault injection: called with the ``event_id`` after a send
#: succeeded and before it is marked. None in production; a test sets it (a
#: worker process that ``os._exit()``s here died between sending and marking).
after_send_hook: Callable[[str], None] | None = None


@dataclass
class Counts:
    sent: int = 0
    retry: int = 0
    dead: int = 0
    skipped: int = 0
    #: Messages whose lease another worker had taken over (nothing written).
    lost: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


@dataclass(frozen=True)
class Outgoing:
    id: int
    event_id: str
    attempts: int
    to: Recipient
    content: Composed


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Worker:
    """Delivers the outbox with ``config`` (the app's settings, or a copy a
    test changed). ``clock`` returns aware UTC times (tests pass their own)."""

    def __init__(
        self,
        config: Mapping,
        keyring: Keyring,
        *,
        worker_id: str | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.id = worker_id or new_worker_id()
        self.keyring = keyring
        self.clock = clock
        self.policy = outbox.RetryPolicy.from_config(config)
        self.batch = int(config["OUTBOX_BATCH"])
        self.lease = float(config["OUTBOX_LEASE_SECONDS"])
        #: Every send ends within this, well inside the lease renewed just before it.
        self.send_deadline = self.lease / 3
        self.poll = float(config["OUTBOX_POLL_SECONDS"])
        self.base_url = config["PUBLIC_BASE_URL"] or ""
        timeout = float(config["OUTBOX_SEND_TIMEOUT"])
        smtp_url, sms_url = config.get("SMTP_URL"), config.get("SMS_GATEWAY_URL")
        self.email = (
            SmtpChannel(smtp_url, config["MAIL_FROM"], timeout, config.get("SMTP_CA_FILE"))
            if smtp_url
            else None
        )
        self.sms = (
            SmsGateway(sms_url, config.get("SMS_GATEWAY_TOKEN"), timeout) if sms_url else None
        )
        self.stop = threading.Event()

    def run_once(self) -> Counts:
        """Deliver everything due now, then return (cron)."""
        total, tried = Counts(), set()
        try:
            while not self.stop.is_set():
                ids = self.round(total)
                if not ids or tried.issuperset(ids):
                    break
                tried.update(ids)
        finally:
            self.close()
        return total

    def run_forever(self) -> Counts:
        """Deliver until ``stop`` is set, polling every ``OUTBOX_POLL_SECONDS`` when idle."""
        total = Counts()
        log.info("outbox worker started", extra={"event": {"event": "outbox_started"}})
        try:
            while not self.stop.is_set():
                counts = Counts()
                if not self.round(counts):
                    self.close()  # no connection held open while idle
                    db.session.remove()
                    self.stop.wait(self.poll)
                total.add(counts)
        finally:
            self.close()
            log.info("outbox worker stopped", extra={"event": {"event": "outbox_stopped"}})
        return total

    def round(self, counts: Counts) -> list[int]:
        """One batch: claim, then deliver each message. Returns the claimed ids."""
        with transaction():
            now = self.clock()
            outbox.expire_abandoned(now, self.policy)
            ids = outbox.claim(now, self.id, self.batch, self.lease)
        done = Counts()
        for i, message_id in enumerate(ids):
            if self.stop.is_set():
                self._release(ids[i:])
                break
            try:
                self.deliver(message_id, done)
            except BaseException:
                # The one in flight keeps its lease (and counts a try when it expires).
                self._release(ids[i + 1 :])
                raise
        if ids:
            log.info(
                "outbox round",
                extra={"event": {"event": "outbox_round", "claimed": len(ids), **vars(done)}},
            )
        counts.add(done)
        return ids

    def deliver(self, message_id: int, counts: Counts) -> None:
        with transaction():
            outgoing = self._prepare(message_id, counts)
        if outgoing is None:
            return
        name = outgoing.to.channel
        channel = self._channel(name)
        try:
            with deadline(self.send_deadline, channel.abort) as fired:
                try:
                    if name == "email":
                        channel.send(outgoing.to.address, outgoing.content, outgoing.event_id)
                    else:
                        channel.send(outgoing.to.address, outgoing.content.sms, outgoing.event_id)
                finally:
                    if fired.is_set():
                        channel.close()  # its socket was shut down under it
        except DeliveryError as exc:
            reason = f"{name} send deadline passed" if fired.is_set() else str(exc)
            self._failed(outgoing, reason, exc.permanent and not fired.is_set(), counts)
            return
        except Exception as exc:  # noqa: BLE001 -- a bug in a channel must not stop the others
            # The type only: an exception's text may hold an address or a password.
            log.warning(
                "outbox channel error",
                extra={"event": {"event": "outbox_channel_error", "error": type(exc).__name__}},
            )
            channel.close()
            reason = f"{name} send deadline passed" if fired.is_set() else None
            self._failed(outgoing, reason or f"{name} {type(exc).__name__}", False, counts)
            return
        if after_send_hook is not None:
            after_send_hook(outgoing.event_id)
        with transaction():
            done = outbox.mark_sent(outgoing.id, self.id, self.clock(), outgoing.to.channel)
        if done:
            counts.sent += 1
        else:
            counts.lost += 1

    def _prepare(self, message_id: int, counts: Counts) -> Outgoing | None:
        """The message to send, or None when it was skipped or is not ours any more."""
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        now = self.clock()
        if message is None or message.claimed_by != self.id:
            counts.lost += 1
            return None
        ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
        try:
            content = compose(
                message,
                ticket,
                keyring=self.keyring,
                base_url=self.base_url,
                today=sla.local_date(now),
            )
            to = recipient(message, ticket, self.keyring) if isinstance(content, Composed) else None
        except Exception as exc:  # noqa: BLE001 -- a bug or a bad key must not stop the others
            log.warning(
                "outbox message not composed",
                extra={"event": {"event": "outbox_compose_error", "error": type(exc).__name__}},
            )
            self._failed_in_transaction(message, f"compose {type(exc).__name__}", counts)
            return None
        skip = content if isinstance(content, Skip) else to if isinstance(to, Skip) else None
        if skip is None and self._channel(to.channel) is None:
            skip = Skip(f"{to.channel} not configured")
        if skip is None and to.channel == "email" and not content.subject:
            skip = Skip("sms-only message")
        if skip is not None:
            if outbox.mark_skipped(message_id, self.id, skip.reason):
                counts.skipped += 1
            return None
        # A full lease for the send: it ends (deadline) well before this does.
        if not outbox.renew(message_id, self.id, self.clock(), self.lease):
            counts.lost += 1
            return None
        return Outgoing(message.id, message.event_id, message.attempts, to, content)

    def _release(self, ids: list[int]) -> None:
        with transaction():
            outbox.release(ids, self.id)

    def _channel(self, name: str):
        return self.email if name == "email" else self.sms

    def _failed(self, outgoing: Outgoing, error: str, permanent: bool, counts: Counts) -> None:
        with transaction():
            status = outbox.mark_failed(
                outgoing.id,
                self.id,
                self.clock(),
                attempts_before=outgoing.attempts,
                error=error,
                permanent=permanent,
                policy=self.policy,
                channel=outgoing.to.channel,
            )
        self._count(status, counts)

    def _failed_in_transaction(self, message: OutboxMessage, error: str, counts: Counts) -> None:
        status = outbox.mark_failed(
            message.id,
            self.id,
            self.clock(),
            attempts_before=message.attempts,
            error=error,
            permanent=False,
            policy=self.policy,
        )
        self._count(status, counts)

    @staticmethod
    def _count(status: str | None, counts: Counts) -> None:
        if status is None:
            counts.lost += 1
        else:
            setattr(counts, status, getattr(counts, status) + 1)

    def close(self) -> None:
        for channel in (self.email, self.sms):
            if channel is not None:
                channel.close()
