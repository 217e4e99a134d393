"""Open311 discovery, services and service definitions, in JSON and XML,
against the JSON Schemas and the specification's element names; the
jurisdiction, the language, caching and cookies on every read endpoint."""

from __future__ import annotations

import pytest

from portal.web.api.open311.schemas import DISCOVERY, SERVICE_DEFINITION, SERVICES
from tests.api.open311_read_support import (
    ATTRIBUTE_FIELDS,
    ENDPOINT_FIELDS,
    SERVICE_FIELDS,
    children,
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    error_of,
    valid,
    xml_root,
)

READ_PATHS = (
    "/open311/discovery",
    "/open311/v2/services",
    "/open311/v2/services/proposal",
    "/open311/v2/requests",
)
#: The contract's attributes, in order, per service (hand-written).
ATTRIBUTES = {
    "proposal": [
        "subkind",
        "reason",
        "household_nik",
        "household_name",
        "subject_name",
        "subject_address",
        "consent",
        "reporter_confidential",
    ],
    "objection": [
        "subkind",
        "reason",
        "household_nik",
        "household_name",
        "subject_name",
        "subject_address",
        "consent",
        "reporter_confidential",
    ],
    # No reason codes for corrections: no reason attribute.
    "correction": [
        "subkind",
        "household_nik",
        "household_name",
        "subject_name",
        "subject_address",
        "consent",
        "reporter_confidential",
    ],
}
SUBKINDS = {
    "proposal": ["own_household", "other_household"],
    "objection": ["own_ranking", "ineligible_recipient"],
    "correction": [
        "member_died",
        "member_born",
        "member_moved",
        "wrong_name",
        "wrong_birth_date",
        "house_changed",
    ],
}
REASONS = {
    "proposal": [
        "no_income",
        "lost_job",
        "sick_or_disabled",
        "elderly",
        "poor_house",
        "not_in_data",
    ],
    "objection": [
        "desil_too_high",
        "excluded",
        "house_data_wrong",
        "income_dropped",
        "members_wrong",
        "well_off",
        "steady_income",
        "moved_away",
        "died",
        "other",
    ],
}
REQUIRED = {"subkind", "reason", "consent"}


def test_discovery_json(client):
    answer = client.get("/open311/discovery.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    valid(DISCOVERY, body)
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] == "test"  # not the production settings
    assert sorted(endpoint["formats"]) == ["application/json", "text/xml"]


