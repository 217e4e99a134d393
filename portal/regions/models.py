from __future__ import annotations

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import BigId

#: Region levels: 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan.
PROVINCE, REGENCY, DISTRICT, VILLAGE = 1, 2, 3, 4


class Region(db.Model):
    """One Kemendagri region, keyed by its dotted code (``32.76.01.1001``)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(120))
    #: provinsi, kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat
    kind: Mapped[str] = mapped_column(String(12))
    postal_code: Mapped[str | None] = mapped_column(String(5))


class Office(db.Model):
    """A social office: one national, one per province, one Dinas Sosial per kab/kota."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: ``national``, ``prov-32``, ``dinsos-32.01``
    code: Mapped[str] = mapped_column(String(24), unique=True)
    #: national, province, regency
    level: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    # How residents reach the office, shown on the tracking page (public data,
    # set with ``flask offices contact``); None where not known yet.
    public_phone: Mapped[str | None] = mapped_column(String(32))
    public_email: Mapped[str | None] = mapped_column(String(120))
    public_address: Mapped[str | None] = mapped_column(String(255))
