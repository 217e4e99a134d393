"""Review fixes: which requests count as "already under review", forms over
HTTPS without a Referer, and bearer tokens kept out of log lines."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.tickets.models import Ticket
from tests.web.conftest import csrf_token, post_lookup
from tests.web.journeys import PIN, answer_up_to_check, get, post, send


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


def _tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def test_a_described_household_is_never_matched_to_someone_elses_request(app, uploads):
    """Typing a name and a village must not reveal that a (confidential)
    objection about that household exists, nor give access to it."""
    for _ in range(2):
        client = app.test_client()
        check = answer_up_to_check(
            client, "objection", "ineligible_recipient", reasons=("well_off",), files=0
        )
        page, _ = send(client, "objection", check)
        assert PIN.search(page.text), "each reporter gets their own request"
    assert _tickets(app) == 2


def test_corrections_of_different_kinds_are_not_duplicates(app, registry, uploads):
    head = registry["first"][0]
    for subkind in ("member_died", "member_born"):
        client = app.test_client()
        assert post_lookup(client, head["nik"], head["full_name"]).status_code == 200
        check = answer_up_to_check(
            client,
            "correction",
            subkind,
            subject=False,
            village=False,
            reasons=(),
            details="Lahir 1 Maret 2026." if subkind == "member_born" else "Wafat 2 Januari.",
            files=0,
        )
        page, _ = send(client, "correction", check)
        assert PIN.search(page.text), subkind
    assert _tickets(app) == 2


def test_forms_work_over_https_without_a_referer(app, registry):
    """Pages send Referrer-Policy: no-referrer, so browsers post without one."""
    client = app.test_client()
    head = registry["first"][0]
    token = csrf_token(client)
    r = client.post(
        "/lookup",
        base_url="https://localhost",
        data={"csrf_token": token, "nik": head["nik"], "name": head["full_name"]},
        follow_redirects=True,
    )
    assert r.status_code == 200 and b"B*** S******" in r.data


def test_log_lines_name_the_route_not_the_path(app, caplog):
    from portal.logs import JsonFormatter

    token = "KDH4wZe_VBCVsgnMHiZLSg"
    with app.test_request_context(f"/t/{token}"):
        logging.getLogger("portal.test").warning("something")
    record = [r for r in caplog.records if r.name == "portal.test"][-1]
    line = JsonFormatter().format(record)
    assert token not in line
    assert json.loads(line)["path"] == "/t/<token>"


def test_tracking_links_use_the_configured_public_address(app, monkeypatch, uploads):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://portal.example.go.id/")
    client = app.test_client()
    check = answer_up_to_check(
        client, "objection", "ineligible_recipient", reasons=("well_off",), files=0
    )
    page, _ = send(client, "objection", check)
    assert "https://portal.example.go.id/t/" in page.text
    assert "http://localhost/t/" not in page.text


def _correction_after_lookup(app, registry, subkind):
    client = app.test_client()
    head = registry["first"][0]
    assert post_lookup(client, head["nik"], head["full_name"]).status_code == 200
    return client, post(client, "/submit/correction", {"subkind": subkind})


def test_a_second_death_in_the_household_is_not_a_duplicate_of_the_first(app, registry, uploads):
    """Two members can die: the household and the subkind do not make the same request."""
    for details in ("Ibu Sumiati wafat 2 Januari.", "Bapak Karta wafat 9 Maret."):
        client, _ = _correction_after_lookup(app, registry, "member_died")
        check = answer_up_to_check(
            client,
            "correction",
            "member_died",
            subject=False,
            village=False,
            reasons=(),
            details=details,
            files=0,
        )
        page, _ = send(client, "correction", check)
        assert PIN.search(page.text), details
    assert _tickets(app) == 2


def test_a_second_house_correction_is_caught_before_the_resident_types(app, registry, uploads):
    client, _ = _correction_after_lookup(app, registry, "house_changed")
    check = answer_up_to_check(
        client,
        "correction",
        "house_changed",
        subject=False,
        village=False,
        reasons=(),
        details="Atap sudah diganti seng.",
        files=0,
    )
    send(client, "correction", check)
    client, answered = _correction_after_lookup(app, registry, "house_changed")
    assert answered.headers["Location"] == "/submit/correction/reasons"
    moved = get(client, "/submit/correction/reasons")
    assert moved.headers["Location"] == "/submit/correction/already"
    # The draft is kept: the resident's choice is still there when they come back.
    with client.session_transaction() as s:
        assert "correction" in s["submit_drafts"]
    assert _tickets(app) == 1


def test_the_already_page_needs_a_lookup_and_an_open_request(app, client, registry, uploads):
    """Without a proved household (or with nothing open) the page sends the
    resident back to the journey: it never shows a status to a stranger."""
    post(client, "/submit/objection", {"subkind": "ineligible_recipient"})
    assert get(client, "/submit/objection/already").status_code == 302
    assert post(client, "/submit/objection/add-to-existing").status_code == 302
    with client.session_transaction() as s:
        assert "add_to_existing" not in str(s)


def test_adding_to_a_request_decided_meanwhile_becomes_a_new_request(app, registry, uploads):
    client, _ = _correction_after_lookup(app, registry, "house_changed")
    kw = {"subject": False, "village": False, "reasons": (), "files": 0}
    send(client, "correction", answer_up_to_check(client, "correction", "house_changed", **kw))
    client, _ = _correction_after_lookup(app, registry, "house_changed")
    assert get(client, "/submit/correction/reasons").headers["Location"].endswith("/already")
    assert post(client, "/submit/correction/add-to-existing").status_code == 302
    with client.session_transaction() as s:
        draft_kept = s["submit_drafts"]["correction"]
    with app.app_context():
        db.session.scalar(select(Ticket)).status = "accepted"
        db.session.commit()
    # The next page notices, says so, and asks the contact question again.
    page = get(client, "/submit/correction/reasons")
    assert page.status_code == 200
    assert "sudah diputuskan" in page.text
    with client.session_transaction() as s:
        assert s["submit_drafts"]["correction"] == draft_kept
    post(client, "/submit/correction/reasons", {"details": "Lantai sudah keramik."})
    done = post(client, "/submit/correction/evidence", {"action": "continue"})
    assert done.headers["Location"] == "/submit/correction/contact"
