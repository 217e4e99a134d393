"""The demo registry of ``make run``: a household to try at ``/lookup``.

The demo snapshot is synthetic and seeded (``flask dtsen demo``: seed 2026, the
same regions, imported in file order), so the household printed here is the
same on every machine and the README can show it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from portal.crypto import Keyring
from portal.extensions import db
from portal.registry.identity import open_identity
from portal.registry.models import Household, ImportRun, Person

DEMO_FILE_NAME = "demo-snapshot.csv"


@dataclass(frozen=True)
class DemoHousehold:
    nik: str
    name: str
    #: A valid NIK (same kecamatan and birth date) that no one in the registry has.
    unknown_nik: str


def demo_household(keyring: Keyring) -> DemoHousehold | None:
    """The head of the first household (in import order) that receives a
    programme: its lookup shows a desil and programmes. ``None`` when the
    registry did not come from ``flask dtsen demo`` (never print a real NIK)."""
    first_import = db.session.scalar(select(ImportRun.source_name).order_by(ImportRun.id).limit(1))
    if first_import != DEMO_FILE_NAME:
        return None
    head = db.session.scalars(
        select(Person)
        .join(Household, Household.id == Person.household_id)
        .where(
            Household.removed_at.is_(None),
            Household.programs != "",
            Person.relationship == "kepala_keluarga",
        )
        .order_by(Household.id, Person.id)
        .limit(1)
    ).first()
    if head is None:
        return None
    identity = open_identity(keyring, head.identity_enc)
    return DemoHousehold(identity.nik, identity.full_name, _unknown_nik(keyring, identity.nik))


def _unknown_nik(keyring: Keyring, nik: str) -> str:
    """``nik`` with the highest nomor urut (last four digits) no one holds."""
    for serial in range(9999, 0, -1):
        candidate = f"{nik[:12]}{serial:04d}"
        taken = db.session.scalar(
            select(Person.id).where(Person.nik_index == keyring.nik_index(candidate))
        )
        if taken is None:
            return candidate
    raise LookupError("every nomor urut of this kecamatan and birth date is taken")


def create_private(path: Path) -> None:
    """Create (or empty) ``path`` readable by the owner only, whatever the umask:
    the demo snapshot holds NIKs, names and addresses, synthetic or not."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
