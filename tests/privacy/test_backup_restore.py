"""SECURITY.md RE6: back up, wipe, restore, and every ticket, file and
decryption comes back; on the suite's backend (SQLite, or PostgreSQL when
``DATABASE_URL`` names one: restored into a fresh database of this test's
own, dropped afterwards).

"Wiped": the restore runs in a new app with a new instance folder (its own
freshly generated keys.json, an empty evidence folder, an empty database)
while the original evidence folder is deleted; what the restored app reads
is compared with what was written before the backup, in clear."""

from __future__ import annotations

import contextlib
import hashlib
import shutil

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from portal.audit.log import record
from portal.config import database_url
from portal.db import transaction
from portal.extensions import db
from portal.registry.models import Household
from portal.registry.validation import P_KK
from portal.storage import storage
from portal.tickets.models import (
    P_DETAILS,
    P_REPORTER_CONTACT,
    P_SUBJECT_ADDRESS,
    P_SUBJECT_NAME,
    Evidence,
    Ticket,
)
from tests.office.ticket_page_fixtures import (
    PDF_BYTES,
    image_bytes,
    make_registry_household,
    stored,
)
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")

SUBJECTS = [
    ("Siti Aminah", "Jl. Mawar 5, RT 001/RW 002", "Suami sakit.", "0812 3456 7890"),
    ("Wayan Sudarsana", "Br. Kaja, Ubud", "Rumah rusak.", "wayan@contoh.id"),
    ("Maria Goreti", "Jl. Flores 9", "Tidak bekerja.", None),
]


def _tickets(app, keyring) -> dict:
    """Three tickets (one of a registry household), four files, an audit row;
    returns what each should read back as, in clear."""
    household_id = make_registry_household(keyring)
    truth = {}
    for n, (name, address, details, contact) in enumerate(SUBJECTS):
        files = [stored("rumah.png", image_bytes("PNG"))]
        if n == 2:
            files.append(stored("surat.pdf", PDF_BYTES, doc_type="ktp"))
        given = answers(
            subject_name=name, subject_address=address, details=details, reporter_contact=contact
        )
        result = submit(keyring, given, evidence=files)
        if n == 1:
            with transaction():
                db.session.get(Ticket, result.ticket_id).household_id = household_id
        truth[result.reference] = {
            "clear": (name, address, details, contact),
            "files": {f.stored_name: storage().get(f.stored_name) for f in files},
        }
    with transaction():
        record("ticket_opened", staff_id=1, ticket_id=result.ticket_id)
    return truth


def _read_back(keyring) -> tuple[dict, dict]:
    """Every ticket's decrypted fields and every evidence file's bytes, by reference."""
    clear, files = {}, {}
    for ticket in db.session.scalars(select(Ticket)):

        def opened(blob, purpose):
            return keyring.decrypt(blob, purpose) if blob is not None else None

        clear[ticket.reference] = (
            opened(ticket.subject_name_enc, P_SUBJECT_NAME),
            opened(ticket.subject_address_enc, P_SUBJECT_ADDRESS),
            opened(ticket.details_enc, P_DETAILS),
            opened(ticket.reporter_contact_enc, P_REPORTER_CONTACT),
        )
        rows = db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket.id))
        files[ticket.reference] = {}
        for row in rows:
            data = storage().get(row.stored_name)
            assert hashlib.sha256(data).hexdigest() == row.sha256
            assert storage().exists(row.thumb_name) == (row.media_type != "application/pdf")
            files[ticket.reference][row.stored_name] = data
    return clear, files


@contextlib.contextmanager
def fresh_database(app):
    """A new, empty database URI of this test's own: a SQLite file in the new
    instance folder, or a PostgreSQL database created here and dropped after."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield None  # the new instance folder's default portal.db
        return
    name = f"{url.database}_re6"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _new_app(instance, uri):
    from portal import create_app

    overrides = {"ENV_NAME": "testing"}
    if uri is not None:
        overrides["SQLALCHEMY_DATABASE_URI"] = uri
    return create_app(overrides)


def test_backup_wipe_restore_brings_back_every_ticket_file_and_decryption(
    app, keyring, uploads, tmp_path, monkeypatch
):
    with app.app_context():
        truth = _tickets(app, keyring)
        tables = {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }
    backup_dir = tmp_path / "backup"
    made = app.test_cli_runner().invoke(args=["backup", "create", str(backup_dir)])
    assert made.exit_code == 0, made.output
    assert "evidence: 7 file(s)" in made.output  # 4 originals + 3 thumbnails (none for the PDF)
    assert oct(backup_dir.stat().st_mode & 0o777) == "0o700"
    shutil.rmtree(uploads)  # the evidence is gone

    instance = tmp_path / "wiped-instance"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    with fresh_database(app) as uri:
        if uri is not None:
            uri = database_url(uri, instance)
        empty = _new_app(instance, uri)
        generated = empty.extensions["keyring"]
        restored = empty.test_cli_runner().invoke(args=["backup", "restore", str(backup_dir)])
        assert restored.exit_code == 0, restored.output
        assert "evidence: 7 file(s) written" in restored.output
        # Until restarted, the app still holds the keys it generated: they open nothing.
        with empty.app_context():
            some = db.session.scalars(select(Ticket.subject_name_enc)).first()
            with pytest.raises(Exception):
                generated.decrypt(some, P_SUBJECT_NAME)
            db.session.remove()
            db.engine.dispose()

        restarted = _new_app(instance, uri)  # reads the restored keys.json
        with restarted.app_context():
            ring = restarted.extensions["keyring"]
            clear, files = _read_back(ring)
            assert clear == {ref: t["clear"] for ref, t in truth.items()}
            assert files == {ref: t["files"] for ref, t in truth.items()}
            household = db.session.scalar(select(Household))
            assert ring.decrypt(household.kk_enc, P_KK) == "3201010101100001"
            again = {
                t.name: db.session.scalar(select(func.count()).select_from(t))
                for t in db.metadata.sorted_tables
            }
            assert again == tables
            verified = restarted.test_cli_runner().invoke(args=["audit", "verify"])
            assert "1 rows verified" in verified.output
            db.session.remove()
            db.engine.dispose()


def test_verify_finds_a_changed_file_and_restore_wants_an_empty_database(
    app, keyring, uploads, tmp_path
):
    with app.app_context():
        submit(keyring, answers(), evidence=[stored("rumah.png", image_bytes("PNG"))])
    backup_dir = tmp_path / "backup"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(backup_dir)]).exit_code == 0
    assert runner.invoke(args=["backup", "verify", str(backup_dir)]).exit_code == 0
    # Into the database it came from: refused, nothing touched.
    result = runner.invoke(args=["backup", "restore", str(backup_dir)])
    assert result.exit_code == 1
    assert "not empty" in result.output
    victim = sorted((backup_dir / "evidence").iterdir())[0]
    data = bytearray(victim.read_bytes())
    data[-1] ^= 1
    victim.write_bytes(bytes(data))
    result = runner.invoke(args=["backup", "verify", str(backup_dir)])
    assert result.exit_code == 1
    assert f"evidence file {victim.name} is missing or changed" in result.output
