"""Household status lookup by NIK and full name (DESIGN.md §3 ``/lookup``).

Two steps, on either side of the redirect that shows the result
(``/lookup`` → ``/lookup/result``):

* ``find_household``: the POST. One indexed query on the NIK's blind index
  fetches the person's encrypted identity and household id, the same query
  whether the NIK exists or not; then exactly one decrypt-and-compare of the
  name on every path (a dummy ciphertext when the NIK is unknown), so "not
  found" and "name does not match" cost the same and return the same
  ``None`` (SECURITY.md LK2, LK3). Names are compared by
  ``portal.registry.fullname.normalise_name`` only.
* ``proven_status``: the GET. The household a session's proof names
  (``portal.registry.proofs``), in one query with every member.

Only what the result page shows leaves this module: status, desil,
programmes, as-of date, masked member names and relationships, and the
house conditions (floor area, materials, water, lighting, cooking fuel,
toilet, ownership) — never the KK number, the address or a full name.

The house conditions are a decision of issue 15 ("why is my desil this?"),
newer than SECURITY.md LK1's list: a resident can only spot a wrong record
that the ranking used if they see it. They describe the house, not a person,
and identify no one without the address, which stays out; LK1's test (no
unmasked name, no KK, no address in the response) holds unchanged.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from flask import current_app

from portal.crypto import Keyring
from portal.db import placeholder, read_rows, stored_utc
from portal.registry import proofs
from portal.registry.fullname import normalise_name
from portal.registry.identity import open_identity, seal_identity
from portal.registry.models import CONDITION_COLUMNS

__all__ = ["HouseholdStatus", "Member", "find_household", "normalise_name", "proven_status"]


@dataclass(frozen=True)
class Member:
    masked_name: str
    relationship: str


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
    #: ``(column, recorded value)`` in ``CONDITION_COLUMNS`` order; a value is
    #: the registry's code (``schema.CONDITION_VALUES``), an int for the
    #: floor area, or ``None`` when the snapshot left it empty.
    conditions: tuple[tuple[str, str | int | None], ...] = ()


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


#: The POST's one indexed query: the person by blind index. Sent straight to
#: the driver: this is the hot path of the busiest page, and SQLAlchemy's
#: statement handling cost more than the query.
_FIND_SQL = "SELECT identity_enc, household_id FROM persons WHERE nik_index = {param}"

#: The result page's one query: the proof, its household and every member.
_STATUS_SQL = (
    "SELECT pr.expires_at, h.id, h.removed_at, h.desil, h.programs, h.data_as_of, "  # nosec B608 - fixed names
    "h.village_code, m.identity_enc, m.relationship, "
    + ", ".join(f"h.{c}" for c in CONDITION_COLUMNS)
    + " "
    "FROM lookup_proofs pr JOIN households h ON h.id = pr.household_id "
    "JOIN persons m ON m.household_id = h.id "
    "WHERE pr.id = {param} ORDER BY m.id"
)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _as_utc(value) -> dt.datetime:
    """SQLite hands the raw driver a string; PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return stored_utc(value)


def find_household(keyring: Keyring, nik: str, name: str) -> int | None:
    """The household id of the person with this NIK, if ``name`` is their name.

    ``nik`` must already be normalised to 16 digits. Returns ``None`` both
    when the NIK is unknown and when the name does not match.
    """
    rows = read_rows(_FIND_SQL.format(param=placeholder()), (keyring.nik_index(nik),))
    stored = rows[0][0] if rows else _dummy_ciphertext(keyring)
    if not _names_match(keyring, stored, name) or not rows:
        return None
    return rows[0][1]


def proven_status(keyring: Keyring, token: str | None, now: dt.datetime) -> HouseholdStatus | None:
    """What the lookup showed, for the session holding proof ``token``, while
    the proof lasts (``portal.registry.proofs``); else ``None``."""
    if not token:
        return None
    rows = read_rows(_STATUS_SQL.format(param=placeholder()), (proofs.proof_id(token),))
    if not rows or _as_utc(rows[0][0]) <= now:
        return None
    first = rows[0]
    return HouseholdStatus(
        household_id=first[1],
        in_registry=first[2] is None,
        desil=first[3],
        programs=tuple(p for p in (first[4] or "").split(";") if p),
        data_as_of=_as_date(first[5]),
        village_code=first[6],
        members=tuple(
            Member(mask_name(open_identity(keyring, r[7]).full_name), r[8]) for r in rows
        ),
        conditions=tuple(zip(CONDITION_COLUMNS, first[9:], strict=True)),
    )
