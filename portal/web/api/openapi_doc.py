"""The OpenAPI 3.1 document of every JSON endpoint (served at ``/api/openapi.json``).

Answer shapes are JSON Schemas (2020-12, OpenAPI 3.1's dialect): the Open311
ones from ``open311/schemas.py``, the one description the tests also check
answers against. ``tests/api/test_openapi.py`` fails when a JSON route of the
app is missing here.
"""

from __future__ import annotations

import copy

from portal.stats.schema import STATS_JSON
from portal.web.api import openapi_open311
from portal.web.api.open311 import schemas

VERSION = "1.0.0"
#: The shape of ``/stats.json`` (its tests validate answers against it).
STATS_SCHEMA: dict = STATS_JSON


def _stats_components() -> dict:
    """``STATS_JSON`` as components: its ``$defs`` become ``Stats_<name>``
    (a ``#/$defs/…`` pointer means nothing inside the OpenAPI document)."""
    schema = copy.deepcopy(STATS_SCHEMA)
    schema.pop("$schema", None)
    defs = schema.pop("$defs", {})

    def rewrite(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                node["$ref"] = "#/components/schemas/Stats_" + ref.removeprefix("#/$defs/")
            for child in node.values():
                rewrite(child)
        elif isinstance(node, list):
            for child in node:
                rewrite(child)

    rewrite(schema)
    rewrite(defs)
    return {"Stats": schema} | {f"Stats_{name}": value for name, value in defs.items()}


_STATUS = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"enum": ["ok", "unavailable"]},
        "checks": {
            "type": "object",
            "description": "/readyz only: each dependency (database, redis when"
            " configured, storage) and whether it answered.",
            "additionalProperties": {"enum": ["ok", "failed"]},
        },
    },
    "additionalProperties": False,
}
_VILLAGES = {
    "type": "object",
    "required": ["results", "more"],
    "properties": {
        "results": {
            "type": "array",
            "maxItems": 15,
            "items": {
                "type": "object",
                "required": ["code", "label"],
                "properties": {"code": {"type": "string"}, "label": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "more": {"type": "boolean"},
    },
    "additionalProperties": False,
}
_HOOK_ANSWER = {
    "type": "object",
    "required": ["ok"],
    "properties": {"ok": {"type": "boolean"}},
    "additionalProperties": False,
}
_ERROR_WORDS = {
    400: "The request is wrong: the description says which parameter and why.",
    403: "api_key is missing, unknown or revoked.",
    404: "Not found, or jurisdiction_id is not this server's.",
    429: "Too many requests: the per-key budget (PARTNER_LIMIT_PER_KEY) or the per-address one.",
    500: "A fault on the server; nothing was made.",
}
_HTML = {"text/html": {"schema": {"type": "string"}}}
_RATE_LIMITED_PAGE = {
    "description": "Too many requests from this address (an HTML page).",
    "content": _HTML,
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _components() -> dict:
    requests = dict(copy.deepcopy(schemas.REQUESTS), items=_ref("Request"))
    return {
        "schemas": {
            "Errors": copy.deepcopy(schemas.ERRORS),
            "Discovery": copy.deepcopy(schemas.DISCOVERY),
            "Services": copy.deepcopy(schemas.SERVICES),
            "ServiceDefinition": copy.deepcopy(schemas.SERVICE_DEFINITION),
            "Request": copy.deepcopy(schemas.REQUEST),
            "Requests": requests,
            "Posted": copy.deepcopy(schemas.POSTED),
            "Tokens": copy.deepcopy(schemas.TOKENS),
            **_stats_components(),
            "Status": _STATUS,
            "Villages": _VILLAGES,
            "HookAnswer": _HOOK_ANSWER,
        },
        "responses": {
            f"Error{code}": _json(_ref("Errors"), words) for code, words in _ERROR_WORDS.items()
        },
        "parameters": {
            "jurisdiction_id": {
                "name": "jurisdiction_id",
                "in": "query",
                "required": False,
                "description": "Optional; when given it must be this server's "
                "(OPEN311_JURISDICTION_ID, dtsen.kemensos.go.id), else 404.",
                "schema": {"type": "string"},
            },
            "lang": {
                "name": "lang",
                "in": "query",
                "required": False,
                "description": "Language of the words (status_notes, service names, "
                "attribute descriptions): id (default) or en. Error descriptions are English.",
                "schema": {"type": "string"},
            },
        },
        "headers": {
            "Cache-Control": {
                "description": "How long a shared cache may keep the answer; "
                "answers to a request with a key are `private, no-store`.",
                "schema": {"type": "string"},
            }
        },
        "securitySchemes": {
            "api_key": {
                "type": "apiKey",
                "in": "query",
                "name": "api_key",
                "description": "A partner key (`flask partners create NAME`, or the admin page "
                "/office/admin/partners). On GET requests it shows the partner's own requests "
                "in full; on POST requests it is the form field `api_key`.",
            },
            "sms_secret": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Webhook-Secret",
                "description": "The SMS gateway's shared secret (SMS_INBOUND_SECRET).",
            },
        },
    }


def _simple_get(op_id: str, tag: str, summary: str, responses: dict, params=()) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "tags": [tag],
            "summary": summary,
            "parameters": list(params),
            "responses": responses,
        }
    }


def _other_paths() -> dict:
    status = _ref("Status")
    return {
        "/healthz": _simple_get(
            "healthz", "Health", "The process is alive", {"200": _json(status, "Alive.")}
        ),
        "/readyz": _simple_get(
            "readyz",
            "Health",
            "The database, Redis (when configured) and the evidence storage answer",
            {
                "200": _json(status, "Ready."),
                "503": _json(status, "A dependency does not answer: checks names it."),
            },
        ),
        "/stats.json": _simple_get(
            "stats",
            "Statistics",
            "The public statistics (counts under 5 suppressed), as on /stats",
            {
                "200": _json(_ref("Stats"), "The statistics."),
                "404": {"description": "No such scope (an HTML page).", "content": _HTML},
                "503": {
                    "description": "The statistics were never computed (`flask stats refresh`).",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
            },
            [
                {
                    "name": "scope",
                    "in": "query",
                    "required": False,
                    "description": "national (default), a province (prov-32) or an office"
                    " (dinsos-32.01).",
                    "schema": {"type": "string"},
                }
            ],
        ),
        "/regions/villages": _simple_get(
            "villages",
            "Regions",
            "Search villages by name: up to 15, for the village picker",
            {"200": _json(_ref("Villages"), "The villages found."), "429": _RATE_LIMITED_PAGE},
            [{"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}],
        ),
        "/hooks/sms": {
            "post": {
                "operationId": "smsInbound",
                "tags": ["Webhooks"],
                "summary": "An inbound SMS from the gateway (issue 11)",
                "security": [{"sms_secret": []}],
                "requestBody": {"required": True, "content": _sms_body()},
                "responses": {
                    "200": _json(_ref("HookAnswer"), "Accepted."),
                    "400": _json(_ref("HookAnswer"), "A missing or too long from or id."),
                    "403": _json(_ref("HookAnswer"), "A missing or wrong secret."),
                    "429": _RATE_LIMITED_PAGE,
                },
            }
        },
        "/api/openapi.json": _simple_get(
            "openapi", "API", "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1.")}
        ),
    }


def _sms_body() -> dict:
    schema = {
        "type": "object",
        "required": ["from", "id"],
        "properties": {
            "from": {"type": "string", "maxLength": 64},
            "text": {"type": "string"},
            "id": {"type": "string", "maxLength": 128},
        },
    }
    return {
        "application/json": {"schema": schema},
        "application/x-www-form-urlencoded": {"schema": schema},
    }


def build(server_url: str = "/") -> dict:
    """The whole document; ``server_url`` is the site's base URL."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "DTSEN Participation Portal API",
            "version": VERSION,
            "description": "Open311 GeoReport v2 (JSON; every endpoint also answers in XML "
            "with the `.xml` suffix), the public statistics and the health checks. "
            "See docs/api.md.",
        },
        "servers": [{"url": server_url}],
        "paths": {**openapi_open311.paths(), **_other_paths()},
        "components": _components(),
    }
