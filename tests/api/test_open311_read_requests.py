"""Open311 ``GET requests``, ``GET requests/<id>`` and ``GET tokens/<token>``
without a key: the specification's shapes in JSON and XML, every filter,
the 90-day window, the 1,000-row cap, and every bad input as a 400/404 in
the error format.

Four tickets, submitted (WIB) on 16, 17 and 18 March 2026 and 100 days
before the first; the API's clock stands at 15 April 2026, 10:00 WIB, so
its default window (the last 90 days) starts 15 January 2026.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, insert, select

from portal.extensions import db
from portal.tickets.models import Ticket
from portal.web.api.open311.schemas import REQUESTS, TOKENS
from tests.api.open311_read_support import (
    FIELD_ORDER,
    REQUEST_FIELDS,
    children,
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    error_of,
    make_ticket,
    new_token,
    place_names,
    valid,
    xml_root,
)
from tests.tickets import NOW

DAY = dt.timedelta(days=1)


@pytest.fixture
def four(app, keyring, db_clean):
    """{name: reference}: a open proposal, b closed objection, c accepted
    correction, d an old proposal outside the default window."""
    make = make_ticket
    return {
        "a": make(app, keyring, at=NOW),
        "b": make(
            app, keyring, at=NOW + DAY, status="closed", kind="objection", subkind="own_ranking"
        ),
        "c": make(
            app,
            keyring,
            at=NOW + 2 * DAY,
            status="accepted",
            kind="correction",
            subkind="member_died",
            reason_codes=(),
        ),
        "d": make(app, keyring, at=NOW - 100 * DAY, status="in_review"),
    }


def refs(client, query: str = "") -> list[str]:
    answer = client.get(f"/open311/v2/requests.json{query}")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    valid(REQUESTS, body)
    return [r["service_request_id"] for r in body]


def test_list_json_is_the_last_90_days_newest_first(app, client, four):
    answer = client.get("/open311/v2/requests.json")
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    body = answer.get_json()
    valid(REQUESTS, body)
    assert [r["service_request_id"] for r in body] == [four["c"], four["b"], four["a"]]
    c, b, a = body
    assert [a["status"], b["status"], c["status"]] == ["open", "closed", "closed"]
    assert [a["status_notes"], b["status_notes"], c["status_notes"]] == [
        "Sudah diterima",
        "Selesai",
        "Disetujui",
    ]
    assert [a["service_code"], b["service_code"], c["service_code"]] == [
        "proposal",
        "objection",
        "correction",
    ]
    assert a["service_name"] == "Usulkan rumah tangga"
    assert a["requested_datetime"] == "2026-03-16T10:00:00+07:00"
    assert c["requested_datetime"] == "2026-03-18T10:00:00+07:00"
    office, village, code = place_names(app, four["a"])
    assert (a["agency_responsible"], a["address"], a["address_id"]) == (office, village, code)
    for item in body:
        assert set(item) == REQUEST_FIELDS  # nothing else: no description, no contact
        assert list(item) == FIELD_ORDER
        assert item["zipcode"] is item["lat"] is item["long"] is item["media_url"] is None


def test_expected_datetime_is_the_current_due_date(app, client, four):
    with app.app_context():
        due = db.session.scalar(select(Ticket.due_next).where(Ticket.reference == four["a"]))
    body = client.get("/open311/v2/requests.json").get_json()
    assert body[-1]["expected_datetime"] == f"{due.isoformat()}T00:00:00+07:00"


def test_english_words(client, four):
    body = client.get("/open311/v2/requests.json?lang=en").get_json()
    assert [r["status_notes"] for r in body] == ["Accepted", "Closed", "Received"]
    assert body[-1]["service_name"] == "Propose a household"


def test_list_xml(client, four):
    root = xml_root(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests"
    assert children(root) == ["request"] * 3
    for item in root:
        assert children(item) == FIELD_ORDER
    assert [r.findtext("service_request_id") for r in root] == [four["c"], four["b"], four["a"]]
    assert root[0].find("lat").text is None  # null: an empty element


def test_empty_list_xml(client, db_clean):
    root = xml_root(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests" and len(root) == 0


def test_service_request_id_overrides_every_other_filter(client, four):
    query = (
        f"?service_request_id={four['d']},{four['a'].lower()}"
        "&status=closed&service_code=objection&start_date=2026-03-17T00:00:00Z"
    )
    assert refs(client, query) == [four["a"], four["d"]]


def test_service_code_filter(client, four):
    assert refs(client, "?service_code=objection,correction") == [four["c"], four["b"]]
    assert refs(client, "?service_code=objection&service_code=correction") == [
        four["c"],
        four["b"],
    ]
    assert refs(client, "?service_code=proposal") == [four["a"]]


def test_status_filter(client, four):
    assert refs(client, "?status=open") == [four["a"]]
    assert refs(client, "?status=closed") == [four["c"], four["b"]]
    assert refs(client, "?status=open,closed") == [four["c"], four["b"], four["a"]]


def test_date_range(client, four):
    week = "?start_date=2026-03-17T00:00:00%2B07:00&end_date=2026-03-24T00:00:00%2B07:00"
    assert refs(client, week) == [four["c"], four["b"]]
    # The same instant in UTC, and a "+" the query string turned into a space.
    assert refs(client, "?start_date=2026-03-16T17:00:00Z") == [four["c"], four["b"]]
    assert refs(client, "?start_date=2026-03-17T00:00:00+07:00") == [four["c"], four["b"]]
    # A date alone is the start of that day in WIB.
    assert refs(client, "?start_date=2026-03-17&end_date=2026-03-18") == [four["b"]]


def test_one_date_alone_spans_90_days_from_or_to_it(client, four):
    # d was sent 6 Dec 2025: 90 days from 5 Dec reach 5 Mar, before a.
    assert refs(client, "?start_date=2025-12-05") == [four["d"]]
    # 90 days up to 16 Mar 12:00 WIB reach back to 16 Dec: a only.
    assert refs(client, "?end_date=2026-03-16T12:00:00%2B07:00") == [four["a"]]


def test_exactly_90_days_is_allowed(client, four):
    query = "?start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z"
    assert refs(client, query) == [four["c"], four["b"], four["a"]]


BAD_QUERIES = {
    "start_date=yesterday": "start_date",
    "end_date=2026-13-01": "end_date",
    "start_date=2026-03-20&end_date=2026-03-10": "before",
    "start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:01Z": "90 days",
    "start_date=2025-01-01&end_date=2026-03-01": "90 days",
    "start_date=9999-12-31": "range",
    "end_date=0001-01-01T00:00:00%2B07:00": "end_date",
    "status=pending": "status",
    "status=open,done": "status",
    "service_code=pothole": "service_code",
    "service_code=proposal,x": "service_code",
    "service_request_id=12345": "service_request_id",
    "service_request_id=" + ",".join(["DT-2222-2222"] * 1001): "service_request_id",
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query", sorted(BAD_QUERIES))
def test_bad_input_is_a_400(client, db_clean, fmt, query):
    answer = client.get(f"/open311/v2/requests.{fmt}?{query}")
    description = error_of(answer, 400, fmt)
    assert BAD_QUERIES[query] in description
    assert answer.headers["Cache-Control"] == "no-store"
    for sent in ("yesterday", "2026-13-01", "pending", "pothole", "12345"):
        assert sent not in description  # nothing the request sent is echoed


def test_at_most_1000_rows_newest_first(app, client, keyring, db_clean):
    first = make_ticket(app, keyring, at=NOW)
    with app.app_context():
        row = dict(db.session.execute(select(Ticket.__table__)).mappings().one())
        rows = []
        for i in range(1, 1006):
            copy = dict(row, id=row["id"] + i, created_at=NOW + dt.timedelta(minutes=i))
            copy.update(
                reference=f"DT-X{i:04d}",
                tracking_token_index=i.to_bytes(32, "big"),
                idempotency_key=f"bulk-{i}",
            )
            rows.append(copy)
        db.session.execute(insert(Ticket.__table__), rows)
        db.session.commit()
    got = refs(client)
    assert len(got) == 1000
    assert got[0] == "DT-X1005" and got[-1] == "DT-X0006"
    assert first not in got


def test_one_query_whatever_the_number_of_rows(app, client, keyring, four):
    """No query per row (office or village names): the same count for 3 rows and 13."""
    with app.app_context():
        engine = db.engine

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/open311/v2/requests.json").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for i in range(10):
        make_ticket(app, keyring, at=NOW + dt.timedelta(hours=i + 1))
    assert len(refs(client)) == 13
    assert statements() == few <= 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_is_a_list_of_one(client, four, fmt):
    answer = client.get(f"/open311/v2/requests/{four['d']}.{fmt}")
    assert answer.status_code == 200
    if fmt == "json":
        body = answer.get_json()
        valid(REQUESTS, body)
        assert len(body) == 1 and body[0]["service_request_id"] == four["d"]
        assert body[0]["status"] == "open" and body[0]["status_notes"] == "Sedang diperiksa"
    else:
        root = xml_root(answer)
        assert root.tag == "service_requests" and children(root) == ["request"]
        assert children(root[0]) == FIELD_ORDER


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("ref", ["DT-2222-2222", "nothing", "x" * 300])
def test_unknown_request_is_404(client, four, fmt, ref):
    answer = client.get(f"/open311/v2/requests/{ref}.{fmt}")
    assert "service_request_id" in error_of(answer, 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_gives_its_request(app, client, keyring, db_clean, fmt):
    token = new_token()
    reference = make_ticket(app, keyring, partner_token=token)
    answer = client.get(f"/open311/v2/tokens/{token}.{fmt}")
    assert answer.status_code == 200
    if fmt == "json":
        body = answer.get_json()
        valid(TOKENS, body)
        assert body == [{"service_request_id": reference, "token": token}]
    else:
        root = xml_root(answer)
        assert root.tag == "service_requests" and children(root) == ["request"]
        assert children(root[0]) == ["service_request_id", "token"]
        assert root[0].findtext("service_request_id") == reference


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("token", ["0" * 32, "y" * 40])
def test_unknown_token_is_404(app, client, keyring, db_clean, fmt, token):
    make_ticket(app, keyring, partner_token=new_token())
    assert "token" in error_of(client.get(f"/open311/v2/tokens/{token}.{fmt}"), 404, fmt)
