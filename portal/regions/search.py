"""Finding a desa/kelurahan by name, for the searchable village list.

83,762 villages, each with its place ("Cibinong, Kec. Cibinong, Kab. Bogor,
Jawa Barat"), are held in memory once per process (a few MB, built from the
regions table on first use) and matched in Python: every typed word must
appear somewhere in the place, so "cibinong bogor" narrows to Bogor's. The
regions only change with ``flask regions load``, after which the server is
restarted anyway for a new release.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import VILLAGE, Region

MIN_QUERY = 3
MAX_RESULTS = 15
_lock = threading.Lock()


@dataclass(frozen=True)
class Place:
    code: str
    label: str  # "Village, District, Regency, Province"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _index() -> list[tuple[str, Place]]:
    cache = current_app.extensions.get("portal_village_index")
    if cache is None:
        with _lock:
            cache = current_app.extensions.get("portal_village_index")
            if cache is None:
                cache = current_app.extensions["portal_village_index"] = _build()
    return cache


def _build() -> list[tuple[str, Place]]:
    names = dict(db.session.execute(select(Region.code, Region.name)).all())
    villages = db.session.scalars(
        select(Region.code).where(Region.level == VILLAGE).order_by(Region.code)
    )
    index = []
    for code in villages:
        parts = code.split(".")
        path = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
        label = ", ".join(names[c] for c in path if c in names)
        index.append((_fold(label), Place(code, label)))
    return index


def search_villages(query: str, limit: int = MAX_RESULTS) -> list[Place]:
    """Villages whose place holds every word of ``query``; the village's own
    name matching first, then by place."""
    words = _fold(query).split()
    if len("".join(words)) < MIN_QUERY:
        return []
    first = words[0]
    found = [place for folded, place in _index() if all(w in folded for w in words)]
    found.sort(key=lambda p: (first not in _fold(p.label.split(",")[0]), p.label))
    return found[:limit]
