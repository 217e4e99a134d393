from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select

from portal import ratelimit
from portal.extensions import db
from portal.regions.models import Office
from portal.regions.search import search_villages

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


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


@bp.get("/help/late")
def help_late():
    """What to do when the office is late: the escalation to the province
    (DESIGN.md §4). ``?office=<code>`` (from the tracking page) names the
    province office above that office, with its public contact; an unknown
    or missing code gives the general text. Public data only."""
    from portal.web.public.track_status import province_office

    code = (request.args.get("office") or "")[:24]
    office = db.session.scalar(select(Office).where(Office.code == code)) if code else None
    province = province_office(office)
    return render_template("public/help_late.html", office=office, province=province)
