"""``/submit/objection``: sanggahan (a) own ranking, (b) an ineligible recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.db import keyring
from portal.extensions import db
from portal.tickets.models import P_EVENT_NOTE, Evidence, Ticket, TicketEvent
from tests.tickets.evidence_files import phone_jpeg
from tests.web.conftest import post_lookup
from tests.web.journeys import PIN, answer_up_to_check, get, post, send, upload


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    return root


def _look_up(client, registry):
    head = registry["first"][0]
    assert post_lookup(client, head["nik"], head["full_name"]).status_code == 200


def test_own_ranking_needs_a_status_check_first(client, uploads):
    page = post(client, "/submit/objection", {"subkind": "own_ranking"})
    assert page.status_code == 200
    assert 'href="/lookup"' in page.text
    assert get(client, "/submit/objection/check").status_code == 302


def test_own_ranking_after_a_lookup(app, client, registry, uploads):
    _look_up(client, registry)
    check = answer_up_to_check(
        client,
        "objection",
        "own_ranking",
        subject=False,
        village=False,
        reasons=("desil_too_high",),
    )
    confirmation, _ = send(client, "objection", check)
    assert PIN.search(confirmation.text)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.subkind == "own_ranking" and ticket.household_id is not None
        assert not ticket.reporter_confidential
        assert ticket.due_verification is not None


def test_ineligible_recipient_keeps_the_reporter_confidential(app, client, uploads):
    first = get(client, "/submit/objection")
    assert "rahasia" in first.text or "secret" in first.text
    check = answer_up_to_check(client, "objection", "ineligible_recipient", reasons=("well_off",))
    confirmation, _ = send(client, "objection", check)
    assert PIN.search(confirmation.text)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.reporter_confidential
        assert ticket.reporter_contact_enc is not None


@pytest.mark.parametrize(("keep", "expected"), [("y", True), (None, False)])
def test_house_photo_location_is_kept_only_when_asked(app, client, uploads, keep, expected):
    answer_up_to_check(client, "objection", "ineligible_recipient", reasons=("well_off",), files=0)
    # "Change" from the check page, then back to it.
    extra = {"keep_gps": keep} if keep else {}
    response = upload(client, "objection", phone_jpeg(), doc_type="house_front", **extra)
    assert response.status_code == 302
    done = post(client, "/submit/objection/evidence", {"action": "continue"})
    assert done.headers["Location"] == "/submit/objection/check"
    send(client, "objection", get(client, "/submit/objection/check"))
    with app.app_context():
        row = db.session.scalar(select(Evidence))
        assert (row.gps_enc is not None) is expected


def test_an_open_objection_for_the_same_household_is_found_before_typing(
    app, client, registry, uploads
):
    """The check runs as soon as the kind and the household are known, the
    draft is kept, and what the resident then writes is added to the open
    request as a public message from the household (issue 9, §3.9)."""
    _look_up(client, registry)
    kw = {"subject": False, "village": False, "reasons": ("desil_too_high",)}
    first, _ = send(
        client, "objection", answer_up_to_check(client, "objection", "own_ranking", **kw)
    )
    assert PIN.search(first.text)
    with client.session_transaction() as s:
        assert "lookup_proof" not in s  # sending ends the status check
    _look_up(client, registry)
    answered = post(client, "/submit/objection", {"subkind": "own_ranking"})
    assert answered.headers["Location"] == "/submit/objection/reasons"
    # The very next page says so, before any text is typed.
    moved = get(client, "/submit/objection/reasons")
    assert moved.headers["Location"] == "/submit/objection/already"
    page = get(client, "/submit/objection/already")
    assert page.status_code == 200
    assert not PIN.search(page.text) and "DT-" not in page.text  # no reference, no PIN
    assert "Sudah diterima" in page.text  # the public status of the open ticket
    assert post(client, "/submit/objection/add-to-existing").status_code == 302
    wrote = post(
        client,
        "/submit/objection/reasons",
        {"reason_codes": ["income_dropped"], "details": "Suami di-PHK bulan Mei."},
    )
    assert wrote.headers["Location"] == "/submit/objection/evidence"
    assert upload(client, "objection", phone_jpeg(), doc_type="kk").status_code == 302
    done = post(client, "/submit/objection/evidence", {"action": "continue"})
    assert done.headers["Location"] == "/submit/objection/consent"  # no contact question
    post(client, "/submit/objection/consent", {"consent": "y"})
    check = get(client, "/submit/objection/check")
    assert check.status_code == 200 and "Suami di-PHK bulan Mei." in check.text
    added, _ = send(client, "objection", check)
    assert added.status_code == 200 and not PIN.search(added.text)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 2
        event = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "resident_added"))
        assert event.public and event.actor == "resident"
        note = keyring().decrypt(event.note_enc, P_EVENT_NOTE)
        assert "Suami di-PHK bulan Mei." in note and "Penghasilan kami turun" in note
    with client.session_transaction() as s:
        assert "objection" not in s.get("submit_drafts", {})  # the draft is gone
