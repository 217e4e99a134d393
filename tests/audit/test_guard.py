"""The database refuses UPDATE and DELETE on audit_log; ``record()`` refuses
anything but codes and ids."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from portal.audit.guard import unguarded
from portal.audit.log import record
from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from tests.audit.audit_fixtures import append, rows, tamper

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET detail = 'x'",
        "UPDATE audit_log SET kind = kind WHERE id = (SELECT min(id) FROM audit_log)",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    ],
)
def test_the_database_refuses_changing_or_removing_rows(app, sql):
    append(app, 2)
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(sql))
        db.session.rollback()
    assert [r.detail for r in rows(app)] == ["in_review>verified"] * 2


def test_postgres_refuses_truncate_too(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE")
        with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
            db.session.execute(text("TRUNCATE audit_log"))
        db.session.rollback()


def test_sqlite_a_no_row_update_fires_nothing(app):
    """``record()`` takes SQLite's write lock so; PostgreSQL refuses even that."""
    append(app, 1)
    with app.app_context():
        statement = text("UPDATE audit_log SET kind = kind WHERE 0 = 1")
        if db.engine.dialect.name == "sqlite":
            with transaction():
                db.session.execute(statement)
                record("logout", staff_id=3)
        else:
            with pytest.raises(DatabaseError, match="append-only: UPDATE"):
                db.session.execute(statement)
            db.session.rollback()
            with transaction():
                record("logout", staff_id=3)
    assert [r.kind for r in rows(app)] == ["moved", "logout"]


def test_unguarded_puts_the_triggers_back(app):
    ids = append(app, 2)
    tamper(app, ("DELETE FROM audit_log WHERE id = :id", {"id": ids[0]}))
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_log"))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_a_failed_unguarded_block_rolls_back_with_the_triggers_in_place(app):
    append(app, 1)
    with app.app_context():
        with pytest.raises(RuntimeError), transaction(), unguarded():
            db.session.execute(text("DELETE FROM audit_log"))
            raise RuntimeError("boom")
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_log"))
        db.session.rollback()
    assert len(rows(app)) == 1


@pytest.mark.parametrize(
    "detail",
    [
        "Budi Santoso",
        "budi santoso",
        "3201011234567890 ",
        "in_review>verified\n",
        "note: the family moved",
        "x" * 65,
        "",
        "Verified",
    ],
)
def test_free_text_in_detail_is_refused(app, detail):
    with app.app_context():
        with pytest.raises(ValueError, match="short code"):
            record("note", staff_id=1, detail=detail)
        db.session.rollback()
    assert rows(app) == []


@pytest.mark.parametrize("kind", ["Login", "log in", "login\n", "x" * 33, "", "moved:1"])
def test_a_kind_that_is_not_a_code_is_refused(app, kind):
    with app.app_context(), pytest.raises(ValueError, match="kind"):
        record(kind, staff_id=1)


@pytest.mark.parametrize("value", ["5", 5.0, True, b"5"])
def test_an_id_that_is_not_an_int_is_refused(app, value):
    with app.app_context(), pytest.raises(ValueError, match="ticket_id"):
        record("ticket_opened", staff_id=1, ticket_id=value)


def test_codes_and_ids_are_accepted(app):
    with app.app_context(), transaction():
        record("moved", staff_id=1, ticket_id=2, detail="in_review>field_check")
        record("account_changed", target_staff_id=3, detail="created:handler")
        record("evidence_opened", staff_id=1, evidence_id=4, ticket_id=2, office_id=9)
    assert [r.detail for r in rows(app)] == ["in_review>field_check", "created:handler", None]


def test_a_time_without_zone_is_utc(app):
    with app.app_context(), transaction():
        record("login", staff_id=1, now=dt.datetime(2026, 12, 1, 8, 0))
    (row,) = rows(app)
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
    assert at == dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
