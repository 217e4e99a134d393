"""``/api/openapi.json``: a valid OpenAPI 3.1 document, built from the Open311
JSON Schemas, describing every JSON route of the app (and nothing that is
not served), served cacheable and without cookies."""

from __future__ import annotations

import json

import pytest
from flask import Flask, jsonify
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from portal.web.api import openapi_doc
from portal.web.api.open311 import schemas
from tests.api.openapi_routes import documented, json_routes

#: Operations described in the document but not served (none: keep it so).
NOT_SERVED_YET: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def document(app):
    with app.test_client() as client:
        return json.loads(client.get("/api/openapi.json").data)


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)  # openapi-spec-validator picks 3.1 from the version field


def test_a_broken_document_is_refused(document):
    """The validator does refuse: a response without its description."""
    broken = json.loads(json.dumps(document))
    del broken["paths"]["/healthz"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_component_schema_is_a_valid_json_schema(document):
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)  # raises SchemaError, naming the fault


def test_the_open311_components_are_the_schemas_module(document):
    given = document["components"]["schemas"]
    for name, schema in [
        ("Errors", schemas.ERRORS),
        ("Discovery", schemas.DISCOVERY),
        ("Services", schemas.SERVICES),
        ("ServiceDefinition", schemas.SERVICE_DEFINITION),
        ("Request", schemas.REQUEST),
        ("Posted", schemas.POSTED),
        ("Tokens", schemas.TOKENS),
    ]:
        assert given[name] == schema, name
    assert given["Requests"]["items"] == {"$ref": "#/components/schemas/Request"}
    assert given["Requests"]["maxItems"] == 1000


def test_every_error_status_answers_the_error_list(document):
    for code in (400, 403, 404, 429, 500):
        response = document["components"]["responses"][f"Error{code}"]
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Errors"
        }
    post = document["paths"]["/open311/v2/requests.json"]["post"]
    assert set(post["responses"]) == {"201", "400", "403", "404", "429", "500"}


def test_the_post_is_form_encoded_with_its_fields_and_attributes(document):
    post = document["paths"]["/open311/v2/requests.json"]["post"]
    body = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"api_key", "service_code", "address_id", "description", "email", "phone"} <= set(
        body["properties"]
    )
    assert {"attribute[subkind]", "attribute[consent]", "attribute[household_nik]"} <= set(
        body["properties"]
    )
    assert "api_key" in body["required"]
    assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key"]
    assert document["components"]["securitySchemes"]["api_key"]["name"] == "api_key"


def test_the_requests_query_has_every_filter(document):
    get = document["paths"]["/open311/v2/requests.json"]["get"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in get["parameters"]}
    assert names == {
        "service_request_id",
        "service_code",
        "start_date",
        "end_date",
        "status",
        "jurisdiction_id",
        "lang",
    }


def test_the_document_is_served_cacheable_and_without_cookies(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Set-Cookie" not in response.headers
    assert response.json["servers"] == [{"url": "http://localhost/"}]  # PUBLIC_BASE_URL (testing)


def test_the_health_answers_match_their_schema(client, document):
    status = document["components"]["schemas"]["Status"]
    for path in ("/healthz", "/readyz"):
        Draft202012Validator(status).validate(client.get(path).json)


# -- every JSON route is in the document -------------------------------------------------------


def test_every_json_route_of_the_app_is_documented(app, document):
    missing = json_routes(app) - documented(document)
    assert not missing, f"JSON routes missing from /api/openapi.json: {sorted(missing)}"


def test_the_known_json_routes_are_recognised(app):
    """The recognition itself (a hand list of today's JSON routes)."""
    assert {
        ("/healthz", "GET"),
        ("/readyz", "GET"),
        ("/regions/villages", "GET"),
        ("/hooks/sms", "POST"),
        ("/api/openapi.json", "GET"),
    } <= json_routes(app)
    assert ("/", "GET") not in json_routes(app)  # an HTML page


def test_a_new_undocumented_json_route_is_caught(document):
    """What the test above does when someone adds a JSON route and forgets
    the document: both ways of recognising one."""
    extra = Flask(__name__)

    @extra.get("/things/<int:thing_id>")
    def thing(thing_id):
        return jsonify(id=thing_id)

    @extra.get("/open311/v2/things.<any(json, xml):fmt>")
    def things(fmt):
        return "[]"

    assert json_routes(extra) - documented(document) == {
        ("/things/{}", "GET"),
        ("/open311/v2/things.json", "GET"),
    }


def test_everything_documented_is_served(app, document):
    served = {(path, method) for path, method in _served(app)}
    assert documented(document) - served == NOT_SERVED_YET
    assert not NOT_SERVED_YET & served, "served now: take it out of NOT_SERVED_YET"


def _served(app):
    from tests.api.openapi_routes import FORMAT_VARIABLE, METHODS, VARIABLE

    for rule in app.url_map.iter_rules():
        path = VARIABLE.sub("{}", FORMAT_VARIABLE.sub(".json", rule.rule))
        for method in rule.methods & METHODS:
            yield path, method


def test_stats_schema_is_the_one_its_answers_are_checked_against():
    from portal.stats.schema import STATS_JSON

    assert openapi_doc.STATS_SCHEMA == STATS_JSON
    stats = openapi_doc.build()["components"]["schemas"]["Stats"]
    assert stats["properties"]["figures"]["properties"]["overdue"] == {
        "$ref": "#/components/schemas/Stats_cell"
    }
