"""Fixtures for the public pages: registry data, CSRF tokens, clean limits."""

from __future__ import annotations

import re

import pytest

from portal.ratelimit import limiter
from portal.registry.importer import import_snapshot
from tests.factories import household, write_csv

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(autouse=True)
def clean_limits(app):
    """Every test starts with empty rate-limit counters."""
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture
def registry(app, tmp_path, db_clean):
    """Two imported households; returns their CSV rows."""
    first = household("3201011503100001", 1)
    second = household("3201011503100002", 2, desil="", programs="")
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", first + second), None)
    return {"first": first, "second": second}


def csrf_token(client, path="/lookup") -> str:
    page = client.get(path)
    match = CSRF.search(page.data)
    assert match, "no CSRF token on the page"
    return match.group(1).decode()


def post_lookup(
    client, nik: str, name: str, ip: str = "198.51.100.7", *, follow: bool = True, **extra
):
    """POST the lookup form; by default follow its redirect to the result page
    (``follow=False``: the POST's own response)."""
    data = {"csrf_token": csrf_token(client), "nik": nik, "name": name, **extra}
    return client.post(
        "/lookup", data=data, environ_base={"REMOTE_ADDR": ip}, follow_redirects=follow
    )
