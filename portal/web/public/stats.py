"""``/stats``: the public statistics (issue 13 §1)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stats", __name__)
