"""Finding a kab/kota Dinas Sosial by name or code, for a transfer
("bukan wewenang": the request belongs to another office)."""

from __future__ import annotations

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
