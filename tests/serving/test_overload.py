"""SECURITY.md RE7: a bounded wrk run on 127.0.0.1 at twice the capacity
measured just before, against gunicorn with gunicorn.conf.py (2 workers × 4
threads, load shedding): every answer is 200, 429 or 503, every 429 and 503
carries Retry-After, no socket error; two residents sending proposals
through the overloaded server the whole time get only those answers (and
the journey's redirects), and every request the server acknowledged is a
ticket afterwards; the server's memory stays flat.

Capacity is what a closed loop of as many connections as threads gets
through (an odd request may be shed when the connections bunch up on one
worker); "twice" is 64 connections, each sending on a fixed
schedule, that together offer twice that (tests/serving/load.lua)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.tickets.models import Ticket
from tests.services import missing
from tests.serving.gunicorn_server import Gunicorn
from tests.serving.overload import Resident, wrk

WORKERS, THREADS = 2, 4
CONNECTIONS, SECONDS = 64, 6
#: Flat memory: the floor of the run's last third (its lowest sample) within
#: this of its first third's. Floors, not peaks: each upload's image work
#: makes a spike of tens of MB that is given back at once; growth that stays
#: (a leak, a queue without bound) raises the floor.
RSS_SLACK = 1.10


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    log = tmp_path_factory.mktemp("re7") / "gunicorn.log"
    server = Gunicorn(log, workers=WORKERS, threads=THREADS, PORTAL_SHED_RETRY_AFTER="1")
    yield server
    server.stop()


def sample_rss(server: Gunicorn, until: threading.Event, into: list[int]) -> None:
    while not until.wait(0.25):
        into.append(server.rss_kib())


def test_twice_capacity_gives_only_200_429_503_and_keeps_every_ticket(app, server, db_clean):
    try:
        capacity = wrk(server.url, connections=WORKERS * THREADS, seconds=3, pace_ms=0)
    except FileNotFoundError as exc:
        missing("wrk", str(exc))
    assert set(capacity["statuses"]) <= {"200", "429", "503"}, capacity
    pace_ms = max(1, round(CONNECTIONS * 1000 / (2 * capacity["rate"])))

    stop, done, rss = threading.Event(), threading.Event(), []
    residents = [Resident(server.url, stop) for _ in range(2)]
    sampler = threading.Thread(target=sample_rss, args=(server, done, rss), daemon=True)
    for thread in (*residents, sampler):
        thread.start()
    overload = wrk(server.url, connections=CONNECTIONS, seconds=SECONDS, pace_ms=pace_ms)
    done.set()
    stop.set()
    sampler.join()
    for resident in residents:
        resident.join(120)

    print(f"capacity {capacity}\noverload at pace {pace_ms} ms: {overload}\nrss {rss}")
    assert set(overload["statuses"]) <= {"200", "429", "503"}
    assert overload["statuses"].get("503", 0) > 0  # it was overloaded, and shed
    assert overload["no_retry_after"] == 0
    assert overload["errors"] == {"connect": 0, "read": 0, "write": 0, "timeout": 0}

    answers = [a for r in residents for a in r.answers]
    assert [r.failure for r in residents] == [None, None]
    assert {status for status, _ in answers} <= {200, 302, 303, 429, 503}
    assert all(retry for status, retry in answers if status in (429, 503))
    keys = [key for r in residents for key in r.acknowledged]
    assert keys, "no request was acknowledged"
    with app.app_context():
        stored = select(func.count()).where(Ticket.idempotency_key.in_(keys))
        assert db.session.scalar(stored) == len(keys)

    third = len(rss) // 3
    assert min(rss[-third:]) <= min(rss[:third]) * RSS_SLACK, rss
