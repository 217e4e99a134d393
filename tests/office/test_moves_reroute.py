"""The office moves that re-route a ticket (issue 10 §4): transfer to
another office and marking a duplicate, with their guards.

Tickets are proposals of Kabupaten Bogor (no field visit needed). Dates are
in July 2026, which has no national holiday: the working days below are
counted by hand on a calendar.
"""

from __future__ import annotations

import pytest
from flask import render_template

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.web.office.moves import moves_section
from tests.office.moves_fixtures import (
    BOGOR,
    assert_back_to_ticket,
    at_wib,
    audit_rows,
    desk_fixture,  # noqa: F401 - the desk fixture
    events,
    handler_fixture,  # noqa: F401
    load,
    move_url,
    note_of,
    office_id,
    post_move,
    ticket_in,
    ticket_page_fixture,  # noqa: F401
)
from tests.staff.conftest import clean_limits  # noqa: F401 - autouse
from tests.tickets import answers

pytestmark = pytest.mark.usefixtures("db_clean", "ticket_page")


# --- transfer ---------------------------------------------------------------------


def test_transfer_moves_the_ticket_to_the_other_office_with_a_new_clock(app, keyring, desk):
    desk.clock.now = at_wib(2026, 7, 6)
    client, me = desk.log_in()
    ref = ticket_in(keyring, "in_review", assignee_id=me.id)
    bekasi = office_id("dinsos-32.16")
    # finding the office by name or code, without JavaScript: a GET form
    page = client.get(move_url(ref, "transfer") + "?q=bekasi").text
    assert f'value="{bekasi}"' in page and "dinsos-32.16" in page
    assert "dinsos-32.16" in client.get(move_url(ref, "transfer") + "?q=32.16").text
    page = client.get(move_url(ref, "transfer") + "?q=bogor").text
    assert f'value="{office_id("dinsos-32.71")}"' in page  # Kota Bogor
    assert f'value="{office_id(BOGOR)}"' not in page  # never its own office

    response = post_move(
        client, ref, "transfer", q="bekasi", office=bekasi, reason="Alamat di Bekasi"
    )
    assert_back_to_ticket(response, ref)
    ticket = load(ref)
    assert (ticket.status, ticket.office_id, ticket.assignee_id) == ("transferred", bekasi, None)
    # restarted on Mon 6 July: triage 3 working days (Thu 9), response 5 more
    # (Thu 16), decision 60 calendar days (Fri 4 September)
    assert ticket.due_triage.isoformat() == "2026-07-09"
    assert ticket.due_response.isoformat() == "2026-07-16"
    assert ticket.due_decision.isoformat() == "2026-09-04"
    assert ticket.due_next.isoformat() == "2026-07-09"
    transferred, reason = events(ref)
    assert transferred.kind == "transferred" and transferred.public
    assert reason.kind == "note" and not reason.public
    assert note_of(reason, keyring) == "Alamat di Bekasi"
    assert audit_rows() == [(me.id, ticket.id, None, "in_review>transferred")]
    # it left this queue and entered the other office's
    assert client.get(move_url(ref, "triage")).status_code == 404
    there, _ = desk.log_in(office="dinsos-32.16")
    assert_back_to_ticket(post_move(there, ref, "triage"), ref)
    assert load(ref).status == "in_review"


def test_transfer_needs_an_office_and_a_reason(app, keyring, desk, handler):
    client, _ = handler
    ref = ticket_in(keyring, "submitted")
    response = post_move(client, ref, "transfer", q="bogor", reason="")
    assert response.status_code == 400
    assert "Pilih kantor tujuan" in response.text
    assert "Tuliskan mengapa" in response.text
    # its own office is not a choice even when posted by hand
    own = office_id(BOGOR)
    response = post_move(client, ref, "transfer", q="bogor", office=own, reason="x")
    assert response.status_code == 400
    assert load(ref).status == "submitted" and load(ref).office_id == own


# --- duplicates -------------------------------------------------------------------


def test_duplicate_links_both_ways(app, keyring, desk, handler):
    client, me = handler
    survivor = ticket_in(keyring, "in_review")
    repeat = ticket_in(keyring, "submitted")
    response = post_move(client, repeat, "duplicate", reference=survivor.lower())
    assert_back_to_ticket(response, repeat)
    assert load(repeat).status == "duplicate"
    assert load(repeat).duplicate_of_id == load(survivor).id
    detail = f"submitted>duplicate:dup_of:{load(survivor).id}"
    assert audit_rows() == [(me.id, load(repeat).id, None, detail)]
    # both sections show the link
    with app.test_request_context():
        staff = db.session.get(StaffUser, me.id)
        office = db.session.get(Office, office_id(BOGOR))
        ctx = moves_section(load(survivor), staff, office)
        assert [t.reference for t in ctx["duplicates"]] == [repeat]
        html = render_template("office/ticket/_moves.html", ctx=ctx)
        assert f"/office/tickets/{repeat}" in html
        back = render_template(
            "office/ticket/_moves.html", ctx=moves_section(load(repeat), staff, office)
        )
        assert f"/office/tickets/{survivor}" in back


def test_duplicate_guards(app, keyring, desk, handler):
    client, _ = handler
    ref = ticket_in(keyring, "submitted")
    other_person = ticket_in(keyring, "in_review", answers(subject_name="Budi Hartono"))
    elsewhere = ticket_in(keyring, "in_review", office_id=office_id("dinsos-32.16"))
    joined = ticket_in(keyring, "duplicate")
    cases = [
        (ref, "Masukkan nomor permohonan lain"),
        (other_person, "rumah tangga lain"),
        (elsewhere, "Tidak ada permohonan dengan nomor itu"),
        ("DT-XXXX-XXXX", "Tidak ada permohonan dengan nomor itu"),
        (joined, "sudah ditandai sebagai duplikat"),
    ]
    for typed, message in cases:
        response = post_move(client, ref, "duplicate", reference=typed)
        assert response.status_code == 409, typed
        assert message in response.text, typed
        assert f'value="{typed}"' in response.text  # what was typed stays
    assert load(ref).status == "submitted" and audit_rows() == []
