"""Scale-out (issue 14 "Tests must show"): two app servers on different ports
and two workers sharing one database and one Redis on 127.0.0.1. A rate
limit is shared; references are unique across servers under concurrent
submissions; a ticket claimed on one server cannot be claimed on the other;
each periodic job runs once; both workers stop cleanly on SIGTERM.

One test walks the checks in order on one set of processes (starting four
app processes is the cost; split into tests, pytest-xdist's default
distribution would start them once per xdist worker). Only on
PostgreSQL (DATABASE_URL), the database of every deployment beyond one
machine (DESIGN.md §7): on the SQLite leg the module is skipped (several
processes writing one SQLite file at once answer "database is locked").
Redis: ``TEST_SCALE_REDIS_URL``, by default db 2 of the local server, under
a key prefix of this run's own.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis
from sqlalchemy import delete, select

from portal.db import transaction
from portal.extensions import db
from portal.jobs.models import JobRun
from portal.jobs.schedule import JOBS
from portal.tickets.models import OutboxMessage, Ticket
from tests.live_server import SIXTEEN_DIGITS
from tests.office import queue_fixtures as fx
from tests.scale.cluster import (
    START_WAIT,
    HttpClient,
    Process,
    environment,
    flask_worker,
    gunicorn,
    wait_until_up,
)
from tests.services import missing
from tests.staff.conftest import Clock, log_in, make_staff, token
from tests.web import journeys

REDIS_URL = os.environ.get("TEST_SCALE_REDIS_URL", "redis://127.0.0.1:6379/2")
LOOKUP_LIMIT = 4
tickets = fx.tickets
pytestmark = pytest.mark.usefixtures("db_clean")


@dataclass
class Cluster:
    servers: list[tuple[Process, str]]
    workers: list[Process]

    @property
    def urls(self) -> list[str]:
        return [url for _, url in self.servers]


def _redis_or_missing() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        missing("Redis", f"at {REDIS_URL}")


@pytest.fixture
def cluster(app, tmp_path_factory):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("several app servers and workers: PostgreSQL (DATABASE_URL)")
    _redis_or_missing()
    with app.app_context(), transaction():
        db.session.execute(delete(JobRun))  # every job due at once
    folder = tmp_path_factory.mktemp("scale")
    env = environment(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=REDIS_URL,
        PORTAL_RATELIMIT_PREFIX=f"scale-{secrets.token_hex(4)}",
        PORTAL_LOOKUP_LIMIT_PER_IP=f"{LOOKUP_LIMIT} per hour",
        JOBS_POLL_SECONDS="0.2",
        OUTBOX_POLL_SECONDS="0.2",
    )
    servers = [gunicorn(f"server{i}", env, folder) for i in (1, 2)]
    workers = [flask_worker(f"worker{i}", env, folder) for i in (1, 2)]
    started = Cluster(servers, workers)
    try:
        for server, url in servers:
            wait_until_up(server, url)
        with app.app_context():
            _wait_for_every_job(workers)
        yield started
    finally:
        for worker in workers:
            worker.signal(signal.SIGTERM)
        for server, _url in servers:
            server.signal(signal.SIGINT)  # gunicorn's quick shutdown
        for process in [*workers, *(s for s, _ in servers)]:
            process.wait()


def _wait_for_every_job(workers: list[Process]) -> None:
    """Until each job of the schedule has run and finished (once the workers
    are up, the first rounds run them all): before any other test, so none
    of them races a job."""
    give_up = time.monotonic() + START_WAIT
    while True:
        db.session.expire_all()
        rows = {r.name: r for r in db.session.scalars(select(JobRun))}
        db.session.rollback()
        done = [
            r
            for r in rows.values()
            if r.lease_owner is None and (r.last_success_at or r.last_failure_at)
        ]
        if len(done) == len(JOBS):
            return
        for worker in workers:
            worker.check_alive()
        if time.monotonic() > give_up:
            raise RuntimeError(f"jobs not run: {workers[0].log()[-2000:]}")
        time.sleep(0.2)


def _events(process: Process, name: str) -> list[dict]:
    found = []
    for line in process.log().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == name:
            found.append(record)
    return found


def test_two_servers_and_two_workers_on_one_database_and_one_redis(app, cluster, tickets):
    with app.app_context():
        check_each_periodic_job_runs_once(cluster)
    check_a_rate_limit_is_shared(cluster)
    check_a_ticket_claimed_on_one_server_cannot_be_claimed_on_the_other(app, cluster, tickets)
    with app.app_context():
        check_references_are_unique_under_concurrent_submissions(cluster)
    check_both_workers_stop_cleanly_on_sigterm(cluster)
    check_no_log_line_holds_a_nik(cluster)


def check_no_log_line_holds_a_nik(cluster):
    """LG2 over the four processes' own logs (caplog sees only this process)."""
    for process in [*cluster.workers, *(server for server, _ in cluster.servers)]:
        text = process.log() + process.out.read_text(errors="replace")
        assert text.strip(), f"{process.name} logged nothing: the check would be vacuous"
        assert not SIXTEEN_DIGITS.search(text), f"16-digit run in {process.name}'s log"


