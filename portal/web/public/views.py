from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from portal.extensions import db

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/healthz")
def healthz():
    """The process is alive. Touches nothing else."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
