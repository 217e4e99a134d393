"""Faults inside the worker (issue 11 §5 review): an unexpected exception in a
channel, a worker that died holding a lease, a send that outlasts its
deadline."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading

import pytest
from sqlalchemy import select

from portal.db import stored_utc, transaction
from portal.extensions import db
from portal.notify import DeliveryError, outbox
from portal.notify import sms as sms_module
from portal.notify.deadline import deadline
from portal.notify.email import SmtpChannel
from portal.notify.messages import Composed
from portal.notify.worker import Worker
from portal.tickets.models import OutboxMessage
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway
POISON = "+6281234567890"


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def sms_worker(app, keyring, gateway, seconds: float = 0, **over) -> Worker:
    config = worker_config(app, SMS_GATEWAY_URL=gateway.url, **over)
    return Worker(config, keyring, clock=lambda: at(seconds))


def poison_first_number(monkeypatch):
    """The gateway channel raises a bug (not a DeliveryError) for one number."""
    real_send = sms_module.SmsGateway.send

    def send(self, to, text, event_id):
        if to == POISON:
            raise UnicodeEncodeError("latin-1", "\u00e9", 0, 1, "ordinal not in range")
        return real_send(self, to, text, event_id)

    monkeypatch.setattr(sms_module.SmsGateway, "send", send)


def test_an_unexpected_channel_error_is_a_retry_and_the_rest_are_delivered(
    app, app_ctx, keyring, sms_gateway, monkeypatch, caplog
):
    submit(keyring, answers(reporter_contact="081234567890"))  # POISON, oldest first
    submit(keyring, answers(reporter_contact="081234567891"))
    poison_first_number(monkeypatch)

    with caplog.at_level(logging.WARNING, logger="portal.notify"):
        counts = sms_worker(app, keyring, sms_gateway).run_once()

    first, second = rows()
    assert (first.status, first.attempts, first.last_error) == (
        "retry",
        1,
        "sms UnicodeEncodeError",
    )
    assert first.claimed_by is None and first.next_attempt_at is not None
    assert (second.status, second.attempts) == ("sent", 1)
    assert (counts.sent, counts.retry) == (1, 1)
    logged = " ".join(str(r.__dict__) for r in caplog.records)
    assert "UnicodeEncodeError" in logged
    assert "081234567890" not in logged and "1234567890" not in logged


def test_a_poison_message_dead_letters_after_its_attempts(
    app, app_ctx, keyring, sms_gateway, monkeypatch
):
    submit(keyring, answers(reporter_contact="081234567890"))
    poison_first_number(monkeypatch)
    # Backoff 30 s, 60 s: tries at 0, 30, 90 s (by hand); the 3rd failure is the last.
    for seconds in (0, 30, 90):
        sms_worker(app, keyring, sms_gateway, seconds, OUTBOX_MAX_ATTEMPTS=3).run_once()
    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "sms UnicodeEncodeError")


def test_a_lease_that_expired_while_claimed_counts_as_an_attempt(app, app_ctx, keyring):
    """A worker that died mid-send (the lease ran out with the message still
    claimed) used one try: a message that kills every worker dead-letters."""
    submit(keyring, answers(reporter_contact="081234567890"))
    config = worker_config(app, OUTBOX_MAX_ATTEMPTS=3, OUTBOX_LEASE_SECONDS=120)
    policy = outbox.RetryPolicy.from_config(config)

    seen = []
    for k, seconds in enumerate((0, 121, 242, 363)):
        with transaction():
            outbox.expire_abandoned(at(seconds), policy)
            claimed = outbox.claim(at(seconds), f"dies-{k}", 10, 120)
        [row] = rows()
        seen.append((len(claimed), row.status, row.attempts))
    # By hand: claimed fresh (0 tries), then after each expired lease one more
    # try; the third expiry reaches OUTBOX_MAX_ATTEMPTS=3: dead, never claimed.
    assert seen == [(1, "pending", 0), (1, "retry", 1), (1, "retry", 2), (0, "dead", 3)]
    [row] = rows()
    assert row.last_error == "worker stopped while sending"
    assert (row.claimed_by, row.claimed_until) == (None, None)


def test_a_released_or_live_lease_is_not_counted(app, app_ctx, keyring):
    submit(keyring, answers(reporter_contact="081234567890"))
    submit(keyring, answers(reporter_contact="081234567891"))
    policy = outbox.RetryPolicy(max_attempts=3, backoff_seconds=30, backoff_max_seconds=600)
    with transaction():
        first, _second = outbox.claim(NOW, "stopping", 10, 120)
        outbox.release([first], "stopping")
    with transaction():
        outbox.expire_abandoned(at(60), policy)  # the second's lease is still live
    assert [(r.attempts, r.claimed_by) for r in rows()] == [(0, None), (0, "stopping")]


def test_a_worker_that_dies_on_a_message_gives_back_the_rest_of_its_batch(
    app, app_ctx, keyring, sms_gateway, monkeypatch
):
    """An exception outside the send (here: marking) stops the round; the
    messages not tried are released, not left claimed until the lease ends."""
    submit(keyring, answers(reporter_contact="081234567890"))
    submit(keyring, answers(reporter_contact="081234567891"))
    submit(keyring, answers(reporter_contact="081234567892"))

    def broken_mark(*_a, **_kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbox, "mark_sent", broken_mark)
    with pytest.raises(RuntimeError):
        sms_worker(app, keyring, sms_gateway).run_once()
    db.session.rollback()
    assert [r.claimed_by is None for r in rows()] == [False, True, True]


def test_the_lease_is_renewed_in_full_before_every_send(
    app, app_ctx, keyring, sms_gateway, monkeypatch
):
    submit(keyring, answers(reporter_contact="081234567890"))
    leases = []
    real_send = sms_module.SmsGateway.send

    def send(self, to, text, event_id):
        db.session.expire_all()
        leases.append(db.session.scalar(select(OutboxMessage.claimed_until)))
        return real_send(self, to, text, event_id)

    monkeypatch.setattr(sms_module.SmsGateway, "send", send)
    clock = iter([at(0), at(50)] + [at(50)] * 10)  # claim at 0 s, then 50 s later
    config = worker_config(app, SMS_GATEWAY_URL=sms_gateway.url, OUTBOX_LEASE_SECONDS=120)
    Worker(config, keyring, clock=lambda: next(clock)).run_once()
    # 70 s were left (more than half): renewed anyway to 50 + 120 = 170 s.
    assert [stored_utc(x) for x in leases] == [at(170)]


def test_a_send_past_its_deadline_is_cut_off_and_retried(
    app, app_ctx, keyring, sms_gateway, monkeypatch
):
    """A gateway that never answers (each socket read would wait the whole
    OUTBOX_SEND_TIMEOUT) is cut off at a third of the lease."""
    submit(keyring, answers(reporter_contact="081234567890"))
    hang = threading.Event()
    aborted = []

    def slow_send(self, to, text, event_id):
        # Stands for a session that outlasts its deadline: wait until abort().
        if not hang.wait(5):
            return
        raise DeliveryError("sms gateway ConnectionAbortedError")

    def abort(self):
        aborted.append(True)
        hang.set()

    monkeypatch.setattr(sms_module.SmsGateway, "send", slow_send)
    monkeypatch.setattr(sms_module.SmsGateway, "abort", abort)
    sms_worker(app, keyring, sms_gateway, OUTBOX_LEASE_SECONDS=0.3).run_once()

    [row] = rows()
    assert aborted == [True]
    assert (row.status, row.attempts, row.last_error) == ("retry", 1, "sms send deadline passed")


@pytest.fixture
def silent_server():
    """Accepts connections and never says a word (a hung SMTP server or gateway)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in accepted:
        conn.close()


