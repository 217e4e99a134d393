"""``/submit/correction``: perbaikan data, about the household of a status check."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Ticket
from tests.web.conftest import post_lookup
from tests.web.journeys import PIN, answer_up_to_check, post, send


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


def test_correction_offers_the_six_changes(client, db_clean):
    page = client.get("/submit/correction")
    for subkind in (
        "member_died",
        "member_born",
        "member_moved",
        "wrong_name",
        "wrong_birth_date",
        "house_changed",
    ):
        assert f'value="{subkind}"' in page.text


def test_correction_needs_a_status_check(client, uploads):
    page = post(client, "/submit/correction", {"subkind": "member_died"})
    assert 'href="/lookup"' in page.text


def test_member_died_end_to_end(app, client, registry, uploads):
    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    post(client, "/submit/correction", {"subkind": "member_died"})
    page = client.get("/submit/correction/reasons")
    assert 'name="reason_codes"' not in page.text  # only the free text is asked
    empty = post(client, "/submit/correction/reasons", {"details": ""})
    assert empty.status_code == 400 and 'href="#details"' in empty.text
    check = answer_up_to_check(
        client,
        "correction",
        "member_died",
        subject=False,
        village=False,
        reasons=(),
        details="Agus Santoso meninggal 3 Maret 2026.",
    )
    assert "Agus Santoso meninggal" in check.text
    confirmation, _ = send(client, "correction", check)
    assert PIN.search(confirmation.text)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert (ticket.kind, ticket.subkind) == ("correction", "member_died")
        assert ticket.household_id is not None
