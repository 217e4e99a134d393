from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import text

from portal import ratelimit
from portal.extensions import db
from portal.regions.search import search_villages

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


@bp.get("/regions/villages")
def villages():
    """``?q=`` → up to 15 villages as JSON: the searchable village list that
    JavaScript adds to the step-by-step picker (``static/js/village-search.js``)."""
    ratelimit.hit_or_429(
        current_app.config["REGION_SEARCH_LIMIT_PER_IP"], "region-search", ratelimit.address_key()
    )
    found = search_villages(request.args.get("q", "")[:100])
    return jsonify(
        results=[{"code": p.code, "label": p.label} for p in found.places], more=found.more
    )
