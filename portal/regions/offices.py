"""Finding a kab/kota Dinas Sosial by name or code, for a transfer
("bukan wewenang": the request belongs to another office); an office's
public contact, shown to residents on the tracking page (``flask offices contact``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.regions.models import Office

MAX_RESULTS = 20
MIN_QUERY = 2


def search_offices(query: str, *, exclude: int | None = None) -> list[Office]:
    """Regency offices whose name or code holds every typed word (case
    ignored), by name; at most ``MAX_RESULTS``. ``exclude``: an office id
    left out (the ticket's own)."""
    words = query.casefold().split()[:4]
    if len("".join(words)) < MIN_QUERY:
        return []
    stmt = select(Office).where(Office.level == "regency")
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Office.name).like(pattern, escape="\\"),
                func.lower(Office.code).like(pattern, escape="\\"),
            )
        )
    if exclude is not None:
        stmt = stmt.where(Office.id != exclude)
    return list(db.session.scalars(stmt.order_by(Office.name).limit(MAX_RESULTS)))


#: A public phone number: digits, spaces, dashes, parentheses, a leading +.
PUBLIC_PHONE = re.compile(r"\+?[0-9(][0-9 ()-]{4,30}")
PUBLIC_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class BadContact(ValueError):
    """A contact value the tracking page should not show."""


@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None
    address: str | None


def set_public_contact(
    code: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
) -> Office:
    """Set the public contact of the office ``code``: each given value
    replaces the stored one, an empty string removes it, None leaves it.
    Raises ``LookupError`` for an unknown office and ``BadContact``."""
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise LookupError(f"no office {code!r}")
    if phone is not None:
        office.public_phone = _checked(phone, PUBLIC_PHONE, 32, "phone") or None
    if email is not None:
        office.public_email = _checked(email, PUBLIC_EMAIL, 120, "email") or None
    if address is not None:
        address = " ".join(address.split())
        if len(address) > 255:
            raise BadContact("the address is longer than 255 characters")
        office.public_address = address or None
    db.session.flush()
    return office


def _checked(value: str, pattern: re.Pattern, longest: int, what: str) -> str:
    value = value.strip()
    if value and (len(value) > longest or not pattern.fullmatch(value)):
        raise BadContact(f"not a {what} to publish: {value!r}")
    return value


def demo_contacts(contacts: dict[str, Contact]) -> int:
    """Give the offices in ``contacts`` (by code) that have no public contact
    yet their demo contact; returns how many were set."""
    done = 0
    for code, contact in contacts.items():
        office = db.session.scalar(select(Office).where(Office.code == code))
        if office is None or office.public_phone or office.public_email or office.public_address:
            continue
        office.public_phone = contact.phone
        office.public_email = contact.email
        office.public_address = contact.address
        done += 1
    db.session.flush()
    return done
