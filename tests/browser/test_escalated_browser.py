"""The supervisors' escalated list and the operator's village list in
Chromium (issue 12 §2, §4): each page axe-clean (WCAG 2.2 AA) on the office
PC and on a 360 px phone, no sideways scroll, its table in a scroll region."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from tests.browser.test_office_browser import axe, log_in, new_page
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BOGOR_A
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")


def tickets(app, keyring) -> dict[str, str]:
    """An escalated ticket and one waiting for the resident, both in Bogor A."""
    made = {}
    with app.app_context():
        for name, status, level in (("escalated", "in_review", 2), ("waiting", "needs_info", 0)):
            result = submit(keyring, answers(village_code=BOGOR_A))
            with transaction():
                ticket = db.session.get(Ticket, result.ticket_id)
                ticket.status, ticket.escalation_level = status, level
                ticket.due_next = dt.date(2026, 6, 1) if level else None
                ticket.escalated_at = dt.datetime.now(dt.UTC) if level else None
            made[name] = result.reference
    return made


def test_both_lists_are_accessible(app, keyring, browser, servers):
    refs = tickets(app, keyring)
    supervisor = make_staff(app, "supervisor", office="prov-32")
    operator = make_staff(app, "operator", village=BOGOR_A)
    server = servers()

    context, page = new_page(browser, True)
    log_in(page, server.url, supervisor)
    page.goto(server.url + "/office/escalated")
    assert refs["escalated"] in page.inner_text("main table")
    axe(page, "office-escalated")
    page.goto(server.url + "/office/escalated?level=9")
    assert page.locator(".error-summary").count() == 1
    axe(page, "office-escalated-error")
    context.close()

    context, page = new_page(browser, False)
    log_in(page, server.url, operator)
    page.goto(server.url + "/office/village")
    assert refs["waiting"] in page.inner_text("main")
    assert page.locator(f"a[href$='/office/tickets/{refs['waiting']}/reply']").count() == 1
    axe(page, "office-village")
    context.close()
