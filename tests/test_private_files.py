"""The SQLite database and its -wal/-shm files are readable by their owner
only, whatever the umask (issue 9 §4: `make run` left them world-readable)."""

from __future__ import annotations

import os
import stat

from sqlalchemy import text

from portal import create_app
from portal.extensions import db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_files_are_0600(tmp_path, monkeypatch, app):
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    old_umask = os.umask(0o022)
    try:
        fresh = create_app({"ENV_NAME": "testing"})
        with fresh.app_context(), db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            files = {p.name: mode(p) for p in tmp_path.glob("fresh.db*")}
            db.engine.dispose()
    finally:
        os.umask(old_umask)
    assert files == {"fresh.db": 0o600, "fresh.db-wal": 0o600, "fresh.db-shm": 0o600}


def test_files_left_world_readable_by_an_older_run_are_made_private(tmp_path, monkeypatch, app):
    path = tmp_path / "old.db"
    for name in ("old.db", "old.db-wal", "old.db-shm"):
        (tmp_path / name).touch()
        (tmp_path / name).chmod(0o644)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    create_app({"ENV_NAME": "testing"})
    assert {p.name: mode(p) for p in tmp_path.glob("old.db*")} == {
        "old.db": 0o600,
        "old.db-wal": 0o600,
        "old.db-shm": 0o600,
    }