def cut_off(channel, send) -> BaseException | None:
    """Run ``send`` in a thread under a 0.2 s deadline (the socket timeout is
    an hour); the exception it ended with, or None if it is still blocked."""
    outcome: list[BaseException | None] = []

    def run():
        with deadline(0.2, channel.abort):
            try:
                send()
            except BaseException as exc:  # noqa: BLE001
                outcome.append(exc)
                return
        outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)  # a liveness bound, not a timing: without abort() it waits an hour
    return outcome[0] if outcome else AssertionError("still blocked")


def test_abort_cuts_off_a_gateway_that_never_answers(silent_server):
    gateway = sms_module.SmsGateway(f"http://127.0.0.1:{silent_server}/send", None, 3600)
    error = cut_off(gateway, lambda: gateway.send("+6281234567890", "x", "key"))
    assert isinstance(error, DeliveryError), error


def test_abort_cuts_off_an_smtp_server_that_never_greets(silent_server):
    channel = SmtpChannel(f"smtp://127.0.0.1:{silent_server}", "a@b.example", 3600)
    content = Composed(lang="id", subject="s", text="t", html="<p>t</p>", sms="t")
    error = cut_off(channel, lambda: channel.send("warga@example.org", content, "key"))
    assert isinstance(error, DeliveryError), error


def ended_with(send) -> BaseException | None:
    """Run ``send`` in a thread; the exception it ended with, None if it
    returned, an AssertionError if it is still blocked after 30 s (a liveness
    bound, not a timing: without the fix it waits an hour)."""
    outcome: list[BaseException | None] = []

    def run():
        try:
            send()
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)
            return
        outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    return outcome[0] if outcome else AssertionError("still blocked")


def test_an_abort_while_connecting_cuts_the_connection_once_it_is_made(silent_server):
    """The deadline may pass before the TCP connection is made (a busy
    machine, a slow network): the abort is remembered and the connection cut
    as soon as it exists, instead of waiting an hour for the greeting. This
    failed once under load, when ``abort`` found no socket yet."""
    channel = SmtpChannel(f"smtp://127.0.0.1:{silent_server}", "a@b.example", 3600)
    content = Composed(lang="id", subject="s", text="t", html="<p>t</p>", sms="t")
    channel.abort()  # before send() has connected: the race, made certain
    error = ended_with(lambda: channel.send("warga@example.org", content, "key"))
    assert isinstance(error, DeliveryError), error
    # The failed send closed the channel, which forgets the abort: the next
    # connection is not cut (a greeting server would be spoken to normally).
    assert channel._aborted is False


def test_an_abort_while_connecting_cuts_a_gateway_call_once_connected(silent_server):
    """The same race for the SMS gateway."""
    gateway = sms_module.SmsGateway(f"http://127.0.0.1:{silent_server}/send", None, 3600)
    gateway.abort()
    error = ended_with(lambda: gateway.send("+6281234567890", "x", "key"))
    assert isinstance(error, DeliveryError), error
