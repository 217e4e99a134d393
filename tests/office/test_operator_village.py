"""``/office/village`` (issue 12 §2): a village operator's list of their own
village's tickets, the ones waiting for the resident's reply first with the
page to pass a reply on; never another village's, never who reported a
confidential objection or its files (except to the operator who sent it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from tests.office.ticket_page_fixtures import image_bytes, stored
from tests.staff.conftest import Clock, log_in, make_staff
from tests.staff.test_permissions import BOGOR_A, BOGOR_B
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")

D = dt.date
CONTACT = "pelapor.rahasia@contoh.id"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    from portal.web.office import auth, login

    clock = Clock()
    clock.now = dt.datetime(2026, 7, 13, 3, 0, tzinfo=dt.UTC)  # Monday 13 July 2026
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


@pytest.fixture
def village(app, keyring, clock, tmp_path, monkeypatch):
    """Two operators of Bogor A and B and the tickets of both villages."""
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    me = make_staff(app, "operator", village=BOGOR_A)
    other = make_staff(app, "operator", village=BOGOR_B)

    def ticket(village_code, status, due=None, appeal=None, confidential=False, by=None):
        given = answers(village_code=village_code)
        if confidential:
            given = answers(
                kind="objection",
                subkind="ineligible_recipient",
                village_code=village_code,
                reason_codes=("not_poor",),
                reporter_contact=CONTACT,
                reporter_confidential=True,
            )
        with app.app_context():
            result = submit(keyring, given, evidence=[stored("rumah.png", image_bytes("PNG"))])
            with transaction():
                row = db.session.get(Ticket, result.ticket_id)
                row.status, row.due_next, row.appeal_until = status, due, appeal
                row.submitted_by_staff_id = by
            return result.reference

    refs = {
        "waiting": ticket(BOGOR_A, "needs_info"),
        "in review": ticket(BOGOR_A, "in_review", due=D(2026, 7, 20)),
        "rejected": ticket(BOGOR_A, "rejected", appeal=D(2026, 7, 24)),
        "confidential waiting": ticket(BOGOR_A, "needs_info", confidential=True),
        "confidential, sent by me": ticket(
            BOGOR_A, "in_review", due=D(2026, 7, 14), confidential=True, by=me.id
        ),
        "other village": ticket(BOGOR_B, "needs_info"),
    }
    return me, other, refs


def page_of(app, clock, account) -> str:
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    response = client.get("/office/village?lang=en")
    assert response.status_code == 200
    return response.text


def row_of(page: str, ref: str) -> str:
    """The table row of ``ref``."""
    start = page.index(f'href="/office/tickets/{ref}"')
    return page[page.rindex("<tr>", 0, start) : page.index("</tr>", start)]


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_waiting_first_with_the_reply_page_then_the_others(app, clock, village):
    me, _, refs = village
    page = page_of(app, clock, me)
    waiting, others = page.split('id="all-requests"', 1)
    for name in ("waiting", "confidential waiting"):
        assert f'href="/office/tickets/{refs[name]}/reply"' in waiting
        assert refs[name] not in others
    for name in ("in review", "rejected", "confidential, sent by me"):
        assert refs[name] in others and refs[name] not in waiting
    # the nearest deadline first: due 14 July, due 20 July, then the decided one
    order = [m for m in re.findall(r'/office/tickets/([A-Z0-9-]+)"', others)]
    assert order == [refs["confidential, sent by me"], refs["in review"], refs["rejected"]]
    assert cells(row_of(page, refs["in review"]))[2:5] == [
        ["Being", "checked"],
        ["Jul", "20,", "2026"],
        ["–"],
    ]
    assert cells(row_of(page, refs["rejected"]))[2:4] == [
        ["Not", "accepted"],
        ["–"],
    ] and "Jul 24, 2026" in row_of(page, refs["rejected"])


def test_never_another_village(app, clock, village):
    me, other, refs = village
    assert refs["other village"] not in page_of(app, clock, me)
    theirs = page_of(app, clock, other)
    assert refs["other village"] in theirs
    assert all(refs[n] not in theirs for n in refs if n != "other village")


def test_no_confidential_reporter_or_files_except_for_the_operator_who_sent_it(app, clock, village):
    me, _, refs = village
    page = page_of(app, clock, me)
    assert CONTACT not in page
    assert "/office/evidence/" not in page
    confidential = cells(row_of(page, refs["confidential waiting"]))
    assert confidential[3] == ["–"]  # files: not for the operator to know
    assert "Submitted by you" not in row_of(page, refs["confidential waiting"])
    assert cells(row_of(page, refs["waiting"]))[3] == ["1"]
    mine = row_of(page, refs["confidential, sent by me"])
    assert "Submitted by you" in mine and cells(mine)[5] == ["1"]
    assert "keeps who reported" in page


@pytest.mark.parametrize(
    ("role", "place"),
    [
        ("handler", {"office": "dinsos-32.01"}),
        ("supervisor", {"office": "prov-32"}),
        ("admin", {"office": "national"}),
        ("field_officer", {"office": "dinsos-32.01", "districts": (BOGOR_A.rsplit(".", 1)[0],)}),
    ],
)
def test_only_operators_open_it(app, clock, village, role, place):
    client = app.test_client()
    assert log_in(client, make_staff(app, role, **place), clock).status_code == 303
    assert client.get("/office/village").status_code == 403


def test_the_menu_offers_it_to_operators(app, clock, village):
    me, _, _ = village
    page = page_of(app, clock, me)
    assert 'href="/office/village"' in page
    assert 'href="/office/escalated"' not in page
