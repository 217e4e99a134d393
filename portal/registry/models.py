"""Registry snapshot tables. Personal data is never stored in clear:
``*_index`` columns are blind indexes, ``*_enc`` columns AES-GCM ciphertexts
(see ``portal.crypto``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import BigId

#: Household condition columns, in CSV order (DESIGN.md §5).
CONDITION_COLUMNS = (
    "floor_area_m2",
    "floor_material",
    "wall_material",
    "roof_material",
    "drinking_water",
    "lighting_source",
    "cooking_fuel",
    "toilet_facility",
    "home_ownership",
)

RELATIONSHIPS = (
    "kepala_keluarga",
    "istri",
    "suami",
    "anak",
    "menantu",
    "cucu",
    "orang_tua",
    "mertua",
    "famili_lain",
    "lainnya",
)


class Household(db.Model):
    """A family (KK) as of the latest imported snapshot."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("desil IS NULL OR (desil BETWEEN 1 AND 10)", name="desil_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kk_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    kk_enc: Mapped[bytes] = mapped_column(LargeBinary)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address_enc: Mapped[bytes] = mapped_column(LargeBinary)
    #: Welfare decile 1–10; NULL = "belum ada desil" (not yet ranked).
    desil: Mapped[int | None] = mapped_column(SmallInteger)
    #: ``;``-separated programme codes, e.g. ``PKH;SEMBAKO``.
    programs: Mapped[str] = mapped_column(String(64), default="")
    floor_area_m2: Mapped[int | None] = mapped_column(Integer)
    floor_material: Mapped[str | None] = mapped_column(String(32))
    wall_material: Mapped[str | None] = mapped_column(String(32))
    roof_material: Mapped[str | None] = mapped_column(String(32))
    drinking_water: Mapped[str | None] = mapped_column(String(32))
    lighting_source: Mapped[str | None] = mapped_column(String(32))
    cooking_fuel: Mapped[str | None] = mapped_column(String(32))
    toilet_facility: Mapped[str | None] = mapped_column(String(32))
    home_ownership: Mapped[str | None] = mapped_column(String(32))
    #: Latest ``updated_at`` among the household's rows: the data's as-of date.
    data_as_of: Mapped[dt.date] = mapped_column(Date)
    #: Keyed digest of every value of the household's rows; equal digest = no change.
    content_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Set when a newer snapshot no longer contains the household. Never deleted.
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Person(db.Model):
    """A member of a household, findable by the blind index of the NIK."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    nik_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    #: NIK, full name and birth date in one ciphertext (portal.registry.identity).
    identity_enc: Mapped[bytes] = mapped_column(LargeBinary)
    relationship: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(1))
    data_updated_at: Mapped[dt.date] = mapped_column(Date)


class ImportRun(db.Model):
    """One run of ``flask dtsen import``: what it read and what it changed."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_name: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: running, finished, failed
    status: Mapped[str] = mapped_column(String(10), default="running")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    households_new: Mapped[int] = mapped_column(Integer, default=0)
    households_changed: Mapped[int] = mapped_column(Integer, default=0)
    households_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    households_removed: Mapped[int] = mapped_column(Integer, default=0)


class ImportSeen(db.Model):
    """Households seen by a running import, to mark the absent ones removed
    at the end without holding a million keys in memory. Keyed by household
    id, not blind index: new ids arrive in order, so the index is appended
    to rather than written at random."""

    __tablename__ = "import_seen"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    first_line: Mapped[int] = mapped_column(Integer)


class LookupProof(db.Model):
    """That a session looked its household up with NIK and name (SECURITY.md LK7).

    The session holds only a random token; this row, keyed by the token's
    SHA-256, says which household it proved and until when. It lets that
    session see the result again (a reload, Back, a language switch) and
    start a request for the household without typing the NIK again, for
    ``LOOKUP_PROOF_MINUTES`` (30), and no longer once a request is sent or the
    resident finishes (``portal.registry.proofs``).
    """

    __tablename__ = "lookup_proofs"

    id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
