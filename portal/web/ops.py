"""Machine endpoints for operators (issue 14 §4): ``/healthz``, ``/readyz``,
``/metrics``.

They answer load balancers and Prometheus, not people: no rate limit (a
probe must never be refused by the budget it protects), no session, no
cookie (``formats.API_PREFIXES``), no CSRF (GET only), not logged line by
line (``logs.QUIET_ENDPOINTS``), never cached.

``/metrics`` is served only when ``METRICS_TOKEN`` is configured, to a
request with ``Authorization: Bearer <METRICS_TOKEN>``; otherwise it is a
404, as if it did not exist. ``flask metrics serve`` serves the same text on
a port of its own instead (``portal.metrics_cli``).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request

from portal import metrics, readiness
from portal.extensions import csrf
from portal.metrics_gauges import DatabaseGauges
from portal.ratelimit import limiter

bp = Blueprint("ops", __name__)
limiter.exempt(bp)
csrf.exempt(bp)


@bp.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """The process is alive. Touches nothing else."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Every dependency answers: 200; otherwise 503 naming the failed ones."""
    checks = readiness.check()
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def token_matches(header: str | None, token: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@bp.get("/metrics")
def scrape():
    """Prometheus' scrape, behind the bearer token."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    if not token_matches(request.headers.get("Authorization"), token):
        response = Response("metrics need the bearer token\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = metrics.exposition([DatabaseGauges()])
    return Response(body, 200, content_type=metrics.CONTENT_TYPE)
