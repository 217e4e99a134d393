"""``/readyz`` fails when a dependency stops, and says which (issue 14 §4):
a private PostgreSQL and a private Redis are stopped and started again; the
evidence storage is pointed where nothing can be written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.ratelimit import limiter
from tests.observe.private_services import PrivatePostgres, PrivateRedis
from tests.observe.scrape import TOKEN, scrape, value

ALL_OK = {"database": "ok", "redis": "ok", "storage": "ok"}


@pytest.fixture(scope="module")
def services():
    pg, rd = PrivatePostgres(), None
    try:
        rd = PrivateRedis()
        yield pg, rd
    finally:
        if rd is not None:
            rd.stop()
        pg.remove()


@pytest.fixture(scope="module")
def ready_app(instance_dir, services, tmp_path_factory):
    """An app on the private services. Its ``create_app`` points the one
    process-wide limiter at its own storage: put the session's back."""
    from portal import create_app

    pg, rd = services
    storage, strategy = limiter._storage, limiter._limiter
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": pg.url,
            "UPLOAD_ROOT": str(tmp_path_factory.mktemp("evidence")),
            "METRICS_TOKEN": TOKEN,
        }
    )
    limiter._storage, limiter._limiter = storage, strategy
    app.config["REDIS_URL"] = rd.url  # read by the readiness check only
    return app


def ready(client):
    response = client.get("/readyz")
    assert "Set-Cookie" not in response.headers
    return response.status_code, response.json


def test_ready_when_every_dependency_answers(ready_app):
    assert ready(ready_app.test_client()) == (200, {"status": "ok", "checks": ALL_OK})


def test_postgres_stopped_then_started(ready_app, services, caplog):
    pg, _ = services
    client = ready_app.test_client()
    before = value(scrape(client), "portal_http_refused_total", status="503", reason="unavailable")
    pg.stop()
    try:
        response = client.get("/readyz")
        scraped = scrape(client)  # the scrape itself still answers
    finally:
        pg.start()
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "checks": {**ALL_OK, "database": "failed"}}
    assert str(pg.port) not in response.get_data(as_text=True)  # no host, port or user
    assert value(scraped, "portal_metrics_database_up") == 0
    assert (
        value(scraped, "portal_http_refused_total", status="503", reason="unavailable")
        == before + 1
    )
    [warning] = [r for r in caplog.records if r.name == "portal.readiness"]
    assert warning.event["dependency"] == "database"
    assert str(pg.port) not in str(warning.event)
    assert ready(client) == (200, {"status": "ok", "checks": ALL_OK})  # back when it is


def test_redis_stopped_then_started(ready_app, services):
    _, rd = services
    client = ready_app.test_client()
    rd.stop()
    try:
        status, body = ready(client)
    finally:
        rd.start()
    assert (status, body) == (
        503,
        {"status": "unavailable", "checks": {**ALL_OK, "redis": "failed"}},
    )
    assert ready(client) == (200, {"status": "ok", "checks": ALL_OK})


def _unwritable_places(tmp: Path) -> list[Path]:
    """Below a regular file (no directory can be made there, even by root);
    and, when not root (root writes anywhere), a read-only directory."""
    blocker = tmp / "a-file"
    blocker.write_bytes(b"")
    places = [blocker / "evidence"]
    if os.geteuid() != 0:
        read_only = tmp / "read-only"
        read_only.mkdir(mode=0o500)
        places.append(read_only)
    return places


def test_storage_that_cannot_be_written(ready_app, tmp_path, monkeypatch):
    client = ready_app.test_client()
    for place in _unwritable_places(tmp_path):
        monkeypatch.setitem(ready_app.config, "UPLOAD_ROOT", str(place))
        ready_app.extensions.pop("evidence_storage", None)  # made again from the config
        status, body = ready(client)
        assert (status, body["checks"]) == (503, {**ALL_OK, "storage": "failed"}), place
    ready_app.extensions.pop("evidence_storage", None)
    monkeypatch.undo()
    assert ready(client)[0] == 200


def test_redis_is_checked_only_when_configured(ready_app, monkeypatch):
    monkeypatch.setitem(ready_app.config, "REDIS_URL", None)
    assert ready(ready_app.test_client()) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "storage": "ok"}},
    )


def test_healthz_touches_nothing(ready_app, services):
    """The process answers while its database is down: liveness is not readiness."""
    pg, _ = services
    pg.stop()
    try:
        response = ready_app.test_client().get("/healthz")
    finally:
        pg.start()
    assert (response.status_code, response.json) == (200, {"status": "ok"})
