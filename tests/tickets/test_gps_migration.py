"""Migration 0007 encrypts the photo locations already stored in plaintext
and drops the plaintext columns; its downgrade puts them back (issue 9, §4)."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.db import keyring
from portal.extensions import db
from portal.tickets.models import Evidence
from portal.tickets.service import evidence_gps
from tests.test_migrations import _app_context, _sqlite_url

LAT, LON = -6.914744, 107.609810


def _columns() -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("evidence")}


def test_existing_locations_are_encrypted_then_the_plaintext_dropped(tmp_path, monkeypatch):
    with _app_context(_sqlite_url(tmp_path), tmp_path, monkeypatch):
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            # Only the evidence table matters here: no ticket behind the rows.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.execute(
                text(
                    "INSERT INTO evidence (id, ticket_id, doc_type, media_type, stored_name,"
                    " sha256, size_bytes, gps_lat, gps_lon, created_at) VALUES"
                    " (1, 1, 'house_front', 'image/jpeg', 'a.jpg', :h, 10, :lat, :lon, :t),"
                    " (2, 1, 'kk', 'image/jpeg', 'b.jpg', :h, 10, NULL, NULL, :t)"
                ),
                {"h": "0" * 64, "lat": LAT, "lon": LON, "t": "2026-01-20 07:05:00"},
            )
        upgrade()
        assert {"gps_lat", "gps_lon"}.isdisjoint(_columns()) and "gps_enc" in _columns()
        with_gps, without = db.session.get(Evidence, 1), db.session.get(Evidence, 2)
        assert evidence_gps(with_gps, keyring()) == (LAT, LON)
        assert without.gps_enc is None
        db.session.rollback()

        downgrade(revision="0006")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, gps_lat, gps_lon FROM evidence ORDER BY id"))
            assert [tuple(r) for r in rows] == [(1, LAT, LON), (2, None, None)]
        assert "gps_enc" not in _columns()


def test_the_migration_refuses_to_run_offline():
    """A --sql script cannot encrypt: say so instead of writing a broken script."""
    from importlib import import_module

    migration = import_module("migrations.versions.0007_encrypt_evidence_gps")

    class Offline:
        as_sql = True

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(migration.op, "get_context", lambda: Offline(), raising=False)
        with pytest.raises(RuntimeError, match="cannot run offline"):
            migration._keyring()
