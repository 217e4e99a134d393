"""Which office is responsible for a village (DESIGN.md §4 "Routing")."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import VILLAGE, Office, Region

VILLAGE_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}")


class UnknownVillage(ValueError):
    """The code is not a known desa/kelurahan."""


def regency_code_of(village_code: str) -> str:
    """``32.01.01.2001`` → ``32.01`` (the kabupaten/kota)."""
    if not isinstance(village_code, str) or not VILLAGE_CODE.fullmatch(village_code):
        raise UnknownVillage(village_code)
    return village_code[:5]


def route_to_office(village_code: str) -> Office:
    """The Dinas Sosial of the kabupaten/kota that owns the village."""
    regency = regency_code_of(village_code)
    known = db.session.scalar(
        select(Region.code).where(Region.code == village_code, Region.level == VILLAGE)
    )
    if known is None:
        raise UnknownVillage(village_code)
    office = db.session.scalar(select(Office).where(Office.region_code == regency))
    if office is None:
        raise LookupError(f"no office for {regency}: run `flask regions load`")
    return office


def supervising_offices(office: Office) -> list[Office]:
    """The chain above an office, nearest first: province, then national."""
    chain = []
    current = office
    while current.parent_id is not None:
        current = db.session.get(Office, current.parent_id)
        chain.append(current)
    return chain
