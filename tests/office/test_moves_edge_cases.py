"""The move pages at the edges: a transfer posted without an office to
choose still has the #office target the error summary links to, and a move
that loses a race with another change says "this ticket changed"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm.exc import StaleDataError

from portal.tickets import office_moves
from tests.office.moves_fixtures import (
    assert_back_to_ticket,
    at_wib,
    desk_fixture,  # noqa: F401 - the desk fixture
    flashes,
    post_move,
    ticket_in,
    ticket_page_fixture,  # noqa: F401
)
from tests.staff.conftest import clean_limits  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean", "ticket_page")


@pytest.mark.parametrize("search", ["", "no-such-office-anywhere"])
def test_a_transfer_without_an_office_has_the_field_the_summary_links_to(
    app, keyring, desk, search
):
    desk.clock.now = at_wib(2026, 7, 6)
    client, me = desk.log_in()
    ref = ticket_in(keyring, "in_review", assignee_id=me.id)
    page = post_move(client, ref, "transfer", q=search, reason="Alamat di luar")
    assert page.status_code == 400
    assert 'href="#office"' in page.text
    assert len(re.findall(r'id="office"', page.text)) == 1
    assert "Belum ada kantor yang bisa dipilih" in page.text


def test_a_move_losing_a_race_says_the_ticket_changed(app, keyring, desk, monkeypatch):
    def concurrent(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'tickets' expected to update 1 row")

    monkeypatch.setattr(office_moves, "make", concurrent)
    desk.clock.now = at_wib(2026, 7, 6)
    client, me = desk.log_in()
    ref = ticket_in(keyring, "in_review", assignee_id=me.id)
    assert_back_to_ticket(post_move(client, ref, "verify"), ref)
    assert any("Tiket ini sudah berubah" in message for _, message in flashes(client))
