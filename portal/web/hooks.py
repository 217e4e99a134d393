"""Webhooks from outside services: the SMS gateway's inbound messages (issue 11 §6)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hooks", __name__)
