"""The office's ticket page says when the resident kept a photo although
the portal said it may be hard to read (issue 15 §1; ``Evidence.quality_kept``,
set by ``service`` from the draft's descriptor)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Evidence
from tests.office.ticket_page_fixtures import (
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    page_of,
    people,  # noqa: F401 - fixture
    ticket_row,
    tickets,  # noqa: F401 - fixture
    upload_root,  # noqa: F401 - fixture
)
from tests.staff.conftest import log_in

pytestmark = pytest.mark.usefixtures("db_clean")


def test_a_photo_kept_despite_a_warning_is_marked_for_the_office(app, client, request):
    at, staff, made = (request.getfixturevalue(n) for n in ("clock", "people", "tickets"))
    with app.app_context():
        ticket_id = ticket_row(made.objection).id
        rows = db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket_id)).all()
        rows[0].quality_kept = "dark,blurred"
        db.session.commit()
    client.get("/?lang=en")
    log_in(client, staff.handler, at)
    page = page_of(client, made.objection)
    assert page.status_code == 200
    assert (
        "The resident kept this photo although the portal said it may be hard to read: "
        "it is too dark and it is blurred." in page.text
    )
    assert page.text.count("The resident kept this photo") == 1
