"""``/api/openapi.json``: the OpenAPI 3.1 document of every JSON endpoint
(built by ``openapi_doc``). Public, the same for everyone: a shared cache may
keep it a while; no session, no cookie."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from portal.web.api import openapi_doc

bp = Blueprint("api", __name__, url_prefix="/api")
#: The document changes only with a release.
CACHE_CONTROL = "public, max-age=3600"


@bp.get("/openapi.json")
def openapi():
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    body = json.dumps(openapi_doc.build(base + "/"), ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
