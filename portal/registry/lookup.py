"""Household status lookup by NIK and full name (DESIGN.md §3 ``/lookup``).

Privacy rules this module keeps:

* one indexed query on the NIK's blind index fetches the person's encrypted
  name together with the household and every member — the same query
  whether the NIK exists or not;
* exactly one decrypt-and-compare of the name on every path (a dummy
  ciphertext when the NIK is unknown), so "not found" and "name does not
  match" cost the same and return the same ``None``;
* only what the result page shows leaves this module: status, desil,
  programmes, as-of date, masked member names and relationships — never the
  KK number, the address or a full name.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import unicodedata
from dataclasses import dataclass

from flask import current_app

from portal.crypto import Keyring
from portal.db import placeholder, read_rows
from portal.registry.identity import open_identity, seal_identity

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Member:
    masked_name: str
    relationship: str
    is_subject: bool


@dataclass(frozen=True)
class HouseholdStatus:
    """What a resident may see about their own household."""

    household_id: int
    in_registry: bool  # False when a newer snapshot no longer holds it
    desil: int | None
    programs: tuple[str, ...]
    data_as_of: dt.date
    village_code: str
    members: tuple[Member, ...]


def normalise_name(name: str) -> str:
    """Case, accents' compatibility forms and spacing do not matter."""
    name = unicodedata.normalize("NFKC", name)
    return _SPACES.sub(" ", name).strip().casefold()


def mask_name(name: str) -> str:
    """``Budi Santoso`` → ``B*** S******``: first letter of each word."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


def _names_match(keyring: Keyring, stored: bytes, typed: str) -> bool:
    try:
        plain = open_identity(keyring, stored).full_name
    except ValueError:
        plain = ""
    return hmac.compare_digest(
        normalise_name(plain).encode("utf-8"), normalise_name(typed).encode("utf-8")
    )


def _dummy_ciphertext(keyring: Keyring) -> bytes:
    """A ciphertext to decrypt when the NIK is unknown, made once per keyring."""
    cache = current_app.extensions.setdefault("lookup_dummy", {})
    blob = cache.get(id(keyring))
    if blob is None:
        blob = cache[id(keyring)] = seal_identity(keyring, "0" * 16, "\u0000" * 24, "1900-01-01")
    return blob


#: One indexed query: the person by blind index, their household and every
#: member. Sent straight to the driver: this is the hot path of the busiest
#: page, and SQLAlchemy's statement handling cost more than the query.
_LOOKUP_SQL = (
    "SELECT p.identity_enc, h.id, h.removed_at, h.desil, h.programs, h.data_as_of, "
    "h.village_code, m.id, m.identity_enc, m.relationship, p.id "
    "FROM persons p JOIN households h ON h.id = p.household_id "
    "JOIN persons m ON m.household_id = h.id "
    "WHERE p.nik_index = {param} ORDER BY m.id"
)


def _fetch(nik_index: bytes) -> list[tuple]:
    return read_rows(_LOOKUP_SQL.format(param=placeholder()), (nik_index,))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def find_household_status(keyring: Keyring, nik: str, name: str) -> HouseholdStatus | None:
    """The household of the person with this NIK, if ``name`` is their name.

    ``nik`` must already be normalised to 16 digits. Returns ``None`` both
    when the NIK is unknown and when the name does not match.
    """
    rows = _fetch(keyring.nik_index(nik))
    stored = rows[0][0] if rows else _dummy_ciphertext(keyring)
    if not _names_match(keyring, stored, name) or not rows:
        return None
    first = rows[0]
    subject_id = first[10]
    members = tuple(
        Member(
            masked_name=mask_name(open_identity(keyring, r[8]).full_name),
            relationship=r[9],
            is_subject=r[7] == subject_id,
        )
        for r in rows
    )
    return HouseholdStatus(
        household_id=first[1],
        in_registry=first[2] is None,
        desil=first[3],
        programs=tuple(p for p in (first[4] or "").split(";") if p),
        data_as_of=_as_date(first[5]),
        village_code=first[6],
        members=members,
    )
