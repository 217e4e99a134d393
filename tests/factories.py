"""Builders for registry test data: valid NIKs, CSV rows, households."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

from lokal import wilayah

from portal.registry.schema import CSV_COLUMNS

VILLAGE = sorted(c for c in wilayah._desa() if c.startswith("32.01.01."))[0]


def nik(district: str, day: int, month: int, yy: int, serial: int, female=False) -> str:
    """A structurally valid NIK: district code, DDMMYY (+40 for women), serial."""
    dd = day + (40 if female else 0)
    return f"{district.replace('.', '')}{dd:02d}{month:02d}{yy:02d}{serial:04d}"


def person(kk: str, n: str, name: str, rel: str, sex: str, birth: str, **over) -> dict:
    row = {
        "kk_number": kk,
        "nik": n,
        "full_name": name,
        "relationship": rel,
        "sex": sex,
        "birth_date": birth,
        "village_code": VILLAGE,
        "address": "Jl. Melati No. 3, RT 001/RW 002",
        "desil": "2",
        "programs": "PKH;SEMBAKO",
        "floor_area_m2": "36",
        "floor_material": "semen",
        "wall_material": "tembok",
        "roof_material": "genteng",
        "drinking_water": "sumur_bor",
        "lighting_source": "pln_meteran",
        "cooking_fuel": "gas_elpiji",
        "toilet_facility": "sendiri_leher_angsa",
        "home_ownership": "milik_sendiri",
        "updated_at": "2025-03-01",
    }
    row.update(over)
    return row


def household(kk: str, serial: int, **over) -> list[dict]:
    """Three members: Budi Santoso (head), Siti Aminah (wife), Agus Santoso (child)."""
    d = VILLAGE[:8]
    return [
        person(
            kk,
            nik(d, 15, 8, 80, serial),
            "Budi Santoso",
            "kepala_keluarga",
            "L",
            "1980-08-15",
            **over,
        ),
        person(
            kk, nik(d, 2, 3, 84, serial, True), "Siti Aminah", "istri", "P", "1984-03-02", **over
        ),
        person(kk, nik(d, 9, 1, 10, serial), "Agus Santoso", "anak", "L", "2010-01-09", **over),
    ]


def write_csv(path: Path, rows: list, header=CSV_COLUMNS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r[c] for c in CSV_COLUMNS] if isinstance(r, dict) else r)
    return path


def raw_sqlite_bytes(db_path: Path) -> bytes:
    """The SQLite database file and its WAL as bytes, read by another process.

    Opening and closing a descriptor of the file in this process would drop
    every POSIX lock SQLite holds on it here; a server sharing the file (the
    gunicorn of tests/serving) could then reset the WAL under this process's
    connections, and later tests fail with "disk I/O error"."""
    files = [str(p) for p in (db_path, Path(f"{db_path}-wal")) if p.exists()]
    return subprocess.run(["cat", *files], capture_output=True, check=True).stdout