def check_each_periodic_job_runs_once(cluster):
    # Both workers are polling every 0.2 s (their "jobs_started" comes
    # before their first round); give them a few more rounds to run a job twice.
    for worker in cluster.workers:
        assert len(_events(worker, "jobs_started")) == 1
    time.sleep(1.0)

    db.session.expire_all()
    rows = {r.name: r for r in db.session.scalars(select(JobRun))}
    assert sorted(rows) == sorted(job.name for job in JOBS)
    assert {name: r.runs for name, r in rows.items()} == {job.name: 1 for job in JOBS}
    started = [e["job"] for w in cluster.workers for e in _events(w, "job_started")]
    assert sorted(started) == sorted(job.name for job in JOBS)  # each once, in both logs together


def _post_lookup(url: str) -> int:
    """A lookup POST without a CSRF token: refused (400) but counted per address."""
    request = urllib.request.Request(url + "/lookup", data=b"nik=1&name=x", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def check_a_rate_limit_is_shared(cluster):
    a, b = cluster.urls
    codes = [_post_lookup(a if i % 2 == 0 else b) for i in range(LOOKUP_LIMIT + 2)]
    assert codes == [400] * LOOKUP_LIMIT + [429, 429]


def _submit(url: str) -> str:
    with HttpClient(url) as client:
        check = journeys.answer_up_to_check(client, "proposal", "other_household", files=0)
        sent, _key = journeys.send(client, "proposal", check)
    assert sent.status_code == 200, sent.text[:500]
    return journeys.REFERENCE.search(sent.text).group(0)


def check_references_are_unique_under_concurrent_submissions(cluster):
    per_server = 5
    targets = cluster.urls * per_server
    with ThreadPoolExecutor(max_workers=2 * per_server) as pool:
        references = list(pool.map(_submit, targets))

    assert len(references) == 2 * per_server
    assert len(set(references)) == len(references)
    stored = db.session.scalars(select(Ticket.reference).where(Ticket.reference.in_(references)))
    assert sorted(stored) == sorted(references)
    # The workers deliver each one's notification (no gateway here: marked skipped).
    ids = select(Ticket.id).where(Ticket.reference.in_(references))
    give_up = time.monotonic() + START_WAIT
    while True:
        db.session.expire_all()
        statuses = list(
            db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.ticket_id.in_(ids)))
        )
        db.session.rollback()
        if (statuses and "pending" not in statuses) or time.monotonic() > give_up:
            break
        time.sleep(0.2)
    assert len(statuses) >= len(references)
    assert set(statuses) == {"skipped"}


def _claim(client: HttpClient, csrf: str) -> str | None:
    """Claim-next; the claimed ticket's reference, None when none is left."""
    answer = client.post("/office/claim-next", data={"csrf_token": csrf})
    assert answer.status_code == 303, answer.text[:500]
    where = answer.headers["Location"]
    return None if where.rstrip("/").endswith("/office") else where.rsplit("/", 1)[1]


def check_a_ticket_claimed_on_one_server_cannot_be_claimed_on_the_other(app, cluster, tickets):
    # Bandung's office: no other ticket of this test (submissions go to Bogor).
    first, second = (make_staff(app, "handler", office=fx.BANDUNG) for _ in range(2))
    place = {"office": fx.BANDUNG, "village": fx.BANDUNG_VILLAGE}
    clients = [HttpClient(url) for url in cluster.urls]
    for client, account in zip(clients, (first, second), strict=True):
        assert log_in(client, account, Clock()).status_code == 303
    csrf = [token(client, "/office/") for client in clients]

    only = tickets.add(**place)
    assert _claim(clients[0], csrf[0]) == only
    assert _claim(clients[1], csrf[1]) is None
    assert tickets.get(only).assignee_id == first.id

    # Both at once, on both servers, until none is left: each ticket to one.
    references = tickets.add_many([place for _ in range(8)])
    got: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def claim_all(i: int) -> None:
        barrier.wait(timeout=30)
        while (reference := _claim(clients[i], csrf[i])) is not None:
            got[i].append(reference)

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in clients:
        client.session.close()

    assert sorted(got[0] + got[1]) == sorted(references)  # none twice, none left out
    for account, mine in zip((first, second), got, strict=True):
        assert {tickets.get(r).assignee_id for r in mine} <= {account.id}


def check_both_workers_stop_cleanly_on_sigterm(cluster):
    for worker in cluster.workers:
        worker.signal(signal.SIGTERM)
    codes = [worker.wait() for worker in cluster.workers]
    assert codes == [0, 0]
    for worker in cluster.workers:
        assert len(_events(worker, "jobs_stopped")) == 1
        assert len(_events(worker, "outbox_stopped")) == 1
