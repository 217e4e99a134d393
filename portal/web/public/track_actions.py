"""The resident's moves after opening their request: withdraw, appeal, rate
(issue 11 §3-4). Built by the resident-actions work; see HELPERS.md."""

from __future__ import annotations

from flask import Blueprint

from portal.tickets.models import Ticket

bp = Blueprint("resident", __name__)


def status_extras(ticket: Ticket) -> dict:
    """What the status page's decision and action parts need for ``ticket``."""
    return {}
