"""The village meeting list PDF (issue 12 §6b, docs/exports.md): which
households it names, with which recommendation, never the reporter of a
confidential objection; the headers and the audit row."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.tickets import exports_musdes
from tests.office import export_fixtures as fx
from tests.office.export_fixtures import UTC, VILLAGE
from tests.staff import conftest as staff
from tests.staff.conftest import log_in, make_staff, token
from tests.staff.test_permissions import BOGOR_B
from tests.tickets.test_receipt import document_text

clean_limits, clock = staff.clean_limits, staff.clock
MARCH = dt.datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
JANUARY = dt.datetime(2026, 1, 12, 3, 0, tzinfo=UTC)
REPORTER = "pelapor.rahasia@contoh.id"
REPORTER_TEXT = "Saya Joko tetangga sebelah, mobilnya dua."


@pytest.fixture
def village(app, tmp_path, db_clean):
    ids = fx.import_households(app, tmp_path)
    own = {"kind": "proposal", "subkind": "own_household", "subject_name": None}
    own["subject_address"] = None
    refs = {}
    # Sent in March and accepted: Budi Santoso's household (the head's name).
    tid, refs["accepted"] = fx.send(app, MARCH, household_id=ids[fx.KK_1], **own)
    fx.decide(app, tid, "accepted", MARCH + dt.timedelta(days=9), "meets_criteria")
    # A confidential objection against Ani Lestari's household, visited.
    tid, refs["objection"] = fx.send(
        app,
        MARCH,
        kind="objection",
        subkind="ineligible_recipient",
        household_id=ids[fx.KK_2],
        subject_name=None,
        subject_address=None,
        reason_codes=("not_poor",),
        details=REPORTER_TEXT,
        reporter_contact=REPORTER,
        reporter_confidential=True,
    )
    fx.set_status(app, tid, "field_check")
    officer = make_staff(app, "handler", office="dinsos-32.01").id
    fx.add_visit(app, tid, "registry_right", MARCH + dt.timedelta(days=2), staff_id=officer)
    # Sent in January, still open: a household outside the registry.
    tid, refs["open"] = fx.send(app, JANUARY, subject_name="Wati Rahayu")
    fx.set_status(app, tid, "in_review")
    # Sent and decided in January: outside the period, not open.
    tid, refs["old"] = fx.send(app, JANUARY, subject_name="Tono Sugiarto")
    fx.decide(app, tid, "rejected", JANUARY + dt.timedelta(days=5), "outside_area")
    # Withdrawn in the period; and another village's request.
    tid, refs["withdrawn"] = fx.send(app, MARCH, subject_name="Yuni Kartika")
    fx.set_status(app, tid, "withdrawn")
    tid, refs["elsewhere"] = fx.send(app, MARCH, subject_name="Dedi Kurnia", village_code=BOGOR_B)
    return refs


@pytest.fixture
def rendered(monkeypatch):
    """The text of the last list laid out (the PDF's fonts are subset, so
    its bytes hold glyph ids: the text is read from the layout)."""
    seen = {}
    real = exports_musdes.render_musdes_document

    def spy(context):
        document = real(context)
        seen["text"] = re.sub(r"\s+", " ", document_text(document))
        return document

    monkeypatch.setattr(exports_musdes, "render_musdes_document", spy)
    return seen


def _download(app, clock, lang="en", village_code=VILLAGE, role="handler", office="dinsos-32.01"):
    account = make_staff(app, role, office=office)
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    client.get(f"/office/exports?lang={lang}")
    response = fx.post_musdes(
        client,
        token(client, "/office/"),
        fx.office_id(app, "dinsos-32.01"),
        village_code,
        "2026-03-01",
        "2026-03-31",
    )
    return account, response


def test_the_list_names_the_households_and_recommendations(app, clock, village, rendered):
    _, response = _download(app, clock)
    assert response.status_code == 200, response.text
    assert response.data.startswith(b"%PDF-")
    text = rendered["text"]
    assert "Dinas Sosial" in text and "Name and signature" in text
    # Proposals first, by date sent; then objections.
    budi, wati, ani = (
        text.index("Budi Santoso"),
        text.index("Wati Rahayu"),
        text.index("Ani Lestari"),
    )
    assert wati < budi < ani
    assert fx.ADDRESS_1 in text and fx.ADDRESS_2 in text
    assert "Accepted" in text[budi:ani]  # the decision
    assert "The registry is right" in text[ani:]  # the field visit's recommendation
    assert "Under review" in text[wati:budi]
    for gone in ("Tono Sugiarto", "Yuni Kartika", "Dedi Kurnia", "Siti Aminah"):
        assert gone not in text


def test_never_the_confidential_reporter(app, clock, village, rendered):
    _, response = _download(app, clock)
    assert response.status_code == 200
    text = rendered["text"]
    assert "Ani Lestari" in text  # the subject household is listed
    assert REPORTER not in text and "pelapor" not in text
    assert "Joko" not in text and REPORTER_TEXT not in text


def test_in_indonesian_by_default(app, clock, village, rendered):
    _, response = _download(app, clock, lang="id")
    assert response.status_code == 200
    text = rendered["text"]
    assert "Musdes/Muskel" in text and "Budi Santoso" in text
    assert "Nama dan tanda tangan" in text and "Name and signature" not in text


def test_headers_and_audit_row(app, clock, village, rendered):
    account, response = _download(app, clock)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="musdes-{VILLAGE}-2026-03-01-2026-03-31.pdf"'
    )
    assert fx.audit_rows(app) == [
        (
            "exported",
            account.id,
            fx.office_id(app, "dinsos-32.01"),
            f"musdes:{VILLAGE}:2026-03-01..2026-03-31",
        )
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the village code"),
        ("3201012001", "Enter the village code as four groups of digits"),
        ("32.73.01.1001", "This village is not in the area of the chosen office"),
    ],
)
def test_a_bad_village_is_an_error_and_no_audit(app, clock, village, code, message):
    _, response = _download(app, clock, village_code=code)
    assert response.status_code == 400
    assert 'class="error-summary"' in response.text and message in response.text
    assert fx.audit_rows(app) == []
