"""Every office move through its page or button (issue 10 §4), the guards'
messages, the stale-version conflict, the SLA clock, and who may move.

Tickets are proposals of Kabupaten Bogor (no field visit needed). Dates are
in July 2026, which has no national holiday: the working days below are
counted by hand on a calendar.
"""

from __future__ import annotations

import pytest
from flask import render_template
from flask_babel import force_locale

from portal.extensions import db
from portal.staff.models import StaffUser
from portal.web.office.moves import moves_section
from portal.web.office.tickets import STALE
from tests.office.moves_fixtures import (
    assert_back_to_ticket,
    at_wib,
    audit_rows,
    desk_fixture,  # noqa: F401 - the desk fixture
    events,
    flashes,
    handler_fixture,  # noqa: F401
    load,
    move_url,
    note_of,
    post_move,
    ticket_in,
    ticket_page_fixture,  # noqa: F401
)
from tests.staff.conftest import clean_limits  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean", "ticket_page")


# --- button moves -----------------------------------------------------------


def test_triage_takes_the_ticket_on_and_assigns_it(app, keyring, desk, handler):
    client, me = handler
    ref = ticket_in(keyring, "submitted")
    response = post_move(client, ref, "triage")
    assert_back_to_ticket(response, ref)
    ticket = load(ref)
    assert (ticket.status, ticket.assignee_id) == ("in_review", me.id)
    assert [(e.kind, e.from_status, e.to_status) for e in events(ref)] == [
        ("triaged", "submitted", "in_review")
    ]
    assert audit_rows("moved") == [(me.id, ticket.id, None, "submitted>in_review")]
    assert audit_rows("assigned") == [(me.id, ticket.id, me.id, None)]
    assert flashes(client)[0][0] == "message"


def test_triage_keeps_an_existing_assignee(app, keyring, desk, handler):
    client, _ = handler
    _, colleague = desk.log_in()
    ref = ticket_in(keyring, "transferred", assignee_id=colleague.id)
    assert_back_to_ticket(post_move(client, ref, "triage"), ref)
    assert (load(ref).status, load(ref).assignee_id) == ("in_review", colleague.id)
    assert audit_rows("assigned") == []


@pytest.mark.parametrize(
    "name, start, end",
    [
        ("field-check", "in_review", "field_check"),
        ("verify", "in_review", "verified"),
        ("verify", "field_check", "verified"),
        ("forward", "accepted", "forwarded"),
    ],
)
def test_button_moves(app, keyring, desk, handler, name, start, end):
    client, me = handler
    ref = ticket_in(keyring, start)
    assert_back_to_ticket(post_move(client, ref, name), ref)
    assert load(ref).status == end
    assert audit_rows() == [(me.id, load(ref).id, None, f"{start}>{end}")]


def test_a_move_not_possible_now_is_refused_with_a_message(app, keyring, desk, handler):
    client, _ = handler
    ref = ticket_in(keyring, "submitted")
    response = post_move(client, ref, "verify")
    assert response.status_code == 409
    assert "Langkah ini tidak bisa dilakukan" in response.text
    assert load(ref).status == "submitted" and audit_rows() == []
    # the page of such a move shows the same, without a form
    page = client.get(move_url(ref, "accept"))
    assert page.status_code == 409 and "Langkah ini tidak bisa dilakukan" in page.text
    assert 'method="post"' not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert client.get(move_url(ref, "fly")).status_code == 404


# --- needs info and the SLA clock ----------------------------------------------


