"""Which routes of an app answer JSON, and which of them ``/api/openapi.json``
leaves out (``tests/api/test_openapi.py``).

A route answers JSON when its rule ends in ``.json`` or takes the Open311
format (``.<any(json, xml):fmt>``: its ``.json`` form), or when its view's
source builds a JSON answer (``jsonify``, ``formats.reply``, an
``application/json`` body). Reading the source, not a registry: a route
someone adds without knowing about the document is still found.
"""

from __future__ import annotations

import inspect
import re

from flask import Flask

FORMAT_VARIABLE = re.compile(r"\.<(?:any\([^)]*\):)?fmt>$")
VARIABLE = re.compile(r"<(?:[^>:]+:)?[^>]+>")
DOC_VARIABLE = re.compile(r"\{[^}]+\}")
JSON_IN_SOURCE = re.compile(r"\bjsonify\(|(?<!def )\breply\(|application/json")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def json_routes(app: Flask) -> set[tuple[str, str]]:
    """``(path, method)`` of every JSON route, path in OpenAPI form with
    ``{}`` for each variable (``/open311/v2/services/{}.json``)."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = FORMAT_VARIABLE.sub(".json", rule.rule)
        view = app.view_functions[rule.endpoint]
        if not (path.endswith(".json") or _builds_json(view)):
            continue
        for method in rule.methods & METHODS:
            found.add((VARIABLE.sub("{}", path), method))
    return found


def documented(document: dict) -> set[tuple[str, str]]:
    """``(path, method)`` of every operation of an OpenAPI document."""
    return {
        (DOC_VARIABLE.sub("{}", path), method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method.upper() in METHODS
    }


def _builds_json(view) -> bool:
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return False
    return bool(JSON_IN_SOURCE.search(source))
