"""Outbox delivery benchmark (issue 11 "Measure"; PERFORMANCE.md rules:
ratios against a reference measured in the same run).

Per channel (email to a local aiosmtpd, SMS to the fake gateway of
``tests/notify/servers.py``, both on 127.0.0.1 in this process):

* reference: the channel alone sending the same composed message N times
  over one connection (no database, no composing): the limit;
* throughput: one worker (``Worker.run_once``) delivering N committed
  messages (claim, read, compose, decrypt the contact, send, mark and
  commit per message); messages/s and the ratio to the reference;
* lag: a producer commits messages at half the measured throughput while
  ``run_forever`` runs (default poll ``OUTBOX_POLL_SECONDS``); p50/p95 of
  ``sent_at - created_at`` (commit to send).

    .venv/bin/python bench/outbox_bench.py [--messages 500] [--runs 3]
        [--database-url postgresql://postgres@127.0.0.1:5432/outbox_bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(url: str | None):
    tmp = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    os.environ.update({"PORTAL_INSTANCE_PATH": str(tmp), "PORTAL_ENV": "development"})
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import database_url
    from portal.db import transaction
    from portal.regions.loader import load_regions

    over = {"SQLALCHEMY_DATABASE_URI": database_url(url, tmp)} if url else {}
    app = create_app(over)
    with app.app_context():
        if url:
            from sqlalchemy import text

            from portal.extensions import db

            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        with transaction():
            load_regions()
    return app


def add_messages(ticket_id: int, n: int) -> None:
    from portal.db import transaction
    from portal.extensions import db
    from portal.tickets.models import OutboxMessage, Ticket

    with transaction():
        ticket = db.session.get(Ticket, ticket_id)
        now = dt.datetime.now(dt.UTC)
        messages = [OutboxMessage.for_ticket("ticket.message", ticket, now) for _ in range(n)]
        db.session.add_all(messages)


def one_channel(app, name: str, receiver_url: str, contact: str, n: int) -> dict:
    from sqlalchemy import delete, select

    from portal.db import stored_utc, transaction
    from portal.extensions import db
    from portal.notify.messages import compose
    from portal.notify.worker import Worker
    from portal.tickets.models import OutboxMessage, Ticket
    from tests.tickets import answers, submit

    key = "SMTP_URL" if name == "email" else "SMS_GATEWAY_URL"
    config = dict(app.config, **{key: receiver_url, "SMS_GATEWAY_TOKEN": "t"})
    keyring = app.extensions["keyring"]
    ticket_id = submit(keyring, answers(reporter_contact=contact)).ticket_id
    worker = Worker(config, keyring)
    with transaction():
        db.session.execute(delete(OutboxMessage))

    # Reference: the channel alone, the same message, one connection.
    add_messages(ticket_id, 1)
    message = db.session.scalars(select(OutboxMessage)).one()
    ticket = db.session.get(Ticket, ticket_id)
    content = compose(message, ticket, keyring=keyring, base_url=config["PUBLIC_BASE_URL"])
    channel = worker.email if name == "email" else worker.sms
    to = contact if name == "email" else "+6281234567890"
    started = time.perf_counter()
    for i in range(n):
        if name == "email":
            channel.send(to, content, f"ref-{i}")
        else:
            channel.send(to, content.sms, f"ref-{i}")
    reference = n / (time.perf_counter() - started)
    channel.close()
    with transaction():
        db.session.execute(delete(OutboxMessage))

    # Throughput: one worker, N committed messages.
    add_messages(ticket_id, n)
    started = time.perf_counter()
    counts = worker.run_once()
    throughput = counts.sent / (time.perf_counter() - started)
    with transaction():
        db.session.execute(delete(OutboxMessage))

    # Lag under load: commits at half the throughput while the worker runs.
    loop = Worker(config, keyring)

    def run() -> None:
        with app.app_context():
            loop.run_forever()

    thread = threading.Thread(target=run)
    thread.start()
    rate, burst = throughput / 2, 5
    for _ in range(n // burst):
        add_messages(ticket_id, burst)
        time.sleep(burst / rate)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.expire_all()
        left = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)))
        if left is None:
            break
        time.sleep(0.1)
    loop.stop.set()
    thread.join()
    rows = db.session.execute(select(OutboxMessage.created_at, OutboxMessage.sent_at)).all()
    lags = sorted((stored_utc(s) - stored_utc(c)).total_seconds() for c, s in rows)
    with transaction():
        db.session.execute(delete(OutboxMessage))
    return {
        "reference": reference,
        "throughput": throughput,
        "ratio": throughput / reference,
        "lag_p50": lags[len(lags) // 2],
        "lag_p95": lags[int(len(lags) * 0.95) - 1],
        "offered": rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    from tests.notify.servers import SmsGateway, SmtpServer

    app = setup(args.database_url)
    smtp, gateway = SmtpServer(), SmsGateway()
    smtp.start()
    gateway.start()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"backend {backend}, {args.messages} messages per run, median of {args.runs} runs")
    try:
        with app.app_context():
            for name, url, contact in (
                ("email", smtp.url + "?starttls=0", "warga@example.org"),
                ("sms", gateway.url, "081234567890"),
            ):
                runs = [
                    one_channel(app, name, url, contact, args.messages) for _ in range(args.runs)
                ]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                print(
                    f"{name:5}  reference {med['reference']:8.0f} msg/s  "
                    f"worker {med['throughput']:6.0f} msg/s  ratio {med['ratio']:.2f}x  "
                    f"lag at {med['offered']:.0f} msg/s: p50 {med['lag_p50'] * 1000:.0f} ms, "
                    f"p95 {med['lag_p95'] * 1000:.0f} ms"
                )
    finally:
        smtp.stop()
        gateway.stop()


if __name__ == "__main__":
    main()
