"""``flask dtsen import``: round trip, rejects, idempotence, removal, privacy."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from lokal import wilayah
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.registry.identity import open_identity
from portal.registry.importer import ImportFailed, import_snapshot
from portal.registry.models import Household, ImportRun, Person
from portal.registry.validation import P_ADDRESS, P_KK
from tests.factories import VILLAGE, household, nik, person, raw_sqlite_bytes, write_csv

pytestmark = pytest.mark.usefixtures("db_clean")

OTHER_VILLAGE = sorted(c for c in wilayah._desa() if c.startswith("33.74."))[0]


def rejects_of(path: Path) -> dict[int, str]:
    with open(path, newline="") as fh:
        return {int(r["line"]): r["reason"] for r in csv.DictReader(fh)}


def table_state() -> list:
    """Every stored byte of the registry tables, to compare before and after."""
    hs = db.session.execute(select(Household.__table__).order_by(Household.id)).all()
    ps = db.session.execute(select(Person.__table__).order_by(Person.id)).all()
    return [tuple(r) for r in hs] + [tuple(r) for r in ps]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_round_trip_decrypts_to_csv_values(app_ctx, tmp_path, keyring):
    rows = household("3201011503100001", 1) + household("3201011503100002", 2, desil="")
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, tmp_path / "rej.csv")
    assert report.rows_read == 6 and report.rows_rejected == 0
    assert report.households_new == 2 and report.persons_written == 6
    for r in rows:
        p = db.session.scalar(select(Person).where(Person.nik_index == keyring.nik_index(r["nik"])))
        assert p is not None
        h = db.session.get(Household, p.household_id)
        identity = open_identity(keyring, p.identity_enc)
        assert identity == (r["nik"], r["full_name"], r["birth_date"])
        assert (p.relationship, p.sex) == (r["relationship"], r["sex"])
        assert keyring.decrypt(h.kk_enc, P_KK) == r["kk_number"]
        assert keyring.decrypt(h.address_enc, P_ADDRESS) == r["address"]
        assert h.kk_index == keyring.kk_index(r["kk_number"])
        assert h.desil == (int(r["desil"]) if r["desil"] else None)
        assert (h.village_code, h.programs, h.floor_area_m2) == (VILLAGE, r["programs"], 36)
        assert str(h.data_as_of) == "2025-03-01"


@pytest.mark.parametrize("batch", [None, 1], ids=["one-block", "block-per-household"])
def test_planted_bad_rows_are_reported_with_line_and_reason(app_ctx, tmp_path, batch):
    """With one household per block the repeated kk_number and NIK are found
    across blocks: on an empty PostgreSQL registry only when the first load
    rebuilds its unique constraints (portal.registry.bulk)."""
    d = VILLAGE[:8]
    good = household("3201011503100001", 1)
    bad_nik = person(
        "3201011503100003", "320101150880001", "A B", "kepala_keluarga", "L", "1980-08-15"
    )
    bad_date_nik = person(
        "3201011503100004", nik(d, 31, 2, 80, 5), "A B", "kepala_keluarga", "L", "1980-02-28"
    )
    unknown_village = person(
        "3201011503100005",
        nik(d, 1, 1, 80, 6),
        "A B",
        "kepala_keluarga",
        "L",
        "1980-01-01",
        village_code="32.01.01.9999",
    )
    mixed = household("3201011503100006", 7)
    mixed[2]["desil"] = "5"  # disagrees with the head row
    desil_11 = person(
        "3201011503100007",
        nik(d, 1, 1, 80, 8),
        "A B",
        "kepala_keluarga",
        "L",
        "1980-01-01",
        desil="11",
    )
    bad_updated = person(
        "3201011503100008",
        nik(d, 1, 1, 80, 9),
        "A B",
        "kepala_keluarga",
        "L",
        "1980-01-01",
        updated_at="2025-13-01",
    )
    bad_rel = person("3201011503100009", nik(d, 1, 1, 80, 10), "A B", "bos", "L", "1980-01-01")
    dup_nik = person(
        "3201011503100010", good[0]["nik"], "A B", "kepala_keluarga", "L", "1980-08-15"
    )
    rows = [
        *good,  # lines 2-4
        bad_nik,  # 5
        bad_date_nik,  # 6
        unknown_village,  # 7
        *mixed,  # 8-10, line 10 disagrees
        desil_11,  # 11
        bad_updated,  # 12
        bad_rel,  # 13
        dup_nik,  # 14
        ["3201011503100011", "too", "few"],  # 15
        household("3201011503100001", 1)[0],  # 16: kk of line 2 again, not consecutive
    ]
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, tmp_path / "rej.csv", batch=batch)
    rejected = rejects_of(tmp_path / "rej.csv")
    assert sorted(rejected) == [5, 6, 7, 10, 11, 12, 13, 14, 15, 16]
    assert rejected[5].startswith("nik: invalid NIK (format)")
    assert rejected[6].startswith("nik: invalid NIK (birth_date)")
    assert rejected[7].startswith("village_code: unknown")
    assert "disagree with line 8" in rejected[10] and rejected[10].startswith("desil")
    assert rejected[11].startswith("desil: must be 1-10")
    assert rejected[12].startswith("updated_at")
    assert rejected[13].startswith("relationship")
    assert rejected[14].startswith("nik: already imported")
    assert rejected[15].startswith("expected 20 columns")
    assert rejected[16].startswith("kk_number: already seen at line 2")
    assert report.rows_rejected == 10
    assert count(Household) == 2  # lines 2-4 and 8-9
    assert count(Person) == 5
    assert (report.households_new, report.persons_written) == (2, 5)
    assert oct(os.stat(tmp_path / "rej.csv").st_mode & 0o777) == "0o600"


def test_reimport_is_a_no_op(app_ctx, tmp_path):
    rows = household("3201011503100001", 1) + household("3201011503100002", 2)
    path = write_csv(tmp_path / "s.csv", rows)
    import_snapshot(path, tmp_path / "rej.csv")
    before = table_state()
    again = import_snapshot(path, tmp_path / "rej.csv")
    assert again.households_unchanged == 2 and again.households_new == again.households_changed == 0
    assert again.persons_written == 0 and again.households_removed == 0
    assert table_state() == before


def test_newer_snapshot_updates_moves_and_marks_removed(app_ctx, tmp_path, keyring):
    a, b, c = (household(f"32010115031000{i:02d}", i) for i in (1, 2, 3))
    import_snapshot(write_csv(tmp_path / "v1.csv", a + b + c), None)
    mover = dict(a[2], kk_number=b[0]["kk_number"], relationship="famili_lain")
    b2 = [dict(r, desil="4") for r in b] + [dict(mover, desil="4")]
    report = import_snapshot(write_csv(tmp_path / "v2.csv", a[:2] + b2), None)
    assert (report.households_changed, report.households_removed) == (2, 1)
    removed = db.session.scalar(
        select(Household).where(Household.kk_index == keyring.kk_index(c[0]["kk_number"]))
    )
    assert removed.removed_at is not None
    assert count(Person) == 2 + 4 + 3  # a without the mover, b with the mover, c kept as it was
    moved = db.session.scalar(
        select(Person).where(Person.nik_index == keyring.nik_index(mover["nik"]))
    )
    assert db.session.get(Household, moved.household_id).kk_index == keyring.kk_index(
        b[0]["kk_number"]
    )
    assert moved.relationship == "famili_lain"
    # The removed household comes back when a later snapshot holds it again.
    report = import_snapshot(write_csv(tmp_path / "v3.csv", a[:2] + b2 + c), None)
    assert (report.households_changed, report.households_unchanged) == (1, 2)
    db.session.refresh(removed)
    assert removed.removed_at is None


def test_wrong_header_fails_and_changes_nothing(app_ctx, tmp_path):
    path = write_csv(tmp_path / "s.csv", [], header=("nik", "name"))
    with pytest.raises(ImportFailed, match="unexpected header"):
        import_snapshot(path, None)
    assert count(Household) == 0
    assert db.session.scalar(select(ImportRun.status).order_by(ImportRun.id.desc())) == "failed"


def test_interrupted_import_keeps_finished_chunks_and_rerun_completes(
    app_ctx, tmp_path, monkeypatch
):
    from portal.registry import writers

    # A registry that is not empty: imported block by block on both backends.
    import_snapshot(write_csv(tmp_path / "seed.csv", household("3201011503100099", 9)), None)
    rows = [r for i in range(1, 7) for r in household(f"32010115031000{i:02d}", i)]
    path = write_csv(tmp_path / "s.csv", rows)
    real_write = writers.ChunkWriter.write
    calls = {"n": 0}

    def crash_on_third(self, chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            real_write(self, chunk)  # the chunk's statements run, then the process "dies"
            raise KeyboardInterrupt
        return real_write(self, chunk)

    monkeypatch.setattr(writers.ChunkWriter, "write", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        import_snapshot(path, None, batch=2)
    assert count(Household) == 1 + 4  # the seed, two whole chunks; the third rolled back
    assert count(Person) == 3 + 12
    monkeypatch.setattr(writers.ChunkWriter, "write", real_write)
    report = import_snapshot(path, None, batch=2)
    assert (report.households_new, report.households_unchanged, report.households_removed) == (
        2,
        4,
        1,  # the seed household is not in this file
    )
    assert count(Household) == 7 and count(Person) == 21


def registry_indexes() -> list[tuple[str, str]]:
    """(name, definition) of every index of the registry tables (PostgreSQL)."""
    return [
        tuple(r)
        for r in db.session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('households', 'persons', 'import_seen') ORDER BY indexname"
            )
        )
    ]


def test_interrupted_first_load_leaves_an_empty_registry_with_its_indexes(
    app_ctx, tmp_path, monkeypatch
):
    """The first load of an empty registry: on PostgreSQL one transaction
    with its indexes dropped and rebuilt, so a crash leaves nothing and every
    index back; on SQLite block by block as always."""
    from portal.registry import writers

    postgres = db.session.get_bind().dialect.name == "postgresql"
    before = registry_indexes() if postgres else []
    rows = [r for i in range(1, 7) for r in household(f"32010115031000{i:02d}", i)]
    path = write_csv(tmp_path / "s.csv", rows)
    real_write = writers.ChunkWriter.write
    calls = {"n": 0}

    def crash_on_third(self, chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_write(self, chunk)

    monkeypatch.setattr(writers.ChunkWriter, "write", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        import_snapshot(path, None, batch=2)
    assert count(Household) == (0 if postgres else 4)
    if postgres:
        assert registry_indexes() == before
        assert len(before) >= 5  # 2 primary keys, 2 unique blind indexes, household_id, …
    monkeypatch.setattr(writers.ChunkWriter, "write", real_write)
    report = import_snapshot(path, None, batch=2)
    assert count(Household) == 6 and count(Person) == 18
    assert report.households_new == (6 if postgres else 2)
    if postgres:
        assert registry_indexes() == before


def test_worker_processes_give_the_same_result(app_ctx, tmp_path, keyring):
    rows = [r for i in range(1, 21) for r in household(f"32010115031000{i:02d}", i)]
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, None, workers=2, batch=3)
    assert report.households_new == 20 and report.persons_written == 60
    for r in rows[::7]:
        assert db.session.scalar(
            select(Person.id).where(Person.nik_index == keyring.nik_index(r["nik"]))
        )


def test_no_plaintext_nik_kk_name_or_address_in_the_database_file(app_ctx, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("scans the SQLite file; PostgreSQL stores the same ciphertexts")
    rows = household("3201011503100001", 1)
    import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    db.session.commit()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    db_path = Path(db.engine.url.database)
    raw = raw_sqlite_bytes(db_path)
    assert len(raw) > 100_000
    for r in rows:
        for value in (r["nik"], r["kk_number"], r["full_name"], r["address"]):
            assert value.encode() not in raw, "plaintext personal data in the database file"
        # also not as UTF-16 or split by the page layout of an index
        assert r["nik"].encode("utf-16-le") not in raw
