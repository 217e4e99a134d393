"""``STATS_JSON``: the JSON Schema (2020-12) of ``/stats.json``
(``formats.as_json``). Every number is a cell: ``{"value": number,
"suppressed": false}`` or ``{"value": null, "suppressed": true}``
(``suppress``)."""

from __future__ import annotations

_CELL = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"value": {"type": "number"}, "suppressed": {"const": False}},
            "required": ["value", "suppressed"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"value": {"type": "null"}, "suppressed": {"const": True}},
            "required": ["value", "suppressed"],
            "additionalProperties": False,
        },
    ]
}
_PLACE_FIELDS = {
    "code": {"type": "string"},
    "name": {"type": "string"},
    "level": {"enum": ["national", "province", "regency"]},
}
_PLACE = {
    "type": "object",
    "properties": _PLACE_FIELDS,
    "required": list(_PLACE_FIELDS),
    "additionalProperties": False,
}
_FIGURES = (
    "submitted",
    "overdue",
    "decided",
    "counted",
    "on_time_share",
    "triage_median",
    "decision_median",
    "ratings",
    "rating_average",
)


def _breakdown(keys: list[str]) -> dict:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "key": {"enum": keys},
                "label": {"type": "string"},
                "count": {"$ref": "#/$defs/cell"},
            },
            "required": ["key", "label", "count"],
            "additionalProperties": False,
        },
    }


def _cells(names: tuple[str, ...]) -> dict:
    return {name: {"$ref": "#/$defs/cell"} for name in names}


STATS_JSON = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Public statistics of one scope (/stats.json)",
    "type": "object",
    "$defs": {"cell": _CELL, "place": _PLACE},
    "properties": {
        "scope": {"$ref": "#/$defs/place"},
        "above": {"type": "array", "items": {"$ref": "#/$defs/place"}},
        "computed_at": {"type": "string", "format": "date-time"},
        "period": {
            "type": "object",
            "properties": {
                "start": {"type": "string", "format": "date"},
                "end": {"type": "string", "format": "date"},
            },
            "required": ["start", "end"],
            "additionalProperties": False,
        },
        "suppression": {
            "type": "object",
            "properties": {"threshold": {"const": 5}},
            "required": ["threshold"],
            "additionalProperties": False,
        },
        "figures": {
            "type": "object",
            "properties": _cells(_FIGURES),
            "required": list(_FIGURES),
            "additionalProperties": False,
        },
        "by_kind": _breakdown(["proposal", "objection", "correction"]),
        "by_status": _breakdown(
            [
                "received",
                "checking",
                "needs_info",
                "to_decide",
                "accepted",
                "rejected",
                "closed",
                "duplicate",
                "withdrawn",
            ]
        ),
        "trend": {
            "type": "array",
            "minItems": 12,
            "maxItems": 12,
            "items": {
                "type": "object",
                "properties": {
                    "month": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                    **_cells(("submitted", "decided", "decided_on_time")),
                },
                "required": ["month", "submitted", "decided", "decided_on_time"],
                "additionalProperties": False,
            },
        },
        "ranking": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "rank": {"type": ["integer", "null"], "minimum": 1},
                    **_PLACE_FIELDS,
                    **_cells(("on_time_share", "counted")),
                },
                "required": ["rank", *_PLACE_FIELDS, "on_time_share", "counted"],
                "additionalProperties": False,
            },
        },
    },
    "required": [
        "scope",
        "above",
        "computed_at",
        "period",
        "suppression",
        "figures",
        "by_kind",
        "by_status",
        "trend",
        "ranking",
    ],
    "additionalProperties": False,
}
