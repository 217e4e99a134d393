"""``flask backup create DIR`` (issue 14 §5, SECURITY.md RE6): the database,
the evidence files and the key file in one folder, with a manifest.

* **Database.** SQLite through its online backup API (``Connection.backup``):
  a consistent copy while the app keeps writing. PostgreSQL through
  ``pg_dump -Fc`` run on a snapshot exported from a REPEATABLE READ
  transaction; the row counts, the evidence names and the audit log's head
  in the manifest are read in that same snapshot, so they describe exactly
  what the dump holds.
* **Evidence** after the database, through ``storage()``: a file is stored
  before its row commits, so every row of the snapshot has its file unless
  something deleted it since (retention); such names are listed as missing.
* **Keys.** ``instance/keys.json`` when the keys come from it (development,
  small installs); keys from the environment are not copied (they live in
  the deployment's secret store), only their fingerprints, so a restore can
  tell whether the keys it runs with open the data.

The manifest (``manifest.json``) has every file's sha256 and size, the row
count of every table, the Alembic revision and the audit log's last hash;
``restore`` checks all of it. The folder holds personal data and keys:
mode 0700, files 0600, and it is the operator's to keep safe (docs/data-protection.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, create_engine, make_url, text

from portal.crypto import KEY_FILE, Keyring
from portal.extensions import db
from portal.storage import storage

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
EVIDENCE_DIR = "evidence"
KEYS_DIR = "keys"


class BackupError(RuntimeError):
    """The backup or the restore cannot go on; nothing is left half done
    that the message does not name."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key_fingerprints(ring: Keyring) -> dict[str, str]:
    """A short one-way digest per key: tells keys apart, reveals nothing."""

    def fp(key: bytes) -> str:
        return hashlib.sha256(b"dtsen-key-fingerprint:" + key).hexdigest()[:16]

    prints = {"index": fp(ring.index_key)}
    prints.update({f"data:{kid}": fp(key) for kid, key in sorted(ring.data_keys.items())})
    return prints


def libpq_args(url) -> tuple[list[str], dict[str, str]]:
    """``-h -p -U -d`` for pg_dump/pg_restore, the password in the environment
    (never on a command line others can read in ``ps``)."""
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-d", url.database]
    if url.username:
        args += ["-U", url.username]
    password = {"PGPASSWORD": str(url.password)} if url.password else {}
    return args, {**os.environ, **password}


def snapshot_facts(conn: Connection) -> dict:
    """Row counts of every table, the evidence names, the audit head: read
    on ``conn`` (in the snapshot the database copy was taken in)."""
    tables = sorted(t.name for t in db.metadata.sorted_tables)
    # Table names from the models, never from input.
    counts = {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables}  # noqa: S608 # nosec B608
    revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    names = set()
    for stored, thumb in conn.execute(text("SELECT stored_name, thumb_name FROM evidence")):
        names.update(n for n in (stored, thumb) if n)
    head = conn.scalar(text("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1"))
    return {
        "tables": counts,
        "alembic_revision": revision,
        "evidence_names": names,
        "audit_head": bytes(head).hex() if head is not None else None,
    }


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def copy_sqlite(source: str | Path, target: str | Path) -> None:
    """Copy a SQLite database page by page through SQLite's online backup
    API: consistent while others write, and without opening the file
    outside SQLite (which would drop its locks in this process)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _backup_sqlite(dest: Path) -> dict:
    source = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    target = dest / SQLITE_FILE
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    copy_sqlite(source, target)
    # Facts from the copy itself: exactly what was saved.
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            facts = snapshot_facts(conn)
    finally:
        engine.dispose()
    return {"file": SQLITE_FILE, **facts}


def _backup_postgres(dest: Path) -> dict:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target = dest / PG_FILE
    args, env = libpq_args(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            facts = snapshot_facts(conn)
            # The snapshot lives while this transaction is open.
            command = ["pg_dump", "-Fc", "--no-owner", "--no-acl", f"--snapshot={snapshot}"]
            done = subprocess.run(  # noqa: S603 - fixed program, arguments from config
                [*command, "-f", str(target), *args],
                env=env,
                capture_output=True,
                text=True,
            )
            conn.rollback()
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    os.chmod(target, 0o600)
    return {"file": PG_FILE, **facts}


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _backup_evidence(dest: Path, expected: set[str]) -> dict:
    folder = dest / EVIDENCE_DIR
    _private_dir(folder)
    store = storage()
    files, total = {}, 0
    for name in sorted(store.names()):
        data = store.get(name)
        _write_private(folder / name, data)
        files[name] = hashlib.sha256(data).hexdigest()
        total += len(data)
    return {
        "storage": store.describe(),
        "files": files,
        "bytes": total,
        # Named by a row of the snapshot but gone from storage by now.
        "missing": sorted(expected - files.keys()),
    }


def _backup_keys(dest: Path) -> dict:
    ring = current_app.extensions["keyring"]
    keys = {"fingerprints": key_fingerprints(ring), "file": None}
    source = Path(current_app.instance_path) / KEY_FILE
    from_env = bool(os.environ.get("PORTAL_DATA_KEYS"))
    if not from_env and source.is_file():
        _private_dir(dest / KEYS_DIR)
        _write_private(dest / KEYS_DIR / KEY_FILE, source.read_bytes())
        keys["file"] = f"{KEYS_DIR}/{KEY_FILE}"
    keys["source"] = "environment" if from_env else "instance"
    return keys


def create_backup(dest: Path, now: dt.datetime | None = None) -> dict:
    """Write a backup into ``dest`` (new or empty); returns the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    _private_dir(dest)
    backend = db.engine.dialect.name
    if backend == "sqlite":
        database = _backup_sqlite(dest)
    elif backend == "postgresql":
        database = _backup_postgres(dest)
    else:
        raise BackupError(f"no backup for {backend}")
    names = database.pop("evidence_names")
    database["sha256"] = sha256_file(dest / database["file"])
    database["bytes"] = (dest / database["file"]).stat().st_size
    evidence = _backup_evidence(dest, names)
    keys = _backup_keys(dest)
    if keys["file"]:
        keys["sha256"] = sha256_file(dest / keys["file"])
    manifest = {
        "format": FORMAT,
        "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "backend": backend,
        "database": database,
        "evidence": evidence,
        "keys": keys,
    }
    _write_private(dest / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return manifest
