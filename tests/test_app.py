import pytest
from sqlalchemy import text


def test_home_is_indonesian_by_default(client):
    r = client.get("/")
    assert r.status_code == 200
    assert b'lang="id"' in r.data


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["status"] == "ok"  # each check: tests/observe/


def test_sqlite_pragmas(app_ctx):
    from portal.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas; PostgreSQL has none")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
