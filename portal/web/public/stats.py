"""``/stats``: the public statistics (issue 13 §1), no login. ``?scope=``
an office code (default ``national``); ``/stats.csv`` and ``/stats.json``
carry the same numbers for the same scope. The figures come from the
``stats_*`` tables (``flask stats refresh``), never from the tickets, and
each process reuses them for a minute (``portal.stats.cache``)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from portal.db import transaction
from portal.i18n import current_lang
from portal.stats import cache, formats, read
from portal.stats.suppress import THRESHOLD, Cell
from portal.tickets import sla

bp = Blueprint("stats", __name__)

#: Decimal places per kind of figure.
_PLACES = {"count": 0, "share": 1, "average": 2}


@bp.app_template_filter("stat")
def stat_text(cell: Cell, kind: str = "count") -> str:
    """A cell as the page shows it: "fewer than 5", or the number with the
    language's separators (id 1.234,5; en 1,234.5) and " %" for a share.
    Plain string formatting: about 150 cells a page (Babel's formatter cost
    most of the page's time)."""
    if cell.suppressed:
        return _("fewer than 5")
    text = f"{cell.value:,.{_PLACES[kind]}f}"
    if current_lang() == "id":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text + " %" if kind == "share" else text


def _load() -> read.ScopeStats | None:
    """The scope asked for; 404 for an unknown one."""
    code = request.args.get("scope", "national")
    if len(code) > 24:
        abort(404)
    with transaction():
        stats = cache.load(code, current_app.config["STATS_CACHE_SECONDS"])
    if stats is None and code != "national":
        abort(404)
    return stats


def _not_yet():
    return Response("statistics not computed yet\n", 503, mimetype="text/plain")


@bp.get("/stats")
def page():
    stats = _load()
    as_of = stats.computed_at.astimezone(sla.WIB) if stats else None
    return render_template(
        "public/stats.html", stats=stats, as_of=as_of, threshold=THRESHOLD, labels=read
    )


@bp.get("/stats.json")
def as_json():
    stats = _load()
    return jsonify(formats.as_json(stats)) if stats else _not_yet()


@bp.get("/stats.csv")
def as_csv():
    stats = _load()
    if stats is None:
        return _not_yet()
    name = f"stats-{stats.place.code}.csv"
    return Response(
        formats.as_csv(stats),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
