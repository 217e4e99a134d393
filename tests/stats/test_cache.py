"""The per-process cache of /stats figures: reused within its time, read
again after it, never when the time is 0 (the tests' setting)."""

from __future__ import annotations

from portal.stats import cache
from tests.office import performance_fixtures as pf
from tests.stats.conftest import add_tickets, refresh


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def submitted(app, clock, ttl) -> int | None:
    with app.app_context():
        return cache.load("national", ttl, clock).figures["submitted"].value


def test_reused_for_its_time_then_read_again(app, refreshed):
    cache.clear()
    clock = Clock()
    assert submitted(app, clock, 60) == 11
    add_tickets(app, refreshed, pf.JAKARTA_OFFICE, pf.JAKARTA, "objection", 5)
    refresh(app)
    clock.now += 59
    assert submitted(app, clock, 60) == 11  # the cached figures
    assert submitted(app, clock, 0) == 16  # no cache: read now
    clock.now += 1
    assert submitted(app, clock, 60) == 16
    cache.clear()


def test_unknown_scopes_are_not_kept(app, refreshed):
    cache.clear()
    with app.app_context():
        assert cache.load("nowhere", 60) is None
    assert cache._entries == {}
