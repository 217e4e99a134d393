"""Alembic migrations build the schema from an empty database, on SQLite and on
PostgreSQL, and leave it exactly as the models describe it (STYLE.md: "a test
checks the models match the migrations").

Each test gets its own empty database: a file under ``tmp_path`` for SQLite, a
fresh ``portal_t_mig_<random>`` database for PostgreSQL (never the ``test``
database the session ``app`` fixture owns). The PostgreSQL cases run on both CI
legs when a server is reachable; they skip without one, except under ``CI``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.config import ROOT, database_url
from portal.extensions import db
from tests.services import missing

MIGRATIONS = ROOT / "migrations"
VERSIONS = MIGRATIONS / "versions"
#: NNNN_verb_noun.py, e.g. ``0002_add_tickets.py``.
FILE_NAME = re.compile(r"^(\d{4})_[a-z]+(_[a-z0-9]+)+\.py$")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _head() -> str:
    return _script_directory().get_current_head()


def _admin_url() -> str:
    """The PostgreSQL maintenance database, on the server ``DATABASE_URL`` names."""
    raw = os.environ.get("DATABASE_URL") or ""
    if not raw.startswith("postgres"):
        raw = DEFAULT_POSTGRES
    url = make_url(database_url(raw, Path("/nonexistent")))
    return url.set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A freshly created, empty PostgreSQL database, dropped afterwards."""
    admin = create_engine(
        _admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        missing("PostgreSQL", f"unreachable: {exc}")
    name = f"portal_t_mig_{secrets.token_hex(6)}"
    # template0: template1 refuses to be copied while anyone is connected to it.
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _stored_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


@contextmanager
def _app_context(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app bound to ``url``, inside its app context; connections closed after."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"ENV_NAME": "testing"})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request, tmp_path, monkeypatch) -> Iterator[Flask]:
    """An app bound to an empty database of each kind, not yet migrated."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
    with _app_context(url, tmp_path, monkeypatch) as app:
        assert _table_names() == set(), "the database must start empty"
        yield app


def test_upgrade_from_empty_database_reaches_head(empty_app):
    upgrade()

    assert _stored_revision() == _head()
    assert _table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_models_match_migrations(empty_app):
    upgrade()

    assert _schema_differences() == []


def test_schema_comparison_notices_drift(tmp_path, monkeypatch):
    """Guards ``test_models_match_migrations`` against passing vacuously."""
    with _app_context(_sqlite_url(tmp_path), tmp_path, monkeypatch):
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_regions_parent_code"))
            conn.execute(text("ALTER TABLE regions ADD COLUMN stray INTEGER"))

        kinds = {difference[0] for difference in _schema_differences()}

        assert {"add_index", "remove_column"} <= kinds


def test_downgrade_to_base_then_upgrade_again_on_sqlite(tmp_path, monkeypatch):
    with _app_context(_sqlite_url(tmp_path), tmp_path, monkeypatch):
        upgrade()
        downgrade(revision="base")

        assert _stored_revision() is None
        assert _table_names() <= {"alembic_version"}

        upgrade()

        assert _stored_revision() == _head()
        assert _schema_differences() == []


def test_migration_files_are_numbered_verb_noun():
    files = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert files, "no migrations found"
    for name in files:
        assert FILE_NAME.match(name), f"{name} is not NNNN_verb_noun.py"


def test_revision_ids_are_the_file_numbers_in_one_line():
    script = _script_directory()
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1, "migrations have branched: renumber one of them"
    assert len(revisions) == len(list(VERSIONS.glob("*.py")))
    for rev in revisions:
        name = Path(rev.path).name
        number = FILE_NAME.match(name).group(1)
        assert rev.revision == number, f"{name} has revision id {rev.revision!r}"
        expected_parent = None if number == "0001" else f"{int(number) - 1:04d}"
        assert rev.down_revision == expected_parent, f"{name} does not follow {expected_parent}"


def _add_one_ticket_with_history(app) -> int:
    """A ticket with an event and an evidence row, in the smallest region tree
    that routes it: one village of one regency, and that regency's office."""
    from portal.db import transaction
    from portal.regions.models import Office, Region
    from tests.factories import VILLAGE
    from tests.tickets import answers, submit

    province, regency, district = VILLAGE[:2], VILLAGE[:5], VILLAGE[:8]
    with transaction():
        for code, parent, level in (
            (province, None, 1),
            (regency, province, 2),
            (district, regency, 3),
            (VILLAGE, district, 4),
        ):
            db.session.add(Region(code=code, parent_code=parent, level=level, name=code, kind="x"))
        db.session.flush()  # no relationship orders the inserts
        db.session.add(Office(code="dinsos-test", level="regency", region_code=regency, name="x"))
    ticket_id = submit(app.extensions["keyring"], answers()).ticket_id
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO evidence (ticket_id, doc_type, media_type, stored_name, sha256,"
                " size_bytes, created_at) VALUES (:t, 'kk', 'image/jpeg', 'x.jpg', :h, 1,"
                " CURRENT_TIMESTAMP)"
            ),
            {"t": ticket_id, "h": "0" * 64},
        )
    return ticket_id


def _rows(table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_the_back_office_migrations_keep_tickets_both_ways(empty_app):
    """0008 and 0009 rebuild tickets and evidence on SQLite (batch mode):
    with rows that other tables point at, both directions must go through and
    keep every row (foreign keys are checked after, not during, the rebuild)."""
    upgrade()
    ticket_id = _add_one_ticket_with_history(empty_app)
    counts = {t: _rows(t) for t in ("tickets", "ticket_events", "evidence")}
    assert counts == {"tickets": 1, "ticket_events": 1, "evidence": 1}
    db.session.remove()

    downgrade(revision="0007")
    assert _stored_revision() == "0007"
    assert {t: _rows(t) for t in counts} == counts

    upgrade()
    assert _stored_revision() == _head()
    assert {t: _rows(t) for t in counts} == counts
    with db.engine.connect() as conn:
        due_next = conn.execute(
            text("SELECT due_next, due_triage FROM tickets WHERE id = :i"), {"i": ticket_id}
        ).one()
    assert due_next[0] == due_next[1]  # a new ticket's queue date is its triage date
    assert _schema_differences() == []
