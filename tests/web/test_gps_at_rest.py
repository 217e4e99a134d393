"""SECURITY.md PD4: a house photo's location, kept by consent, is encrypted
at rest like the address (issue 9, §4). Sent through the pages, then the
whole database is scanned for the coordinates in every form a database keeps
a number: a float column, text, or (SQLite's file) an IEEE double."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from portal.db import keyring
from portal.extensions import db
from portal.tickets.models import Evidence
from portal.tickets.service import evidence_gps, seal_gps
from tests.factories import raw_sqlite_bytes
from tests.tickets.evidence_files import LAT, LON, phone_jpeg
from tests.web.journeys import answer_up_to_check, get, post, send, upload


@pytest.fixture
def sent_with_location(app, client, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    answer_up_to_check(client, "objection", "ineligible_recipient", reasons=("well_off",), files=0)
    response = upload(client, "objection", phone_jpeg(), doc_type="house_front", keep_gps="y")
    assert response.status_code == 302
    post(client, "/submit/objection/evidence", {"action": "continue"})
    send(client, "objection", get(client, "/submit/objection/check"))


def _close(value, target: float) -> bool:
    return isinstance(value, float) and abs(value - target) < 1e-4


def test_the_location_is_kept_encrypted_and_bound_to_its_row(app, sent_with_location):
    with app.app_context():
        row = db.session.scalar(select(Evidence))
        assert row.gps_enc is not None
        lat, lon = evidence_gps(row, keyring())
        assert lat == pytest.approx(LAT, abs=1e-6) and lon == pytest.approx(LON, abs=1e-6)
        # Copied onto another file's row it does not open.
        other = seal_gps(keyring(), "another-file.jpg", (lat, lon))
        row.gps_enc, original = other, row.gps_enc
        with pytest.raises(Exception) as refused:
            evidence_gps(row, keyring())
        assert type(refused.value).__name__ == "InvalidTag"
        row.gps_enc = original
        db.session.rollback()


def test_no_plaintext_coordinates_anywhere_in_the_database(app, sent_with_location):
    marks = [f"{LAT:.4f}", f"{LON:.4f}", f"{LAT:.3f}"[:-1], f"{LON:.3f}"[:-1]]
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            for table in tables:
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        assert not _close(value, LAT) and not _close(value, LON), table
                        if isinstance(value, str):
                            assert not any(m in value for m in marks), table
            if db.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        if db.engine.dialect.name == "sqlite":
            path = Path(db.engine.url.database)
            raw = raw_sqlite_bytes(path)
            for number in (LAT, LON):
                assert struct.pack(">d", number) not in raw
                assert struct.pack("<d", number) not in raw
            for mark in marks:
                assert mark.encode() not in raw
