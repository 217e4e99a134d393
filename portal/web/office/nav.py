"""The back office's menu: each page module registers its own entry
(``register``), for the roles that may open it; ``base.html`` shows the
entries of the logged-in role on every ``/office`` page.

Registering beside the route keeps the menu and the permission decorator in
one file: a page is never in the menu of a role its decorator refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for
from flask_babel import LazyString

from portal.web.office import bp


@dataclass(frozen=True)
class Entry:
    endpoint: str
    label: LazyString
    roles: tuple[str, ...]
    #: Lower first.
    order: int


_ENTRIES: list[Entry] = []


def register(endpoint: str, label: LazyString, roles: tuple[str, ...], order: int = 50) -> None:
    """Add ``endpoint`` (e.g. ``"office.visits"``) to the menu of ``roles``."""
    _ENTRIES.append(Entry(endpoint, label, tuple(roles), order))
    _ENTRIES.sort(key=lambda e: (e.order, e.endpoint))


def entries_for(role: str) -> list[Entry]:
    return [e for e in _ENTRIES if role in e.roles]


@bp.app_context_processor
def _office_menu() -> dict:
    """``office_menu``: (label, url, current) for the logged-in staff member
    on an ``/office`` page; empty elsewhere."""
    staff = g.get("staff")
    if staff is None or request.blueprint != "office":
        return {"office_menu": []}
    return {
        "office_menu": [
            (e.label, url_for(e.endpoint), request.endpoint == e.endpoint)
            for e in entries_for(staff.role)
        ]
    }