def test_discovery_xml(client):
    root = xml_root(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    endpoints = root.find("endpoints")
    assert children(endpoints) == ["endpoint"]
    assert set(children(endpoints[0])) == ENDPOINT_FIELDS
    formats = endpoints[0].find("formats")
    assert children(formats) == ["format", "format"]
    assert {f.text for f in formats} == {"text/xml", "application/json"}


def test_services_json(client):
    body = client.get("/open311/v2/services.json").get_json()
    valid(SERVICES, body)
    assert [s["service_code"] for s in body] == ["proposal", "objection", "correction"]
    assert all(s["metadata"] is True and s["type"] == "realtime" for s in body)


def test_services_xml(client):
    root = xml_root(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert children(root) == ["service"] * 3
    for service in root:
        assert set(children(service)) == SERVICE_FIELDS
        assert service.findtext("metadata") == "true"
    assert [s.findtext("service_code") for s in root] == ["proposal", "objection", "correction"]


@pytest.mark.parametrize("code", ["proposal", "objection", "correction"])
def test_service_definition_json(client, code):
    body = client.get(f"/open311/v2/services/{code}.json").get_json()
    valid(SERVICE_DEFINITION, body)
    assert body["service_code"] == code
    attributes = body["attributes"]
    assert [a["code"] for a in attributes] == ATTRIBUTES[code]
    assert [a["order"] for a in attributes] == list(range(1, len(attributes) + 1))
    by_code = {a["code"]: a for a in attributes}
    assert [v["key"] for v in by_code["subkind"]["values"]] == SUBKINDS[code]
    if code in REASONS:
        assert [v["key"] for v in by_code["reason"]["values"]] == REASONS[code]
    assert [v["key"] for v in by_code["consent"]["values"]] == ["yes"]
    assert [v["key"] for v in by_code["reporter_confidential"]["values"]] == ["yes", "no"]
    assert {a["code"] for a in attributes if a["required"]} == REQUIRED & set(ATTRIBUTES[code])
    lists = {a["code"] for a in attributes if a["datatype"] == "singlevaluelist"}
    assert lists == {"subkind", "reason", "consent", "reporter_confidential"} & set(
        ATTRIBUTES[code]
    )
    assert by_code["household_nik"]["datatype"] == "string"


@pytest.mark.parametrize("code", ["proposal", "correction"])
def test_service_definition_xml(client, code):
    root = xml_root(client.get(f"/open311/v2/services/{code}.xml"))
    assert root.tag == "service_definition"
    assert children(root) == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert children(attributes) == ["attribute"] * len(ATTRIBUTES[code])
    for attribute in attributes:
        names = children(attribute)
        if attribute.findtext("datatype") == "singlevaluelist":
            assert set(names) == ATTRIBUTE_FIELDS | {"values"}
            values = attribute.find("values")
            assert set(children(values)) == {"value"}
            assert all(children(v) == ["key", "name"] for v in values)
        else:
            assert set(names) == ATTRIBUTE_FIELDS
    assert [a.findtext("code") for a in attributes] == ATTRIBUTES[code]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(client, fmt):
    answer = client.get(f"/open311/v2/services/pothole.{fmt}")
    assert "service_code" in error_of(answer, 404, fmt)


def test_unknown_format_is_an_open311_404(client):
    answer = client.get("/open311/v2/services.csv")
    error_of(answer, 404)


@pytest.mark.parametrize("path", (*READ_PATHS, "/open311/v2/requests/DT-2222-2222"))
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_jurisdiction_is_404(client, db_clean, path, fmt):
    answer = client.get(f"{path}.{fmt}?jurisdiction_id=elsewhere.example")
    assert "jurisdiction_id" in error_of(answer, 404, fmt)


@pytest.mark.parametrize("path", READ_PATHS)
def test_own_jurisdiction_is_served(client, db_clean, path):
    answer = client.get(f"{path}.json?jurisdiction_id=dtsen.kemensos.go.id")
    assert answer.status_code == 200


def test_words_follow_lang_and_default_to_indonesian(client):
    default = client.get("/open311/v2/services.json").get_json()
    indonesian = client.get("/open311/v2/services.json?lang=id").get_json()
    english = client.get("/open311/v2/services.json?lang=en").get_json()
    assert default == indonesian
    assert english[0]["service_name"] == "Propose a household"
    assert indonesian[0]["service_name"] == "Usulkan rumah tangga"


def test_a_language_cookie_does_not_change_the_answer(client):
    client.set_cookie("lang", "en")
    assert client.get("/open311/v2/services.json").get_json()[1]["service_name"] == "Sanggahan"


@pytest.mark.parametrize("path", READ_PATHS)
def test_no_cookie_is_set(client, db_clean, path):
    client.get("/lookup")  # a session cookie of the public pages, sent along
    assert client.get_cookie("session") is not None
    for query in ("", "?lang=en", "?lang=id"):
        answer = client.get(f"{path}.json{query}")
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers, path + query
    answer = client.get("/open311/v2/services/nothing.xml?lang=en")
    assert answer.status_code == 404 and "Set-Cookie" not in answer.headers


def test_no_session_refresh_either(client, db_clean):
    """A permanent session is refreshed on every response Flask sends: never an API's."""
    with client.session_transaction() as session:
        session.permanent = True
        session["seen"] = 1
    assert "Set-Cookie" in client.get("/lookup").headers  # the pages do refresh it
    for path in READ_PATHS:
        assert "Set-Cookie" not in client.get(f"{path}.json").headers, path


def test_catalogue_is_cacheable_and_errors_are_not(client):
    assert client.get("/open311/v2/services.json").headers["Cache-Control"] == (
        "public, max-age=3600"
    )
    assert client.get("/open311/v2/services/none.json").headers["Cache-Control"] == "no-store"
