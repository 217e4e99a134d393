"""The ticket page and around it, at the edges: internal notes kept from
village operators, a concurrent change answered as "this ticket changed",
huge ids answered 404/400 (never 500), value labels, what the queue's
"go to ticket" echoes, and the denial log lines."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm.exc import StaleDataError

from portal.web.office import ticket as ticket_view
from portal.web.office.labels import event_label
from tests.office import ticket_page_fixtures as tp
from tests.office.test_ticket_page import add_note
from tests.office.ticket_page_fixtures import page_of
from tests.staff.conftest import log_in

# The fixtures this module uses (tests/office/ticket_page_fixtures.py).
clean_limits, clock, people, tickets = tp.clean_limits, tp.clock, tp.people, tp.tickets
upload_root = tp.upload_root

pytestmark = pytest.mark.usefixtures("db_clean")
NOTE = "Tetangga bilang pelapornya Pak Darto"
HUGE = "9" * 25


def test_a_village_operator_sees_no_internal_note(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    assert add_note(client, tickets.confidential, NOTE).status_code == 303
    assert NOTE in page_of(client, tickets.confidential).text
    operator = app.test_client()
    log_in(operator, people.operator, clock)
    page = page_of(operator, tickets.confidential)
    assert page.status_code == 200
    assert NOTE not in page.text
    assert "Catatan internal" not in page.text  # no notes box, no note form
    assert "/note" not in page.text


def test_a_change_committed_meanwhile_says_the_ticket_changed(
    app, client, clock, people, tickets, monkeypatch
):
    def concurrent(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'tickets' expected to update 1 row")

    monkeypatch.setattr(ticket_view, "add_note", concurrent)
    log_in(client, people.handler, clock)
    answer = add_note(client, tickets.objection, "Catatan")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/office/tickets/{tickets.objection}")
    assert "Tiket ini sudah berubah" in client.get(answer.headers["Location"]).text


@pytest.mark.parametrize(
    "path",
    [f"/office/evidence/{HUGE}/thumb", f"/office/evidence/{HUGE}", f"/office/templates/{HUGE}"],
)
def test_an_id_no_database_holds_is_a_404(app, client, clock, people, path):
    log_in(client, people.supervisor, clock)
    assert client.get(path).status_code == 404
    assert client.get(path.replace(HUGE, str(2**63))).status_code == 404


def test_a_huge_assignee_is_a_form_error(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    for value in (HUGE, str(2**63), "²"):
        page = client.get(f"/office/?assignee={value}")
        assert page.status_code in (200, 400), value
        assert "Pilih" in page.text
    assert client.get(f"/office/?assignee={2**63 - 1}").status_code == 200


def test_house_conditions_and_field_visits_are_in_words(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    page = page_of(client, tickets.objection).text
    assert '<th scope="row">Lantai</th><td>Keramik</td>' in page
    assert "<td>keramik</td>" not in page
    with app.test_request_context():
        assert event_label("field_visit") == "Kunjungan lapangan dicatat"


def test_a_nik_typed_as_a_ticket_number_is_not_echoed(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    nik = "3201010505700001"
    page = client.get(f"/office/?q={nik}").text  # the flash is shown on this very page
    assert "Itu bukan nomor tiket" in page
    assert f"bernomor {nik}" not in page and "Tidak ada tiket bernomor" not in page
    page = client.get("/office/?q=dt 2222 2222").text
    assert "Tidak ada tiket bernomor DT-2222-2222 yang dapat Anda lihat." in page


def test_denials_leave_a_log_line(app, client, clock, people, tickets, caplog):
    caplog.set_level(logging.INFO, logger="portal.office")
    log_in(client, people.other_handler, clock)
    assert page_of(client, tickets.objection).status_code == 404
    operator = app.test_client()
    log_in(operator, people.operator, clock)
    assert operator.get("/office/templates").status_code == 403
    events = [
        r.event for r in caplog.records if getattr(r, "event", {}).get("event") == "office_denied"
    ]
    assert events == [
        {
            "event": "office_denied",
            "staff_id": people.other_handler.id,
            "reason": "not_visible",
            "endpoint": "office.ticket",
        },
        {
            "event": "office_denied",
            "staff_id": people.operator.id,
            "reason": "role",
            "endpoint": "office.reply_templates",
        },
    ]
    assert tickets.objection not in caplog.text
