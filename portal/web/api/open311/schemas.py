"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the Open311 answers.

The one description of each JSON shape: the tests validate every answer
against these, and ``/api/openapi.json`` is built from them. Field names are
the specification's (http://wiki.open311.org/GeoReport_v2); the XML form of
the same payload follows from ``formats.reply``.
"""

from __future__ import annotations

_STR_OR_NULL = {"type": ["string", "null"]}
_DATETIME = {"type": "string", "format": "date-time"}
_DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "additionalProperties": False,
    },
}

DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "changeset": _DATETIME,
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "specification": {"type": "string"},
                    "url": {"type": "string"},
                    "changeset": _DATETIME,
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ],
        "properties": {
            "service_code": {"enum": ["proposal", "objection", "correction"]},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
        "additionalProperties": False,
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"enum": ["proposal", "objection", "correction"]},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "variable",
                    "code",
                    "datatype",
                    "required",
                    "datatype_description",
                    "order",
                    "description",
                ],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string"},
                    "datatype": {
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ]
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": _STR_OR_NULL,
                    "order": {"type": "integer", "minimum": 1},
                    "description": {"type": "string"},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

#: One service request as ``GET requests`` and ``GET requests/{id}`` answer
#: it. ``description`` (and the contact fields) only for the partner that
#: sent it, asking with its key; in every public answer they are absent.
REQUEST = {
    "type": "object",
    "required": [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "status_notes": {"type": "string"},
        "service_name": {"type": "string"},
        "service_code": {"enum": ["proposal", "objection", "correction"]},
        "description": {"type": "string"},
        "agency_responsible": {"type": "string"},
        "service_notice": _STR_OR_NULL,
        "requested_datetime": _DATETIME,
        "updated_datetime": _DATETIME,
        "expected_datetime": _DATETIME_OR_NULL,
        "address": {"type": "string"},
        "address_id": {"type": "string"},
        "zipcode": _STR_OR_NULL,
        "lat": _NUMBER_OR_NULL,
        "long": _NUMBER_OR_NULL,
        "media_url": _STR_OR_NULL,
        "email": _STR_OR_NULL,
        "phone": _STR_OR_NULL,
        "first_name": _STR_OR_NULL,
        "last_name": _STR_OR_NULL,
    },
    "additionalProperties": False,
}
REQUESTS = {"type": "array", "maxItems": 1000, "items": REQUEST}

#: ``POST requests``: the answer, a list of one.
POSTED = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id", "token", "service_notice", "account_id"],
        "properties": {
            "service_request_id": {"type": "string"},
            "token": {"type": "string"},
            "service_notice": _STR_OR_NULL,
            "account_id": _STR_OR_NULL,
        },
        "additionalProperties": False,
    },
}

#: ``GET tokens/{token}``: a list of one.
TOKENS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["token", "service_request_id"],
        "properties": {"token": {"type": "string"}, "service_request_id": _STR_OR_NULL},
        "additionalProperties": False,
    },
}
