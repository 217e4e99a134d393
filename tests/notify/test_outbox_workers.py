"""Workers that die and workers that race.

* A worker process killed between sending and marking: the message is sent
  once more with the same idempotency key after the lease expires, and the
  gateway drops the repeat.
* Two workers at once (PostgreSQL, separate connections): every message is
  sent exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.db import is_sqlite, transaction
from portal.extensions import db
from portal.notify import outbox
from portal.notify.worker import Worker
from portal.tickets.models import OutboxMessage, Ticket
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway
ROOT = Path(__file__).resolve().parents[2]

#: A worker that dies (os._exit, no cleanup) right after its first send.
CRASHING_WORKER = """
import os
from portal import create_app
from portal.db import keyring
from portal.notify import worker

app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": os.environ["TEST_DB_URI"]})
with app.app_context():
    config = dict(app.config, SMS_GATEWAY_URL=os.environ["TEST_GATEWAY_URL"])
    worker.after_send_hook = lambda event_id: os._exit(17)
    worker.Worker(config, keyring()).run_once()
os._exit(0)
"""


def test_a_worker_killed_after_sending_sends_once_more_and_the_repeat_is_dropped(
    app, app_ctx, keyring, sms_gateway
):
    submit(keyring, answers(reporter_contact="081234567890"))
    env = dict(
        os.environ,
        TEST_DB_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        TEST_GATEWAY_URL=sms_gateway.url,
    )

    died = subprocess.run(
        [sys.executable, "-c", CRASHING_WORKER], cwd=ROOT, env=env, timeout=120, check=False
    )

    assert died.returncode == 17
    [row] = db.session.scalars(select(OutboxMessage))
    assert (row.status, row.attempts, row.sent_at) == ("pending", 0, None)
    assert row.claimed_by is not None  # the dead worker's lease, still running
    assert len(sms_gateway.requests) == 1

    lease = app.config["OUTBOX_LEASE_SECONDS"]
    now = dt.datetime.now(dt.UTC)
    config = worker_config(app, SMS_GATEWAY_URL=sms_gateway.url)
    Worker(config, keyring, clock=lambda: now).run_once()  # the lease still holds
    assert len(sms_gateway.requests) == 1
    later = now + dt.timedelta(seconds=lease + 1)
    Worker(config, keyring, clock=lambda: later).run_once()

    db.session.expire_all()
    [row] = db.session.scalars(select(OutboxMessage))
    # Two tries: the dead worker's expired lease counts one (outbox.expire_abandoned).
    assert (row.status, row.attempts) == ("sent", 2)
    keys = [r["body"]["idempotency_key"] for r in sms_gateway.requests]
    assert keys == [row.event_id, row.event_id]
    assert list(sms_gateway.delivered) == [row.event_id]  # the repeat was dropped


def test_two_workers_at_once_never_send_the_same_message(
    app, app_ctx, keyring, sms_gateway, monkeypatch
):
    if is_sqlite():
        pytest.skip("claims racing on separate connections: PostgreSQL (DATABASE_URL)")
    first = submit(keyring, answers(reporter_contact="081234567890")).ticket_id
    ticket = db.session.get(Ticket, first)
    with transaction():  # 200 more messages about it, without 200 submissions
        for _ in range(200):
            db.session.add(OutboxMessage.for_ticket("ticket.message", ticket, NOW))
    config = worker_config(app, SMS_GATEWAY_URL=sms_gateway.url, OUTBOX_BATCH=5)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    # Every round, both workers claim at the same moment (same snapshot): a
    # claim that did not lock or re-check would hand both the same messages.
    together, real_claim = threading.Barrier(2), outbox.claim

    def claim_together(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=5)  # broken once the other worker has finished
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim", claim_together)

    def work() -> None:
        try:
            with app.app_context():  # its own session and connection
                worker = Worker(config, app.extensions["keyring"])
                start.wait()
                worker.run_once()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    keys = [r["body"]["idempotency_key"] for r in sms_gateway.requests]
    assert len(keys) == 201
    assert len(set(keys)) == 201  # no message sent twice
    db.session.expire_all()
    statuses = set(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}
    workers = {p[1] for p in sms_gateway.peers}
    assert len(workers) >= 2  # both took part (one connection each, kept alive)
