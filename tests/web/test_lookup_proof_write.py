"""The lookup's proof row written without waiting for the disk (issue 14):
``portal.registry.proofs.prove_unflushed`` and ``portal.db.write_unflushed``.

What must hold: the row is the one the ORM's ``prove`` writes (same stored
times, so expiry, renewal and purging compare it the same way); only that
pool's commits skip the flush (every other commit stays durable); ending a
proof is still a durable delete."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from portal.db import transaction
from portal.extensions import db
from portal.registry import proofs
from portal.registry.models import LookupProof
from tests.web.conftest import post_lookup

NOW = dt.datetime(2026, 12, 3, 1, 2, 3, 456789, tzinfo=dt.UTC)


def _raw(app, token: str) -> tuple:
    with app.app_context():
        row = db.session.execute(
            text("SELECT household_id, created_at, expires_at FROM lookup_proofs WHERE id = :i"),
            {"i": proofs.proof_id(token)},
        ).one()
        db.session.rollback()
        return tuple(row)


def test_the_unflushed_row_is_stored_as_the_orm_stores_it(app, registry):
    household_id = _household_id(app, registry)
    with app.test_request_context():
        with transaction():
            proofs.prove("by-orm", household_id, now=NOW)
        proofs.prove_unflushed("unflushed", household_id, now=NOW)
    orm, raw = _raw(app, "by-orm"), _raw(app, "unflushed")
    assert raw == orm
    with app.test_request_context():
        assert proofs.proven_household("unflushed", now=NOW) == household_id
        assert proofs.proven_household("unflushed", now=NOW + dt.timedelta(minutes=29)) == (
            household_id
        )
        assert proofs.proven_household("unflushed", now=NOW + dt.timedelta(minutes=30)) is None
        with transaction():
            proofs.renew("unflushed", now=NOW + dt.timedelta(minutes=20))
        assert proofs.proven_household("unflushed", now=NOW + dt.timedelta(minutes=49)) == (
            household_id
        )
        with transaction():
            assert proofs.purge_expired_proofs(NOW + dt.timedelta(minutes=51)) == 2


def test_only_the_reader_pool_skips_the_flush(app):
    """The reader's connections commit without waiting for the disk; the
    request's session (tickets, deletions, everything else) stays durable."""
    from portal.db import read_rows

    with app.test_request_context():
        if db.engine.dialect.name == "sqlite":
            # 2 = FULL, 1 = NORMAL (https://sqlite.org/pragma.html#pragma_synchronous)
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2
            assert read_rows("PRAGMA synchronous", ()) == [(1,)]
            assert read_rows("PRAGMA journal_mode", ()) == [("wal",)]
        else:
            assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
            assert read_rows("SHOW synchronous_commit", ()) == [("off",)]
        db.session.rollback()


def test_a_first_lookup_writes_one_unflushed_row_and_a_second_forgets_the_first_durably(
    app, client, registry, monkeypatch
):
    unflushed, durable_deletes = [], []
    real_write, real_forget = proofs.write_unflushed, proofs.forget
    monkeypatch.setattr(
        proofs, "write_unflushed", lambda sql, p: unflushed.append(sql) or real_write(sql, p)
    )
    monkeypatch.setattr(
        proofs, "forget", lambda token: durable_deletes.append(token) or real_forget(token)
    )
    head = registry["first"][0]
    assert "B*** S******" in post_lookup(client, head["nik"], head["full_name"]).text
    assert len(unflushed) == 1 and unflushed[0].startswith("INSERT INTO lookup_proofs")
    assert durable_deletes == []
    assert "B*** S******" in post_lookup(client, head["nik"], head["full_name"]).text
    assert len(unflushed) == 2 and len(durable_deletes) == 1
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LookupProof)) == 1


def _household_id(app, registry) -> int:
    from portal.registry.models import Person

    with app.app_context():
        ids = db.session.scalars(select(Person.household_id)).all()
        db.session.rollback()
    return ids[0]