def test_asking_pauses_and_resuming_moves_the_due_dates(app, keyring, desk, handler):
    client, _me = handler
    ref = ticket_in(
        keyring,
        "in_review",
        due_response=at_wib(2026, 7, 10).date(),
        due_decision=at_wib(2026, 8, 14).date(),
        due_verification=None,
    )
    desk.clock.now = at_wib(2026, 7, 6)  # Monday
    client, _ = desk.log_in()
    question = "Mohon kirim foto Kartu Keluarga yang terbaru. {bukan placeholder}"
    response = post_move(client, ref, "ask", question=question)
    assert_back_to_ticket(response, ref)
    ticket = load(ref)
    assert ticket.status == "needs_info" and ticket.paused_at is not None
    assert ticket.due_next is None
    asked = events(ref)[-1]
    assert asked.public and note_of(asked, keyring) == question

    desk.clock.now = at_wib(2026, 7, 13)  # the next Monday: 5 working days later
    client, _ = desk.log_in()
    assert_back_to_ticket(post_move(client, ref, "resume"), ref)
    ticket = load(ref)
    assert ticket.status == "in_review" and ticket.paused_at is None
    # response: Fri 10 July + 5 working days = Fri 17 July; decision: +7 days
    assert ticket.due_response.isoformat() == "2026-07-17"
    assert ticket.due_decision.isoformat() == "2026-08-21"
    assert ticket.due_next.isoformat() == "2026-08-21"  # responded: the decision counts
    assert [row[3] for row in audit_rows()] == ["in_review>needs_info", "needs_info>in_review"]


def test_ask_needs_a_question_and_keeps_nothing_else(app, keyring, desk, handler):
    client, _ = handler
    ref = ticket_in(keyring, "in_review")
    response = post_move(client, ref, "ask", question="   ")
    assert response.status_code == 400
    assert "Masukkan pertanyaan Anda untuk warga" in response.text
    assert 'href="#question"' in response.text  # the error summary links the field
    assert load(ref).status == "in_review"


# --- decisions ------------------------------------------------------------------


def test_accept_with_reasons_and_explanation(app, keyring, desk):
    ref = ticket_in(keyring, "verified")
    desk.clock.now = at_wib(2026, 7, 6)
    client, _ = desk.log_in()
    text = "Usulan Anda diterima."
    response = post_move(
        client, ref, "accept", reasons=["meets_criteria", "documents_valid"], explanation=text
    )
    assert_back_to_ticket(response, ref)
    ticket = load(ref)
    assert ticket.status == "accepted"
    assert ticket.decision_reasons == "meets_criteria;documents_valid"
    assert ticket.appeal_until.isoformat() == "2026-07-20"  # Mon 6 July + 10 working days
    decided = events(ref)[-1]
    assert decided.kind == "decided" and decided.public and note_of(decided, keyring) == text
    assert audit_rows()[-1][3] == "verified>accepted"


def test_reject_without_a_reason_keeps_the_typed_explanation(app, keyring, desk, handler):
    client, _ = handler
    ref = ticket_in(keyring, "verified")
    response = post_move(client, ref, "reject", explanation="Tidak memenuhi <kriteria>.")
    assert response.status_code == 400
    assert "Pilih paling sedikit satu alasan" in response.text
    assert "Tidak memenuhi &lt;kriteria&gt;." in response.text
    # a code that is not configured for rejections is refused too
    response = post_move(client, ref, "reject", reasons=["meets_criteria"], explanation="x")
    assert response.status_code == 400
    assert load(ref).status == "verified" and load(ref).decision_reasons is None


def test_the_decision_page_offers_the_configured_reasons(app, keyring, desk, handler, monkeypatch):
    client, _ = handler
    ref = ticket_in(keyring, "verified")
    # The app lives for the whole session: the setting goes back as it was.
    monkeypatch.setitem(
        app.config, "DECISION_REASONS", {"accepted": ("meets_criteria", "local_rule_7")}
    )
    page = client.get(move_url(ref, "accept")).text
    assert 'value="meets_criteria"' in page and "Rumah tangga memenuhi kriteria" in page
    assert 'value="local_rule_7"' in page  # no label: the code itself
    assert 'value="documents_valid"' not in page


# --- close ------------------------------------------------------------------------


def test_close_is_refused_inside_the_appeal_window(app, keyring, desk):
    ref = ticket_in(keyring, "rejected", appeal_until=at_wib(2026, 7, 20).date())
    desk.clock.now = at_wib(2026, 7, 20, 16)  # the last day of the window
    client, _ = desk.log_in()
    response = post_move(client, ref, "close")
    assert response.status_code == 409
    assert "Masa sanggah berlaku sampai 20 Juli 2026" in response.text
    assert load(ref).status == "rejected" and audit_rows() == []

    desk.clock.now = at_wib(2026, 7, 21, 8)
    client, me = desk.log_in()
    assert_back_to_ticket(post_move(client, ref, "close"), ref)
    assert load(ref).status == "closed"
    assert audit_rows() == [(me.id, load(ref).id, None, "rejected>closed")]


