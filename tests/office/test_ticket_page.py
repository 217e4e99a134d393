"""The office's ticket page (issue 10 §3): what it shows to whom, internal
notes, evidence thumbnails and the audit rows of every opening."""

# The fixtures come from ticket_page_fixtures (no shared conftest): a test's
# parameter of the same name is the fixture, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader
from lokal import wilayah
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.tickets.models import TicketEvent
from portal.web.office import tickets as ticket_sections
from tests.factories import VILLAGE
from tests.office.ticket_page_fixtures import (
    CONTACT,
    DETAILS,
    MEMBERS,
    REPORTER_CONTACT,
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    page_of,
    people,  # noqa: F401 - fixture
    thumb_ids,
    ticket_row,
    tickets,  # noqa: F401 - fixture
    upload_root,  # noqa: F401 - fixture
)
from tests.staff.conftest import log_in, make_staff, token
from tests.tickets import answers, submit
from tests.web.journeys import post

pytestmark = pytest.mark.usefixtures("db_clean")
OTHER_VILLAGE = sorted(c for c in wilayah._desa() if c.startswith("32.01.01.") and c != VILLAGE)[0]


def test_handler_sees_every_part_of_the_request(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    page = page_of(client, tickets.objection.lower())  # any case
    assert page.status_code == 200, page.text
    text = page.text
    # the request, in words (Indonesian by default)
    assert "Sanggahan" in text
    assert "Data tentang rumah kami salah" in text and "Desil terlalu tinggi" in text
    assert DETAILS in text and "2026-01" in text and "WIB" in text
    # the registry household, with full names, beside the claim
    for name, *_ in MEMBERS:
        assert name in text
    assert "Kp. Cibodas RT 002/RW 005" in text and "keramik" in text and "36" in text
    assert '<th scope="row">Lantai</th>' in text
    assert "30 November 2025" in text
    # the reporter, the files, the history, the deadlines
    assert CONTACT in text
    assert text.count("/office/evidence/") >= 3  # file, thumb, file
    assert "Diajukan" in text and "Warga" in text
    assert "Tenggat" in text and "Triase" in text and "hari kerja" in text


def test_a_household_outside_the_registry_shows_what_the_resident_described(
    app, client, clock, people, tickets
):
    log_in(client, people.supervisor, clock)
    page = page_of(client, tickets.proposal)
    assert page.status_code == 200
    assert "Siti Aminah Nurhaliza" in page.text and "Jl. Melati No. 3" in page.text


def test_operator_never_sees_a_confidential_reporter_nor_its_files(
    app, client, clock, people, tickets
):
    ids = thumb_ids(app, tickets.confidential)
    evidence_id, _ = ids["image/png"]
    log_in(client, people.other_operator, clock)
    page = page_of(client, tickets.confidential)
    assert page.status_code == 200
    assert REPORTER_CONTACT not in page.text
    assert "/office/evidence/" not in page.text
    assert people.operator.email not in page.text  # nor who sent it for the reporter
    assert "Tidak ditampilkan: laporan rahasia" in page.text
    assert "Pelapor (tidak ditampilkan)" in page.text  # in the history, as the sender
    assert client.get(f"/office/evidence/{evidence_id}/thumb").status_code == 404
    assert client.get(f"/office/evidence/{evidence_id}").status_code == 404


def test_the_operator_who_sent_it_and_the_handler_see_the_reporter(
    app, client, clock, people, tickets
):
    ids = thumb_ids(app, tickets.confidential)
    evidence_id, _ = ids["image/png"]
    for account in (people.operator, people.handler):
        browser = app.test_client()
        log_in(browser, account, clock)
        page = page_of(browser, tickets.confidential)
        assert REPORTER_CONTACT in page.text
        line = f"Diajukan oleh operator operator {people.operator.email} dari desa "
        assert line in page.text and "atas nama warga" in page.text
        assert f"/office/evidence/{evidence_id}/thumb" in page.text
        assert browser.get(f"/office/evidence/{evidence_id}/thumb").status_code == 200


def test_another_office_gets_the_same_404_as_an_unknown_reference(
    app, client, clock, people, tickets
):
    log_in(client, people.other_handler, clock)
    elsewhere = page_of(client, tickets.objection)
    unknown = page_of(client, "DT-0000-0000")
    assert elsewhere.status_code == unknown.status_code == 404
    assert elsewhere.text == unknown.text
    bogor = app.test_client()
    log_in(bogor, people.handler, clock)
    assert page_of(bogor, tickets.jakarta).status_code == 404


def test_the_page_needs_a_login_and_a_ticket_role(app, client, clock, tickets):
    anonymous = page_of(client, tickets.objection)
    assert anonymous.status_code == 302
    log_in(client, make_staff(app, "admin", office="national"), clock)
    assert page_of(client, tickets.objection).status_code == 403


def test_every_opening_is_audited(app, client, clock, people, tickets):
    ids = thumb_ids(app, tickets.objection)
    evidence_id, _ = ids["image/jpeg"]
    log_in(client, people.handler, clock)
    page_of(client, tickets.objection)
    page_of(client, tickets.objection)
    client.get(f"/office/evidence/{evidence_id}/thumb")
    with app.app_context():
        ticket_id = ticket_row(tickets.objection).id
        rows = db.session.execute(
            select(
                AuditEntry.kind, AuditEntry.staff_id, AuditEntry.ticket_id, AuditEntry.evidence_id
            )
            .where(AuditEntry.kind.in_(("ticket_opened", "evidence_opened")))
            .order_by(AuditEntry.id)
        ).all()
    handler = people.handler.id
    assert [tuple(r) for r in rows] == [
        ("ticket_opened", handler, ticket_id, None),
        ("ticket_opened", handler, ticket_id, None),
        ("evidence_opened", handler, ticket_id, evidence_id),
    ]


def test_history_shows_actor_status_change_and_internal_notes(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    answer = add_note(client, tickets.objection, "Cek ke lapangan Kamis depan")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/office/tickets/{tickets.objection}")
    page = client.get(answer.headers["Location"])
    assert "Catatan internal Anda sudah ditambahkan." in page.text  # the flash, at the top
    assert page.text.index("Catatan internal Anda") < page.text.index("<h1>")
    assert "Cek ke lapangan Kamis depan" in page.text
    assert "internal</strong>" in page.text
    assert people.handler.email in page.text  # the actor's display name
    with app.app_context():
        event = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "note"))
        assert event.public is False and event.actor == f"staff:{people.handler.id}"
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "note")
            )
            == 1
        )


