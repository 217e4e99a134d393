"""Open311 GeoReport v2: one payload, answered as JSON or XML.

The specification (http://wiki.open311.org/GeoReport_v2) fixes the shapes:

* a list answer (``services``, ``service_requests``, a single request — a
  list of one —, a POST's answer, ``tokens``) is a JSON array of objects, and
  in XML a root element holding one element per item:
  ``<service_requests><request>…</request></service_requests>``;
* an object answer (``service_definition``, ``discovery``) is a JSON object,
  and in XML the root element holding one element per field;
* inside an item, a list field is a wrapper element holding one element per
  entry (``<attributes><attribute>…``, ``<values><value>…``,
  ``<formats><format>text/xml</format>…``): ``LIST_ITEMS`` names them;
* errors are a list of ``{code, description}`` under ``<errors><error>``.

``None`` is JSON ``null`` and an empty XML element; booleans are ``true`` /
``false`` in both. Dates and times are ISO 8601 with their zone (``iso``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

from flask import Response, request

FORMATS = ("json", "xml")
#: The element of each entry of a list, by the list's (root or field) name.
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
#: Paths whose errors are answered in this format rather than as HTML pages,
#: and which set no cookie: the APIs, and the probes (``portal.web.ops``).
API_PREFIXES = ("/open311/", "/api/", "/healthz", "/readyz", "/metrics")
WIB = dt.timezone(dt.timedelta(hours=7))


class Open311Error(Exception):
    """Raised by an API view: answered as the specification's error list with
    this HTTP status (400, 403, 404, 429…). ``description`` is for the
    partner's developer: clear English, never anything the request sent."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601 with the zone, in WIB (``2026-03-18T06:30:00+07:00``); a date
    is the start of that day in WIB; None stays None."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), WIB)
    elif value.tzinfo is None:  # stored times without a zone are UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(WIB).isoformat(timespec="seconds")


def reply(payload: Sequence | Mapping, fmt: str, root: str, status: int = 200) -> Response:
    """``payload`` as ``fmt`` (``json``/``xml``) under ``root``."""
    if fmt == "xml":
        element = _element(root, payload)
        body = ET.tostring(element, encoding="unicode", xml_declaration=False)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    else:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype=MEDIA_TYPES.get(fmt, "application/json"))


def error_reply(status: int, description: str, fmt: str | None = None) -> Response:
    """The specification's error answer: ``[{"code": …, "description": …}]``."""
    payload = [{"code": status, "description": description}]
    return reply(payload, fmt or request_format(), "errors", status)


def request_format() -> str:
    """The format this request asked for: the path's ``.xml`` suffix, else JSON."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def is_api_request() -> bool:
    """Whether this request's errors are machine errors (Open311, /api/)."""
    return request.path.startswith(API_PREFIXES)


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS.get(tag, "item")
        for child in value:
            element.append(_element(item_tag, child))
    elif value is None:
        pass
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
    return element