# --- the stale-version conflict ---------------------------------------------------


def test_the_second_handler_gets_changed_since_you_opened_it(app, keyring, desk):
    first, _ = desk.log_in()
    second, _ = desk.log_in()
    ref = ticket_in(keyring, "in_review")
    shown = load(ref).version  # both opened the ticket at this version
    assert_back_to_ticket(post_move(first, ref, "verify", version=shown), ref)
    response = post_move(second, ref, "field-check", version=shown)
    assert_back_to_ticket(response, ref)
    with app.app_context(), force_locale("id"):
        assert flashes(second) == [("error", str(STALE))]
    assert load(ref).status == "verified"
    assert [row[3] for row in audit_rows()] == ["in_review>verified"]
    # a move page opened from a stale ticket page is refused the same way
    stale_page = second.get(move_url(ref, "ask") + f"?version={shown}")
    assert_back_to_ticket(stale_page, ref)


# --- who may move -------------------------------------------------------------------


def test_operators_and_admins_are_refused_other_offices_not_found(app, keyring, desk):
    ref = ticket_in(keyring, "submitted")
    operator, _ = desk.log_in("operator", office=None, village=load(ref).village_code)
    admin, _ = desk.log_in("admin", office="national")
    jakarta, _ = desk.log_in(office="dinsos-31.71")
    for client, status in ((operator, 403), (admin, 403), (jakarta, 404)):
        assert client.get(move_url(ref, "accept")).status_code == status
        assert post_move(client, ref, "triage").status_code == status
    assert load(ref).status == "submitted"
    assert audit_rows() == []
    # the province's supervisor may move it
    supervisor, _ = desk.log_in("supervisor", office="prov-32")
    assert_back_to_ticket(post_move(supervisor, ref, "triage"), ref)
    assert load(ref).assignee_id is None  # not of the ticket's office: not its assignee


def test_the_section_offers_only_the_moves_allowed_now(app, keyring, desk, handler):
    _, me = handler
    ref = ticket_in(keyring, "in_review")
    with app.test_request_context():
        staff = db.session.get(StaffUser, me.id)
        operator = StaffUser(id=0, role="operator", village_code=load(ref).village_code)
        ctx = moves_section(load(ref), staff, None)
        names = [m.name for m in ctx["moves"]]
        assert names == ["transfer", "duplicate", "ask", "field-check", "verify"]
        html = render_template("office/ticket/_moves.html", ctx=ctx)
        assert f'name="version" value="{load(ref).version}"' in html
        assert f"{move_url(ref, 'verify')}" in html
        assert f"{move_url(ref, 'ask')}?version={load(ref).version}" in html
        assert moves_section(load(ref), operator, None) is None


def test_a_race_lost_at_commit_is_the_same_changed_answer(app, keyring, desk, monkeypatch):
    """Two moves that both passed the version check: the database's version
    counter refuses the second write, and the handler sees the same answer."""
    from sqlalchemy.orm.exc import StaleDataError

    from portal.tickets import office_moves

    client, _ = desk.log_in()
    ref = ticket_in(keyring, "in_review")

    def lose_the_race(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'tickets' expected to update 1 row")

    monkeypatch.setattr(office_moves, "make", lose_the_race)
    assert_back_to_ticket(post_move(client, ref, "verify"), ref)
    with app.app_context(), force_locale("id"):
        assert flashes(client) == [("error", str(STALE))]
    assert load(ref).status == "in_review"


def test_refusals_are_in_the_readers_language(app, keyring, desk):
    client, _ = desk.log_in()
    ref = ticket_in(keyring, "rejected", appeal_until=at_wib(2099, 7, 20).date())
    client.get("/?lang=en")
    response = post_move(client, ref, "close")
    assert response.status_code == 409
    assert "The appeal period runs until July 20, 2099" in response.text
