"""``flask backup verify|restore DIR``: check a backup, then put it back.

Restore goes in this order and stops at the first thing wrong:

1. every file's sha256 and size against the manifest (nothing touched yet);
2. the keys: the backup's ``keys.json`` goes into the instance folder when
   the keys come from there (the app must then be restarted to use it); keys
   from the environment must have the fingerprints the backup recorded, or
   the data would come back unreadable (``--ignore-keys`` to go on anyway);
3. the database, into an **empty** one only (a restore never merges into or
   overwrites live data: drop and create it first, docs/data-protection.md):
   SQLite through the backup API, PostgreSQL through ``pg_restore``;
4. the evidence files, through ``storage()`` (a file already there with the
   same bytes is left; different bytes stop the restore);
5. the check: every table's row count, the Alembic revision and the audit
   log's chain and last hash as the manifest says.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, make_url, select

from portal.audit.models import AuditEntry
from portal.audit.verify import verify
from portal.crypto import KEY_FILE, write_private_json
from portal.extensions import db
from portal.privacy.backup import (
    EVIDENCE_DIR,
    FORMAT,
    MANIFEST,
    BackupError,
    copy_sqlite,
    key_fingerprints,
    libpq_args,
    sha256_file,
    snapshot_facts,
)
from portal.storage import storage


def read_manifest(src: Path) -> dict:
    try:
        manifest = json.loads((Path(src) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable {MANIFEST} in {src}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def verify_backup(src: Path) -> dict:
    """Every file the manifest names, with its sha256: the manifest, or BackupError."""
    src = Path(src)
    manifest = read_manifest(src)
    database = manifest["database"]
    if sha256_file(src / database["file"]) != database["sha256"]:
        raise BackupError(f"{database['file']} does not match its sha256")
    keys = manifest["keys"]
    if keys.get("file") and sha256_file(src / keys["file"]) != keys["sha256"]:
        raise BackupError(f"{keys['file']} does not match its sha256")
    folder = src / EVIDENCE_DIR
    for name, digest in manifest["evidence"]["files"].items():
        path = folder / name
        if not path.is_file() or sha256_file(path) != digest:
            raise BackupError(f"evidence file {name} is missing or changed")
    return manifest


def _restore_keys(src: Path, keys: dict, ignore_keys: bool) -> str:
    ring = current_app.extensions["keyring"]
    if keys.get("file") and not os.environ.get("PORTAL_DATA_KEYS"):
        data = json.loads((src / keys["file"]).read_text())
        write_private_json(Path(current_app.instance_path) / KEY_FILE, data)
        return "keys.json restored into the instance folder: restart the app to use it"
    if key_fingerprints(ring) != keys["fingerprints"] and not ignore_keys:
        raise BackupError(
            "the keys this app runs with are not the backup's: its data would not "
            "decrypt (set the backup's keys, or --ignore-keys)"
        )
    return "keys: the environment's keys match the backup's"


def _require_empty_database() -> None:
    tables = inspect(db.engine).get_table_names()
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables): restore only into an empty one"
        )


def _restore_sqlite(path: Path) -> None:
    target = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    db.session.remove()
    db.engine.dispose()
    read_engine = current_app.extensions.pop("portal_read_engine", None)
    if read_engine is not None:
        read_engine.dispose()
    copy_sqlite(path, target)


def _restore_postgres(path: Path) -> None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    args, env = libpq_args(url)
    db.session.remove()
    db.engine.dispose()
    command = ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
    done = subprocess.run(  # noqa: S603 - fixed program, arguments from config
        [*command, *args, str(path)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")


def _restore_evidence(folder: Path, files: dict[str, str]) -> int:
    store = storage()
    written = 0
    for name, digest in sorted(files.items()):
        if store.exists(name):
            if hashlib.sha256(store.get(name)).hexdigest() != digest:
                raise BackupError(f"evidence file {name} exists with other contents")
            continue
        store.put(name, (folder / name).read_bytes())
        written += 1
    return written


def check_restored(manifest: dict) -> None:
    """The restored database is the one the manifest describes."""
    database = manifest["database"]
    with db.engine.connect() as conn:
        facts = snapshot_facts(conn)
    if facts["tables"] != database["tables"]:
        wrong = {
            t: (database["tables"].get(t), n)
            for t, n in facts["tables"].items()
            if database["tables"].get(t) != n
        }
        raise BackupError(f"row counts differ from the manifest (expected, found): {wrong}")
    if facts["alembic_revision"] != database["alembic_revision"]:
        raise BackupError("the restored schema revision is not the backup's")
    chain = verify(db.session.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)))
    db.session.rollback()
    if chain.problem is not None:
        raise BackupError(f"audit log: {chain.problem}")
    head = chain.head.hex() if chain.head else None
    if head != database["audit_head"]:
        raise BackupError("the audit log's last hash is not the backup's")


def restore_backup(src: Path, *, ignore_keys: bool = False) -> list[str]:
    """Put the backup in ``src`` back (see the module's docstring); returns
    what was done, line by line."""
    src = Path(src)
    manifest = verify_backup(src)
    backend = db.engine.dialect.name
    if manifest["backend"] != backend:
        raise BackupError(f"a {manifest['backend']} backup cannot go into {backend}")
    _require_empty_database()
    done = [f"verified {len(manifest['evidence']['files'])} evidence file(s) and the database"]
    done.append(_restore_keys(src, manifest["keys"], ignore_keys))
    path = src / manifest["database"]["file"]
    if backend == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgres(path)
    written = _restore_evidence(src / EVIDENCE_DIR, manifest["evidence"]["files"])
    done.append(f"evidence: {written} file(s) written to {storage().describe()}")
    check_restored(manifest)
    rows = sum(manifest["database"]["tables"].values())
    done.append(f"database: {rows} row(s) in {len(manifest['database']['tables'])} tables, checked")
    return done
