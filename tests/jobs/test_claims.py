"""A job's run is claimed once (``portal.jobs.runs``): two claimers at the
same moment, one wins; a lease that expired (its worker died) is taken over;
a job not yet due is left alone; a run whose lease was lost records nothing.
Expected values are worked out by hand from the times below."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from portal.db import stored_utc, transaction
from portal.extensions import db
from portal.jobs import runs
from portal.jobs.models import JobRun

pytestmark = pytest.mark.usefixtures("db_clean")
T0 = dt.datetime(2026, 3, 17, 3, 0, tzinfo=dt.UTC)
LEASE = 60
HOUR = 3600


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def claim(name: str, owner: str, seconds: float) -> bool:
    with transaction():
        return runs.claim(name, owner, at(seconds), LEASE)


def finish(name: str, owner: str, started: float, ended: float, error: str | None = None) -> bool:
    with transaction():
        return runs.finish(
            name,
            owner,
            started=at(started),
            now=at(ended),
            interval_seconds=HOUR,
            error=error,
            retry_seconds=600,
        )


def row(name: str) -> JobRun:
    db.session.expire_all()
    return db.session.scalar(select(JobRun).where(JobRun.name == name))


def test_two_claimers_at_the_same_moment_one_wins(app_ctx):
    with transaction():
        runs.ensure(["escalate"])
    assert claim("escalate", "a", 0) is True
    assert claim("escalate", "b", 0) is False
    r = row("escalate")
    assert (r.lease_owner, stored_utc(r.lease_until), r.runs) == ("a", at(LEASE), 1)


def test_ensure_keeps_existing_rows(app_ctx):
    with transaction():
        runs.ensure(["escalate"])
    claim("escalate", "a", 0)
    with transaction():
        runs.ensure(["escalate", "refresh"])
    assert row("escalate").lease_owner == "a"
    assert (row("refresh").runs, row("refresh").lease_owner) == (0, None)


def test_an_expired_lease_is_taken_over_and_the_old_run_records_nothing(app_ctx):
    with transaction():
        runs.ensure(["refresh"])
    assert claim("refresh", "dead", 0)
    assert claim("refresh", "b", LEASE - 1) is False  # still held
    assert claim("refresh", "b", LEASE) is True  # expired: due all along
    assert finish("refresh", "dead", 0, LEASE + 5) is False  # lost: not written
    r = row("refresh")
    assert (r.lease_owner, r.runs, r.last_success_at) == ("b", 2, None)
    assert finish("refresh", "b", LEASE, LEASE + 10) is True
    r = row("refresh")
    assert (r.lease_owner, r.lease_until) == (None, None)
    assert stored_utc(r.last_success_at) == at(LEASE + 10)
    assert stored_utc(r.next_run_at) == at(LEASE + HOUR)  # from its start
    assert r.last_duration_ms == 10_000


def test_not_due_until_its_interval_from_the_last_start(app_ctx):
    with transaction():
        runs.ensure(["escalate"])
    claim("escalate", "a", 0)
    finish("escalate", "a", 0, 30)
    assert claim("escalate", "b", HOUR - 1) is False
    assert claim("escalate", "b", HOUR) is True
    assert row("escalate").runs == 2


def test_a_failure_is_recorded_and_tried_again_sooner(app_ctx):
    with transaction():
        runs.ensure(["retention"])
    claim("retention", "a", 0)
    assert finish("retention", "a", 0, 2, error="NotImplementedError: later") is True
    r = row("retention")
    assert (r.failures, r.runs, r.last_success_at) == (1, 1, None)
    assert r.last_error == "NotImplementedError: later"
    assert stored_utc(r.last_failure_at) == at(2)
    assert stored_utc(r.next_run_at) == at(602)  # retry (600 s) before the hour
    assert claim("retention", "b", 601) is False
    assert claim("retention", "b", 602) is True


def test_many_claimers_on_separate_connections_one_wins_each_round(app):
    """Threads with their own sessions race for the same rows at once."""
    names = [f"race-{i}" for i in range(10)]
    with app.app_context(), transaction():
        runs.ensure(names)
    wins: dict[str, list[str]] = {name: [] for name in names}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def racer(owner: str) -> None:
        try:
            with app.app_context():
                for name in names:
                    barrier.wait(timeout=30)
                    if claim(name, owner, 0):
                        wins[name].append(owner)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert [len(won) for won in wins.values()] == [1] * 10
    with app.app_context():
        assert {row(name).runs for name in names} == {1}
