"""A rating comment that cannot be decrypted (sealed under another purpose,
here another ticket's) does not break the office's ticket page: the score is
shown with "(the comment cannot be read)", and the log line names the ticket,
never the comment."""

# The fixtures come from ticket_page_fixtures (no shared conftest): a test's
# parameter of the same name is the fixture, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import logging

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Rating, rating_comment_purpose
from tests.office.test_ticket_messages import text_of
from tests.office.ticket_page_fixtures import (  # noqa: F401 - fixtures
    clean_limits,
    clock,
    page_of,
    people,
    ticket_row,
    tickets,
    upload_root,
)
from tests.staff.conftest import log_in

pytestmark = pytest.mark.usefixtures("db_clean")

COMMENT = "Petugasnya ramah, tapi saya menunggu lama."


def test_an_unreadable_comment_shows_the_score_and_says_so(
    app, client, clock, people, tickets, keyring, caplog
):
    with app.app_context(), transaction():
        t = ticket_row(tickets.objection)
        db.session.add(
            Rating(
                ticket_id=t.id,
                office_id=t.office_id,
                score=2,
                comment_enc=keyring.encrypt(COMMENT, rating_comment_purpose(t.id + 1000)),
                created_at=dt.datetime(2026, 3, 25, 8, 0, tzinfo=dt.UTC),
            )
        )
    log_in(client, people.handler, clock)
    with caplog.at_level(logging.WARNING, logger="portal.tickets.resident_side"):
        page = page_of(client, tickets.objection)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Nilai 2 dari 5" in text
    assert "(komentar tidak dapat dibaca)" in text
    assert COMMENT not in text
    logged = [r for r in caplog.records if r.name == "portal.tickets.resident_side"]
    assert [r.getMessage() for r in logged] == ["rating comment cannot be decrypted"]
    assert COMMENT not in caplog.text
