"""Prometheus metrics (portal/metrics.py, portal/metrics_gauges.py, issue 14
§4): refused without the token; counts by route, lookups by outcome, 429s;
the database gauges against hand-made rows; several processes summed."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import delete, update

from portal import metrics
from portal.db import transaction
from portal.extensions import db
from portal.jobs.models import JobRun
from portal.regions.models import Office
from portal.tickets.models import OutboxMessage, Ticket
from tests.live_server import ROOT
from tests.observe.scrape import BEARER, TOKEN, samples, scrape, value
from tests.tickets import NOW, submit
from tests.web.conftest import clean_limits, post_lookup, registry  # noqa: F401 - fixtures


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def test_no_token_configured_means_no_metrics(client):
    assert client.get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "],
)
def test_refused_without_the_right_bearer_token(client, token, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"portal_" not in response.data
    assert "Set-Cookie" not in response.headers


def test_served_with_the_token_uncached_and_without_cookies(client, token):
    response = client.get("/metrics?lang=en", headers=BEARER)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "portal_http_requests_total" in response.get_data(as_text=True)


def test_requests_are_counted_by_route_method_and_status(client, token):
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    before = value(scrape(client), "portal_http_requests_total", **labels)
    for _ in range(3):
        client.get("/healthz")
    assert value(scrape(client), "portal_http_requests_total", **labels) - before == 3


@pytest.mark.usefixtures("db_clean")
def test_lookups_by_outcome(client, token, registry):  # noqa: F811 - the fixture
    head = registry["first"][0]
    before = scrape(client)
    post_lookup(client, head["nik"], head["full_name"])
    post_lookup(client, head["nik"], "Someone Else")
    post_lookup(client, head["nik"], "Someone Else")
    post_lookup(client, "12", head["full_name"])
    after = scrape(client)
    deltas = {
        outcome: value(after, "portal_lookups_total", outcome=outcome)
        - value(before, "portal_lookups_total", outcome=outcome)
        for outcome in ("match", "no_match", "invalid", "captcha_failed", "limited")
    }
    assert deltas == {"match": 1, "no_match": 2, "invalid": 1, "captcha_failed": 0, "limited": 0}


def test_429s_are_counted(app, client, token, monkeypatch):
    """Token-less POSTs to /track: counted per address before CSRF refuses them."""
    monkeypatch.setitem(app.config, "TRACK_LIMIT_PER_IP", "2 per hour")
    refused = {"status": "429", "reason": "rate_limit"}
    by_route = {"route": "/track", "method": "POST", "status": "429"}
    before = scrape(client)
    statuses = [client.post("/track").status_code for _ in range(5)]
    after = scrape(client)
    assert statuses == [400, 400, 429, 429, 429]
    assert (
        value(after, "portal_http_refused_total", **refused)
        - value(before, "portal_http_refused_total", **refused)
        == 3
    )
    assert (
        value(after, "portal_http_requests_total", **by_route)
        - value(before, "portal_http_requests_total", **by_route)
        == 3
    )


def test_load_shedding_503s_are_counted(client, token):
    labels = {"status": "503", "reason": "queue_full"}
    before = value(scrape(client), "portal_http_refused_total", **labels)
    metrics.count_shed()
    metrics.count_shed("queue_full")
    assert value(scrape(client), "portal_http_refused_total", **labels) - before == 2


# -- the database gauges, against rows made by hand -----------------------------------------


def _age_between(scraped_before: float, scraped_after: float, then: dt.datetime):
    return pytest.approx(
        (scraped_before + scraped_after) / 2 - then.timestamp(),
        abs=(scraped_after - scraped_before) / 2 + 1,
    )


@pytest.mark.usefixtures("db_clean")
def test_tickets_by_status_and_the_oldest_open_one_per_office(app, client, keyring, token):
    hours = [dt.timedelta(hours=h) for h in (0, 1, 2, 3)]
    with app.app_context():
        ids = [submit(keyring, now=NOW + h).ticket_id for h in hours]
        with transaction():
            # The oldest is closed: the oldest *open* one is the second.
            db.session.execute(update(Ticket).where(Ticket.id == ids[0]).values(status="closed"))
            db.session.execute(update(Ticket).where(Ticket.id == ids[3]).values(status="accepted"))
        office = db.session.get(Office, db.session.get(Ticket, ids[1]).office_id).code
    started = time.time()
    scraped = scrape(client)
    ended = time.time()
    tickets = {
        status: value(scraped, "portal_tickets", status=status)
        for status in ("submitted", "closed", "accepted", "in_review")
    }
    assert tickets == {"submitted": 2, "closed": 1, "accepted": 1, "in_review": 0}
    age = value(scraped, "portal_open_ticket_oldest_age_seconds", office=office)
    assert age == _age_between(started, ended, NOW + hours[1])
    offices = [k for k in scraped if k[0] == "portal_open_ticket_oldest_age_seconds"]
    assert len(offices) == 1  # offices without an open ticket are absent


def _message(status: str, created: dt.datetime) -> OutboxMessage:
    return OutboxMessage(
        event_id=str(uuid.uuid4()),
        topic="test.metrics",
        payload="{}",
        created_at=created,
        attempts=0,
        status=status,
        sent_at=created if status == "sent" else None,
    )


@pytest.mark.usefixtures("db_clean")
def test_outbox_backlog_and_lag(app, client, token):
    t0 = dt.datetime(2026, 3, 16, 3, 0, tzinfo=dt.UTC)
    with app.app_context(), transaction():
        db.session.execute(delete(OutboxMessage))
        db.session.add_all(
            [
                _message("sent", t0 - dt.timedelta(days=2)),  # older, but delivered
                _message("dead", t0 - dt.timedelta(days=1)),  # older, but given up
                _message("retry", t0),  # the oldest still to deliver
                _message("pending", t0 + dt.timedelta(minutes=5)),
                _message("pending", t0 + dt.timedelta(minutes=9)),
            ]
        )
    started = time.time()
    scraped = scrape(client)
    ended = time.time()
    backlog = {
        s: value(scraped, "portal_outbox_messages", status=s)
        for s in ("pending", "retry", "sent", "dead", "skipped")
    }
    assert backlog == {"pending": 2, "retry": 1, "sent": 1, "dead": 1, "skipped": 0}
    assert value(scraped, "portal_outbox_lag_seconds") == _age_between(started, ended, t0)


@pytest.mark.usefixtures("db_clean")
def test_job_last_success_times(app, client, token):
    ok = dt.datetime(2026, 3, 16, 2, 0, tzinfo=dt.UTC)
    failed = dt.datetime(2026, 3, 16, 2, 30, tzinfo=dt.UTC)
    with app.app_context(), transaction():
        db.session.add(JobRun(name="escalate", last_success_at=ok, runs=4, failures=0))
        db.session.add(JobRun(name="retention", last_failure_at=failed, runs=1, failures=1))
    scraped = scrape(client)
    success = "portal_job_last_success_timestamp_seconds"
    assert value(scraped, success, job="escalate") == 1773626400  # 2026-03-16 02:00 UTC
    assert (
        "portal_job_last_success_timestamp_seconds",
        frozenset({("job", "retention")}),
    ) not in scraped
    failure = "portal_job_last_failure_timestamp_seconds"
    assert value(scraped, failure, job="retention") == 1773628200  # 02:30 UTC
    assert value(scraped, "portal_job_failures_total", job="retention") == 1
    assert value(scraped, "portal_metrics_database_up") == 1


# -- several processes (gunicorn workers) ------------------------------------------------------

RECORD = """
import sys
from portal import metrics
for _ in range(int(sys.argv[1])):
    metrics.observe_request("/healthz", "GET", 200, 0.01)
metrics.count_lookup("match")
"""
EXPOSE = "from portal import metrics; import sys; sys.stdout.buffer.write(metrics.exposition())"


def test_several_processes_counts_are_summed(tmp_path):
    """Multiprocess mode: two processes count, a third scrapes their sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in ("3", "4"):
        subprocess.run([sys.executable, "-c", RECORD, n], env=env, cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "-c", EXPOSE], env=env, cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    scraped = samples(out)
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    assert value(scraped, "portal_http_requests_total", **labels) == 7
    assert value(scraped, "portal_lookups_total", outcome="match") == 2


def test_the_probes_carry_the_security_headers(client, token):
    """SECURITY.md IV2 on the machine endpoints too, whatever they answer."""
    answers = [
        client.get("/healthz"),
        client.get("/readyz"),
        client.get("/metrics"),
        client.get("/metrics", headers=BEARER),
    ]
    assert [r.status_code for r in answers] == [200, 200, 401, 200]
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
