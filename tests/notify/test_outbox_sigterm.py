"""SIGTERM to the long-running worker (``flask --app app outbox run``, a real
process on the test database with the fake SMS gateway): it stops cleanly,
exit code 0, when idle and while a slow message is being sent. The message in
flight is finished and marked sent (not lost, not sent again); the rest of
its batch is given back at once for the next worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notify.worker import Worker
from portal.tickets.models import OutboxMessage
from tests.notify import servers
from tests.notify.servers import TOKEN, worker_config
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway
ROOT = Path(__file__).resolve().parents[2]
#: Bounds for waiting, not timings under test: generous on a loaded machine.
START_WAIT, STOP_WAIT = 60, 15


def start_worker(app, gateway, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    env = dict(
        os.environ,  # PORTAL_ENV=testing and the instance folder (the keys), from conftest
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SMS_GATEWAY_URL=gateway.url,
        SMS_GATEWAY_TOKEN=TOKEN,
    )
    env.pop("SMTP_URL", None)
    err = tmp_path / "worker.err"
    with (tmp_path / "worker.out").open("wb") as out, err.open("wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "outbox", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=errors,
        )
    return proc, err


def wait_for(condition, proc: subprocess.Popen, err: Path) -> None:
    """Poll until ``condition()``; fail if the worker exits or it takes too long."""
    give_up = time.monotonic() + START_WAIT
    while not condition():
        if proc.poll() is not None or time.monotonic() > give_up:
            proc.kill()
            pytest.fail(f"worker not ready (exit {proc.poll()}): {err.read_text()[-2000:]}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen, tmp_path: Path) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the worker did not stop on SIGTERM")
    assert code == 0, (tmp_path / "worker.err").read_text()[-2000:]
    return (tmp_path / "worker.out").read_text()


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_sigterm_while_idle_exits_0(app, app_ctx, sms_gateway, tmp_path):
    proc, err = start_worker(app, sms_gateway, tmp_path)
    # The "started" log comes after the signal handlers are in place.
    wait_for(lambda: "outbox_started" in err.read_text(), proc, err)

    out = stop(proc, tmp_path)

    assert "outbox: sent 0," in out
    assert "outbox_stopped" in err.read_text()
    assert sms_gateway.requests == []


def test_sigterm_while_sending_finishes_that_one_and_gives_back_the_rest(
    app, app_ctx, keyring, sms_gateway, tmp_path
):
    for last in "123":
        submit(keyring, answers(reporter_contact=f"08123456789{last}"))
    sms_gateway.delay = 1.0  # time enough to be stopped in the middle of the first
    proc, err = start_worker(app, sms_gateway, tmp_path)
    wait_for(sms_gateway.arrived.is_set, proc, err)

    out = stop(proc, tmp_path)

    assert "outbox: sent 1," in out
    [first_key] = [r["body"]["idempotency_key"] for r in sms_gateway.requests]
    by_key = {row.event_id: row for row in rows()}
    in_flight = by_key.pop(first_key)
    assert (in_flight.status, in_flight.attempts) == ("sent", 1)
    assert in_flight.claimed_by is None and in_flight.sent_at is not None
    assert len(by_key) == 2
    for row in by_key.values():  # given back: untried, unclaimed, due now
        assert (row.status, row.attempts) == ("pending", 0)
        assert (row.claimed_by, row.claimed_until) == (None, None)

    # The next worker takes them at once (no lease to wait for) and not the sent one.
    sms_gateway.delay = 0
    config = worker_config(app, SMS_GATEWAY_URL=sms_gateway.url)
    Worker(config, keyring).run_once()

    keys = [r["body"]["idempotency_key"] for r in sms_gateway.requests]
    assert keys[0] == first_key
    assert sorted(keys[1:]) == sorted(by_key)
    assert {row.status for row in rows()} == {"sent"}
