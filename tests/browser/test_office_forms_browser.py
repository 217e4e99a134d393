"""The office's other forms in Chromium (issue 10), JavaScript on and off,
each page axe-clean (tests/browser/axe.py) on a 1366×768 office PC and a
360×740 phone, with no sideways scroll and 44 px tap targets on the phone
(``axe`` of test_office_browser.py): the reply templates (list, change,
change with errors, add with errors), a move with its GOV.UK error summary
(a question to the resident with a template picked, a transfer with no
office found), and the field-visit form with its errors.

The flow test (test_office_browser.py) covers the login, the queue, the
ticket page and the decision page with its errors."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import replies, workflow
from portal.tickets.models import Ticket
from tests.browser.test_office_browser import (
    JS,
    OFFICE,
    axe,
    error_links,
    log_in,
    new_page,
    objection_ticket,
    submit_in,
)
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.usefixtures("db_clean")


def move_to(app, reference: str, *statuses: str, by) -> None:
    with app.app_context(), transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        for status in statuses:
            actor = workflow.Actor("handler", by.id)
            workflow.transition(ticket, status, actor, now=dt.datetime.now(dt.UTC))


@JS
def test_reply_templates_list_change_and_add(app, browser, servers, javascript):
    with app.app_context(), transaction():
        replies.seed_defaults(dt.datetime.now(dt.UTC))
    supervisor = make_staff(app, "supervisor", office=OFFICE)
    server = servers()
    context, page = new_page(browser, javascript)
    log_in(page, server.url, supervisor)

    page.goto(server.url + "/office/templates")
    axe(page, "templates")
    assert page.locator("main table a[href*='/office/templates/']").count() > 0
    page.locator("main table a[href*='/office/templates/']").first.click()
    page.wait_for_load_state()
    axe(page, "template-change")
    page.fill("#title", "")
    page.fill("#body", "")
    submit_in(page, "main form[method=post]")
    assert error_links(page) == ["#title", "#body"]
    axe(page, "template-change-errors")

    page.goto(server.url + "/office/templates/new")
    axe(page, "template-new")
    submit_in(page, "main form[method=post]")
    assert "#title" in error_links(page)
    axe(page, "template-new-errors")
    context.close()


@JS
def test_a_move_and_the_visit_with_their_errors(app, browser, servers, tmp_path, javascript):
    with app.app_context(), transaction():
        replies.seed_defaults(dt.datetime.now(dt.UTC))
    handler = make_staff(app, "handler", office=OFFICE)
    asked = objection_ticket(app, tmp_path)
    move_to(app, asked, workflow.IN_REVIEW, by=handler)
    server = servers()
    context, page = new_page(browser, javascript)
    log_in(page, server.url, handler)

    # A question to the resident: a template picked (a GET form), then emptied.
    page.goto(f"{server.url}/office/tickets/{asked}/move/ask")
    axe(page, "move-ask")
    page.select_option("#template", index=1)
    submit_in(page, "main form[method=get]")
    assert page.input_value("#question") != ""
    axe(page, "move-ask-template")
    page.fill("#question", "")
    submit_in(page, "main form[method=post]")
    assert error_links(page) == ["#question"]
    axe(page, "move-ask-errors")

    # A transfer: no office matches the search, nothing chosen.
    page.goto(f"{server.url}/office/tickets/{asked}/move/transfer?q=zzzz")
    axe(page, "move-transfer-none-found")
    submit_in(page, "main form[method=post]")
    assert error_links(page) == ["#office", "#reason"]  # #office: the message, no radios
    assert page.input_value("#q") == "zzzz"  # the search is kept
    axe(page, "move-transfer-errors")

    # The visit form, sent empty: the date and the recommendation are asked for.
    move_to(app, asked, workflow.FIELD_CHECK, by=handler)
    page.goto(f"{server.url}/office/tickets/{asked}/visit")
    axe(page, "visit")
    page.fill("#visited_on", "")
    submit_in(page, f"main form[action$='/office/tickets/{asked}/visit']")
    targets = error_links(page)
    assert "#visited_on" in targets
    axe(page, "visit-errors")
    context.close()