def test_internal_notes_never_reach_the_tracking_pages(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    add_note(client, tickets.objection, "Tetangga bilang mereka punya mobil")
    assert "Tetangga bilang" in page_of(client, tickets.objection).text
    resident = app.test_client()
    opened = post(resident, "/track", {"reference": tickets.objection, "pin": tickets.pin})
    assert opened.status_code == 303
    tracked = resident.get(opened.headers["Location"])
    assert tracked.status_code == 200 and tickets.objection in tracked.text
    assert "Tetangga bilang" not in tracked.text
    linked = resident.get(f"/t/{tickets.tracking_token}")
    assert linked.status_code == 200 and "Tetangga bilang" not in linked.text


def add_note(client, reference, text, version=None):
    page = page_of(client, reference).text
    shown = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    return client.post(
        f"/office/tickets/{reference}/note",
        data={
            "csrf_token": re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1),
            "note": text,
            "version": shown if version is None else version,
        },
    )


def test_note_errors_keep_the_typed_text(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    too_long = "Catatan panjang " + "x" * 2000
    answer = add_note(client, tickets.objection, too_long)
    assert answer.status_code == 400
    assert "paling banyak 2000 karakter" in answer.text
    assert too_long in answer.text
    assert 'href="#note"' in answer.text  # the error summary links to the box
    empty = add_note(client, tickets.objection, "   ")
    assert empty.status_code == 400 and "Tulis catatannya" in empty.text


def test_a_stale_note_says_the_ticket_changed(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    with app.app_context():
        old = ticket_row(tickets.objection).version
    answer = add_note(client, tickets.objection, "Catatan lama", version=old - 1)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"])
    assert "Tiket ini sudah berubah" in page.text
    assert "Catatan lama" not in page.text


def test_operators_cannot_add_notes(app, client, clock, people, tickets):
    log_in(client, people.operator, clock)
    page = page_of(client, tickets.objection)
    assert page.status_code == 200 and "/note" not in page.text
    csrf = token(client, "/office/")
    answer = client.post(
        f"/office/tickets/{tickets.objection}/note",
        data={"csrf_token": csrf, "note": "x", "version": "1"},
    )
    assert answer.status_code == 403


def test_a_section_registered_by_another_module_is_rendered(
    app, client, clock, people, tickets, monkeypatch
):
    seen = []

    def box(ticket, staff, office):
        seen.append((ticket.reference, staff.id))
        return {"greeting": f"Kotak {ticket.reference}"}

    template = "office/_test_section.html"
    loader = DictLoader({template: "<p id='t-box'>{{ ctx.greeting }}</p>"})
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([loader, app.jinja_env.loader]))
    monkeypatch.setattr(ticket_sections, "SECTIONS", [])
    ticket_sections.section(template, "aside")(box)
    log_in(client, people.handler, clock)
    page = page_of(client, tickets.objection)
    assert f"<p id='t-box'>Kotak {tickets.objection}</p>" in page.text
    assert seen == [(tickets.objection, people.handler.id)]
    # in the actions column, after the deadlines
    assert page.text.index("t-box") > page.text.index('id="deadlines"')


def test_deadlines_count_working_days_left_and_pause(app, client, clock, people, keyring):
    """Submitted Tuesday 9 June 2026: triage is due 3 working days later,
    Friday 12 June. On Wednesday 10 June two working days are left (Thu, Fri);
    on Monday 15 June it is one working day overdue (the weekend does not count)."""
    import datetime as dt

    from portal.db import transaction
    from portal.tickets.workflow import Actor, transition

    submitted = dt.datetime(2026, 6, 9, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB
    with app.app_context():
        reference = submit(keyring, answers(), now=submitted).reference
    clock.now = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)
    log_in(client, people.handler, clock)
    page = page_of(client, reference).text
    assert "12 Jun 2026" in page and "2 hari kerja lagi" in page
    clock.now = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
    client = app.test_client()  # the session of Wednesday is over
    log_in(client, people.handler, clock)
    page = page_of(client, reference).text
    assert "Terlambat 1 hari kerja" in page
    with app.app_context(), transaction():
        ticket = ticket_row(reference)
        handler = Actor.staff(people.handler.id, "handler")
        transition(ticket, "in_review", handler, now=clock.now, keyring=keyring)
        transition(ticket, "needs_info", handler, "Kirim foto KK", now=clock.now, keyring=keyring)
    page = page_of(client, reference).text
    assert "Hitungan waktu dihentikan" in page and "Dihentikan sementara" in page
    assert "hari kerja lagi" not in page and "Terlambat" not in page
    # the history: who, what and from which status to which, in Jakarta time
    assert "Baru, perlu dipilah → Sedang diperiksa" in page
    assert "Sedang diperiksa → Menunggu jawaban warga" in page
    assert "15 Jun 2026 09.00.00 WIB" in page  # 02:00 UTC
    assert "Kirim foto KK" in page


def test_the_page_in_english(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    page = client.get(f"/office/tickets/{tickets.objection}?lang=en").text
    for words in (
        "The request",
        "In the registry",
        "What the request says is wrong",
        "House conditions",
        "Reporter",
        "History",
        "Deadlines",
        "Internal notes",
        "New, to triage",
        "The data about our house is wrong",
    ):
        assert words in page
    assert "Permohonan" not in page


def test_a_change_committed_while_the_note_is_saved_says_the_ticket_changed(
    app, client, clock, people, tickets, monkeypatch
):
    from sqlalchemy import text

    from portal.web.office import ticket as view

    checked = view.expect_version

    def meanwhile(ticket, version):
        checked(ticket, version)  # the form was up to date when it was checked
        with db.engine.begin() as other:  # another handler's move commits now
            other.execute(
                text("UPDATE tickets SET version = version + 1 WHERE id = :id"), {"id": ticket.id}
            )

    monkeypatch.setattr(view, "expect_version", meanwhile)
    log_in(client, people.handler, clock)
    answer = add_note(client, tickets.objection, "Catatan bersamaan")
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).text
    assert "Tiket ini sudah berubah" in page and "Catatan bersamaan" not in page


@pytest.mark.parametrize(
    ("role", "where", "status"),
    [
        ("supervisor", {"office": "prov-32"}, 200),  # the province of Bogor
        ("supervisor", {"office": "national"}, 200),
        ("supervisor", {"office": "prov-31"}, 404),  # Jakarta's province
        ("operator", {"village": OTHER_VILLAGE}, 404),  # another village of Bogor
    ],
)
def test_who_else_may_open_the_page(app, client, clock, tickets, role, where, status):
    log_in(client, make_staff(app, role, **where), clock)
    assert page_of(client, tickets.objection).status_code == status
