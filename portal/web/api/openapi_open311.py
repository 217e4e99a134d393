"""The Open311 GeoReport v2 part of ``/api/openapi.json``: its paths.

Only the JSON form of each endpoint is described (the ``.xml`` twin carries
the same payload, ``formats.reply``). The answer shapes are the JSON Schemas
of ``open311/schemas.py``, referenced as components (``openapi_doc``).
"""

from __future__ import annotations

PREFIX = "/open311"
V2 = f"{PREFIX}/v2"
SERVICE_CODES = ["proposal", "objection", "correction"]
#: ``attribute[<code>]`` fields of a POST (the service definitions' codes).
ATTRIBUTES = {
    "subkind": "The request's subkind: one of the service definition's `subkind` keys.",
    "reason": "Required when the service definition lists reasons for the chosen subkind.",
    "household_nik": "NIK (16 digits) of the registry household's member, with household_name.",
    "household_name": "Full name as on the KTP, matched exactly like the web lookup.",
    "subject_name": "A household not in the registry: its name (with subject_address).",
    "subject_address": "A household not in the registry: its address (with subject_name).",
    "consent": "`yes`: the resident agreed to the processing of their data. Required.",
    "reporter_confidential": "`yes`/`no`: keep the reporter's identity from the household.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_name: str, description: str, headers: dict | None = None) -> dict:
    answer = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/Error{code}"} for code in codes}


JURISDICTION = {"$ref": "#/components/parameters/jurisdiction_id"}
LANG = {"$ref": "#/components/parameters/lang"}
CACHE = {"Cache-Control": {"$ref": "#/components/headers/Cache-Control"}}


def _path_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _query(name: str, description: str, schema: dict, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


def _get(op_id: str, summary: str, params: list, ok: dict, errors: tuple, *, keyed=False) -> dict:
    operation = {
        "operationId": op_id,
        "tags": ["Open311"],
        "summary": summary,
        "parameters": [*params, JURISDICTION, LANG],
        "responses": {"200": ok, **_errors(*errors)},
    }
    if keyed:  # the key is optional: without it, the public answer
        operation["security"] = [{}, {"api_key": []}]
    return {"get": operation}


_COMMA_LIST = {"type": "string", "description": "comma-separated"}
REQUESTS_QUERY = [
    _query(
        "service_request_id",
        "Request references (e.g. DT-7KQ4-M9XW), comma-separated, at most 1,000. "
        "When given, every other filter is ignored.",
        _COMMA_LIST,
    ),
    _query("service_code", "proposal, objection and/or correction, comma-separated.", _COMMA_LIST),
    _query(
        "start_date",
        "Submitted at or after (ISO 8601; without a zone, WIB). Default: end_date - 90 days.",
        {"type": "string", "format": "date-time"},
    ),
    _query(
        "end_date",
        "Submitted at or before (ISO 8601; without a zone, WIB). Default: now, or "
        "start_date + 90 days. At most 90 days after start_date.",
        {"type": "string", "format": "date-time"},
    ),
    _query("status", "open and/or closed, comma-separated.", _COMMA_LIST),
]

_POST_FIELDS = {
    "api_key": {"type": "string", "description": "The partner's key (security scheme api_key)."},
    "service_code": {"enum": SERVICE_CODES},
    "address_id": {"type": "string", "description": "Kemendagri village code, e.g. 32.01.01.2001."},
    "description": {
        "type": "string",
        "description": "The request's details, in the resident's words.",
    },
    "email": {"type": "string", "description": "The reporter's email (contact)."},
    "phone": {"type": "string", "description": "The reporter's phone number (contact)."},
    "first_name": {"type": "string", "description": "Kept only as part of the reporter contact."},
    "last_name": {"type": "string", "description": "Kept only as part of the reporter contact."},
    "lat": {"type": "number", "description": "Ignored."},
    "long": {"type": "number", "description": "Ignored."},
    "jurisdiction_id": {"type": "string"},
    "lang": {"enum": ["id", "en"], "description": "The language of service_notice."},
    **{
        f"attribute[{code}]": {"type": "string", "description": text}
        for code, text in ATTRIBUTES.items()
    },
}
POST_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": [
                    "api_key",
                    "service_code",
                    "address_id",
                    "attribute[subkind]",
                    "attribute[consent]",
                ],
                "properties": _POST_FIELDS,
                # any other service-definition attribute, as GeoReport v2 sends them
                "patternProperties": {r"^attribute\[[a-z_]+\]$": {"type": "string"}},
            }
        }
    },
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Sending the same key again (same partner) returns the same request: never two.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,40}$"},
}


def paths() -> dict:
    """The Open311 paths of the document."""
    return {
        f"{PREFIX}/discovery.json": _get(
            "open311Discovery",
            "Discovery: the endpoint, its formats and how to get a key",
            [],
            _json("Discovery", "The discovery document.", CACHE),
            (400, 404, 429, 500),
        ),
        f"{V2}/services.json": _get(
            "open311Services",
            "The services: proposal, objection, correction",
            [],
            _json("Services", "The service list.", CACHE),
            (400, 404, 429, 500),
        ),
        f"{V2}/services/{{service_code}}.json": _get(
            "open311ServiceDefinition",
            "A service's attributes (subkinds, reasons, household, consent)",
            [_path_param("service_code", "proposal, objection or correction.")],
            _json("ServiceDefinition", "The service definition.", CACHE),
            (400, 404, 429, 500),
        ),
        f"{V2}/requests.json": {
            **_get(
                "open311Requests",
                "Requests, newest first, at most 1,000, over at most 90 days",
                REQUESTS_QUERY,
                _json("Requests", "The matching requests.", CACHE),
                (400, 403, 404, 429, 500),
                keyed=True,
            ),
            "post": {
                "operationId": "open311PostRequest",
                "tags": ["Open311"],
                "summary": "Send a new request (partners, with their key)",
                "description": "Form-encoded as GeoReport v2 has it; the key is the form field "
                "`api_key` (OpenAPI cannot name a form field as a security scheme). "
                "Attributes are `attribute[<code>]` fields (the service definition's codes).",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": POST_BODY,
                "responses": {
                    "201": _json(
                        "Posted",
                        "The request was made (or, with the same Idempotency-Key, found).",
                        CACHE,
                    ),
                    **_errors(400, 403, 404, 429, 500),
                },
            },
        },
        f"{V2}/requests/{{service_request_id}}.json": _get(
            "open311Request",
            "One request (a list of one)",
            [_path_param("service_request_id", "The request reference, e.g. DT-7KQ4-M9XW.")],
            _json("Requests", "The request, as a list of one.", CACHE),
            (400, 403, 404, 429, 500),
            keyed=True,
        ),
        f"{V2}/tokens/{{token}}.json": _get(
            "open311Token",
            "The request a POST made, by the token it answered with",
            [_path_param("token", "The token of a POST's answer.")],
            _json("Tokens", "The token and its request, as a list of one.", CACHE),
            (400, 404, 429, 500),
        ),
    }
