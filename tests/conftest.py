"""Test fixtures.

The suite runs against SQLite by default and against PostgreSQL when
``DATABASE_URL`` points at one (CI does both). The database is migrated to
head once per session with Alembic (never ``create_all``) and regions are
loaded; ``db_clean`` empties everything but regions and offices after a test.

Under pytest-xdist (``-n 2``) each worker has its own instance folder (its
own SQLite file: ``tmp_path_factory`` is per worker) and, on PostgreSQL, its
own database: ``<name>_gw0``, ``<name>_gw1``… created beside the one
``DATABASE_URL`` names, which the worker then uses (``pytest_configure``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from tests.services import missing

#: Fixtures shared across folders: ``servers`` (real server processes).
pytest_plugins = ["tests.live_server"]

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
REGION_TABLES = {"regions", "offices", "alembic_version"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_configure(config) -> None:
    """An xdist worker on PostgreSQL: point ``DATABASE_URL`` (read by the app,
    and by the servers tests start) at a database of this worker's own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("DATABASE_URL") or ""
    if worker and url.startswith("postgres"):
        os.environ["DATABASE_URL"] = _worker_database(url, worker)


def _worker_database(url: str, worker: str) -> str:
    """``url``'s database name + ``_<worker>``, created (empty) if missing."""
    from sqlalchemy import make_url

    from portal.config import database_url

    base = make_url(database_url(url, Path("/nonexistent")))
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    from portal.config import database_url

    engine = create_engine(database_url(url, Path("/nonexistent")))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_argon2_for_the_suite():
    """Argon2id at its smallest cost (8 KiB, one pass, one lane) for every
    hash the suite makes in this process; yields the production hasher.

    At the production cost (64 MiB, 3 passes, 4 lanes: SECURITY.md AU1) one
    hash takes 0.25 s on an idle core and over a second on CI's two busy ones,
    and every submission hashes a PIN: measured on a third of the suite, Argon2
    was 54% of the tests' time (docs/testing.md, "CI time"). Verification reads
    the cost from the hash, so nothing else changes. The production cost is
    checked by tests/test_argon2_cost.py (``real_argon2``), and servers the
    tests start in a process of their own (tests/live_server.py) hash at it."""
    from argon2 import PasswordHasher

    from portal import crypto

    real = crypto._argon2
    crypto._argon2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _clear_dummy_hashes()
    yield real
    crypto._argon2 = real
    _clear_dummy_hashes()


def _clear_dummy_hashes() -> None:
    """The dummy hashes an unknown email or reference is checked against are
    made once per process: make them again at the cost now in force."""
    from portal.staff import login
    from portal.tickets import references

    login._dummy_hash.cache_clear()
    references._dummy_hash.cache_clear()


@pytest.fixture
def real_argon2(cheap_argon2_for_the_suite, monkeypatch):
    """The production Argon2 cost for one test (hashes are slow again)."""
    from portal import crypto

    monkeypatch.setattr(crypto, "_argon2", cheap_argon2_for_the_suite)
    _clear_dummy_hashes()
    yield cheap_argon2_for_the_suite
    monkeypatch.undo()
    _clear_dummy_hashes()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    os.environ["PORTAL_INSTANCE_PATH"] = str(path)
    os.environ["PORTAL_ENV"] = "testing"
    return path


@pytest.fixture(scope="session")
def app(instance_dir):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        _reset_postgres(url)
    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import transaction
    from portal.regions.loader import load_regions

    app = create_app({"ENV_NAME": "testing"})
    app.jinja_env.undefined = __import__("jinja2").StrictUndefined
    with app.app_context():
        upgrade()
        with transaction():
            load_regions()
    yield app


@pytest.fixture
def app_ctx(app):
    with app.app_context() as ctx:
        yield ctx


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def keyring(app):
    return app.extensions["keyring"]


@pytest.fixture
def db_clean(app):
    """Empty every table except regions and offices after the test."""
    yield
    from portal.audit.guard import unguarded
    from portal.extensions import db

    with app.app_context():
        db.session.rollback()
        with unguarded():  # audit_log refuses DELETE otherwise
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REGION_TABLES:
                    db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture(autouse=True)
def no_nik_in_logs(caplog):
    """SECURITY.md LG2: fail any test that logs a 16-digit run."""
    caplog.set_level(logging.INFO)
    yield
    for record in caplog.records:
        line = record.getMessage() + " " + str(getattr(record, "event", ""))
        if record.exc_text:
            line += record.exc_text
        assert not SIXTEEN_DIGITS.search(line), f"16-digit run in log: {record.name}"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def needs_redis():
    """Skip without a Redis server, except in CI, where it must be there."""
    if not _redis_available():
        missing("Redis", f"at {REDIS_URL}")


@pytest.fixture(autouse=True)
def one_limiter_storage():
    """Flask-Limiter's ``limiter`` is one object per process, and every
    ``create_app`` points it at that app's storage. A test that builds an app
    of its own (production settings, a Redis URL) would leave the next tests
    limiting through that storage, and their ``limiter.reset()`` clearing a
    shared Redis: put the storage back after each test."""
    from portal.ratelimit import limiter

    storage, strategy = getattr(limiter, "_storage", None), getattr(limiter, "_limiter", None)
    yield
    if storage is not None and limiter._storage is not storage:
        limiter._storage, limiter._limiter = storage, strategy
