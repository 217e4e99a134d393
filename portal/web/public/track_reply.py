"""The resident's reply when the office asks for more information (issue 11 §2)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reply", __name__)
