"""The decisions CSV (issue 12 §6a, docs/exports.md): its rows against a
hand-written table, the WIB period boundaries, KK and the head's NIK equal
to the registry rows the test imported, RFC 4180 parsed back, formula
injection neutralised, the headers, and the audit row."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from portal.tickets.exports import safe_cell
from tests.office import export_fixtures as fx
from tests.office.export_fixtures import UTC, VILLAGE
from tests.staff import conftest as staff
from tests.staff.conftest import log_in, make_staff, token
from tests.staff.test_permissions import BANDUNG

clean_limits, clock = staff.clean_limits, staff.clock

HEADER = [
    "reference",
    "kind",
    "subkind",
    "decision",
    "reason_codes",
    "kk_number",
    "nik",
    "village_code",
    "decided_at",
]
FEB = dt.datetime(2026, 2, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def decided(app, tmp_path, db_clean):
    """Tickets of Dinas Sosial Kab. Bogor decided around March 2026 (WIB),
    and one of Kota Bandung's. Returns the references by name."""
    ids = fx.import_households(app, tmp_path)
    refs = {}

    def ticket(name, **over):
        tid, ref = fx.send(app, FEB, **over)
        refs[name] = ref
        return tid

    own = {"kind": "proposal", "subkind": "own_household", "subject_name": None}
    own["subject_address"] = None
    # 00:00 WIB on 1 March: the first moment of the period.
    first = ticket("first", household_id=ids[fx.KK_1], **own)
    fx.decide(app, first, "accepted", dt.datetime(2026, 2, 28, 17, 0, tzinfo=UTC), "meets_criteria")
    # 23:59:59 WIB on 28 February: the day before.
    before = ticket("before", household_id=ids[fx.KK_2], **own)
    fx.decide(app, before, "rejected", dt.datetime(2026, 2, 28, 16, 59, 59, tzinfo=UTC), "x")
    # 23:59:59 WIB on 31 March, not a registry household: KK and NIK empty.
    last = ticket("last", village_code=VILLAGE)
    at = dt.datetime(2026, 3, 31, 16, 59, 59, tzinfo=UTC)
    fx.decide(app, last, "rejected", at, "not_meeting_criteria;documents_missing")
    # 00:00 WIB on 1 April: the day after.
    after = ticket("after", village_code=VILLAGE)
    fx.decide(app, after, "accepted", dt.datetime(2026, 3, 31, 17, 0, tzinfo=UTC), "x")
    # Decided in March, then appealed: back in review, no standing decision.
    appealed = ticket("appealed", village_code=VILLAGE)
    fx.decide(app, appealed, "accepted", dt.datetime(2026, 3, 10, 3, 0, tzinfo=UTC), "x")
    fx.appeal(app, appealed, dt.datetime(2026, 3, 11, 3, 0, tzinfo=UTC))
    # Decided in February, appealed, decided again in March: the March decision.
    again = ticket("again", household_id=ids[fx.KK_2], **own)
    fx.decide(app, again, "accepted", dt.datetime(2026, 2, 10, 3, 0, tzinfo=UTC), "x")
    fx.appeal(app, again, dt.datetime(2026, 2, 11, 3, 0, tzinfo=UTC))
    fx.decide(app, again, "rejected", dt.datetime(2026, 3, 20, 2, 30, tzinfo=UTC), "outside_area")
    # Decided twice in March (an appeal between): one row, the later decision.
    twice = ticket("twice", village_code=VILLAGE)
    fx.decide(app, twice, "accepted", dt.datetime(2026, 3, 3, 3, 0, tzinfo=UTC), "x")
    fx.appeal(app, twice, dt.datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    fx.decide(
        app, twice, "rejected", dt.datetime(2026, 3, 25, 1, 0, tzinfo=UTC), "documents_missing"
    )
    # Another office's decision in the period.
    other = ticket("bandung", village_code=BANDUNG)
    fx.decide(app, other, "accepted", dt.datetime(2026, 3, 12, 3, 0, tzinfo=UTC), "x")
    # Still open: never in the file.
    ticket("open", village_code=VILLAGE)
    return refs


def _download(app, clock, start="2026-03-01", end="2026-03-31", office="dinsos-32.01"):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    client = app.test_client()
    assert log_in(client, handler, clock).status_code == 303
    client.get("/office/exports?lang=en")  # the messages below are the English ones
    response = fx.post_decisions(
        client, token(client, "/office/"), fx.office_id(app, office), start, end
    )
    return handler, response


def test_the_rows_are_the_standing_decisions_of_the_period_in_wib(app, clock, decided):
    _, response = _download(app, clock)
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"), newline="")))
    assert rows[0] == HEADER
    r = decided
    assert rows[1:] == [
        [r["first"], "proposal", "own_household", "accepted", "meets_criteria",
         "3201011503100001", "3201011508800001", VILLAGE, "2026-03-01T00:00:00+07:00"],
        [r["again"], "proposal", "own_household", "rejected", "outside_area",
         "3201012002200002", "3201015005750002", VILLAGE, "2026-03-20T09:30:00+07:00"],
        [r["twice"], "proposal", "other_household", "rejected", "documents_missing",
         "", "", VILLAGE, "2026-03-25T08:00:00+07:00"],
        [r["last"], "proposal", "other_household", "rejected",
         "not_meeting_criteria;documents_missing", "", "", VILLAGE,
         "2026-03-31T23:59:59+07:00"],
    ]  # fmt: skip


def test_the_nik_is_the_head_of_household_not_the_first_member(app, clock, decided):
    _, response = _download(app, clock)
    text = response.data.decode()
    assert fx.HEAD_NIK_1 in text
    assert fx.WIFE_NIK_1 not in text  # imported before the head, never exported


def test_a_one_day_period_and_the_headers(app, clock, decided):
    _, response = _download(app, clock, start="2026-03-31", end="2026-03-31")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="keputusan-dinsos-32.01-2026-03-31-2026-03-31.csv"'
    body = response.data
    assert not body.startswith(b"\xef\xbb\xbf")  # no BOM
    lines = body.split(b"\r\n")
    assert lines[0] == b",".join(h.encode() for h in HEADER)
    assert len(lines) == 3 and lines[2] == b""  # header, one row, CRLF at the end
    assert lines[1].startswith(decided["last"].encode() + b",")


def test_the_download_is_an_audit_row(app, clock, decided):
    handler, response = _download(app, clock)
    assert response.status_code == 200
    response.close()
    assert fx.audit_rows(app) == [
        (
            "exported",
            handler.id,
            fx.office_id(app, "dinsos-32.01"),
            "decisions:2026-03-01..2026-03-31",
        )
    ]
    _, again = _download(app, clock, start="2026-03-31", end="2026-03-31")
    again.close()
    assert fx.audit_rows(app)[-1][3] == "decisions:2026-03-31..2026-03-31"


def test_formula_cells_are_neutralised(app, clock, decided):
    from portal.db import transaction
    from portal.extensions import db
    from portal.tickets.models import Ticket

    with app.app_context(), transaction():
        ticket = db.session.query(Ticket).filter_by(reference=decided["first"]).one()
        ticket.decision_reasons = '=HYPERLINK("http://evil.example","x")'
        ticket = db.session.query(Ticket).filter_by(reference=decided["last"]).one()
        ticket.decision_reasons = "@SUM(1+1);-2+3"
    _, response = _download(app, clock)
    rows = list(csv.reader(io.StringIO(response.data.decode(), newline="")))
    reasons = {row[0]: row[4] for row in rows[1:]}
    assert reasons[decided["first"]] == '\'=HYPERLINK("http://evil.example","x")'
    assert reasons[decided["last"]] == "'@SUM(1+1);-2+3"
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in response.data.decode()


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+62812", "'+62812"),
        ("-5", "'-5"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("DT-7KQ4", "DT-7KQ4"),
        ("", ""),
    ],
)
def test_safe_cell(cell, safe):
    assert safe_cell(cell) == safe


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("", "2026-03-31", "Enter the first day of the period"),
        ("2026-3-1x", "2026-03-31", "Enter the first day as year-month-day"),
        ("2026-03-31", "2026-03-01", "The last day must be on or after the first day"),
        ("2025-01-01", "2026-01-02", "A period covers at most 366 days"),
    ],
)
def test_a_bad_period_is_an_error_summary_and_no_audit(app, clock, decided, start, end, message):
    _, response = _download(app, clock, start=start, end=end)
    assert response.status_code == 400
    page = response.text
    assert 'class="error-summary"' in page and message in page
    assert f'value="{start}"' in page  # nothing typed is lost
    assert fx.audit_rows(app) == []


def test_366_days_is_allowed(app, clock, decided):
    _, response = _download(app, clock, start="2025-04-01", end="2026-04-01")
    assert response.status_code == 200
    refs = [row[0] for row in csv.reader(io.StringIO(response.data.decode(), newline=""))]
    assert decided["after"] in refs and decided["before"] in refs


def test_streamed_in_batches(app, clock, decided, monkeypatch):
    from portal.tickets import exports

    monkeypatch.setattr(exports, "BATCH", 1)
    _, response = _download(app, clock)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) == 1 + 4  # the header, then one chunk per row
    assert chunks[0] == ",".join(HEADER).encode() + b"\r\n"


def test_no_data_without_the_audit_row(app, clock, decided, monkeypatch):
    from portal.web.office import exports as view

    def refuse(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(view, "record", refuse)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    _, response = _download(app, clock)
    assert response.status_code == 500
    assert decided["first"].encode() not in response.data
    assert fx.audit_rows(app) == []
