"""Staff administration in Chromium (issue 12 §7), JavaScript on and off,
each page axe-clean on the office PC and a phone (``axe`` of
test_office_browser.py): an admin's list, the new-account form with its
errors, the link page and the account page; then the invited person's
three pages (password, QR code, recovery codes) and their first login."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.staff import totp
from tests.browser.test_office_browser import JS, axe, error_links, log_in, new_page, submit_in
from tests.factories import VILLAGE
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.usefixtures("db_clean")
PASSWORD = "kopi tubruk di teras rumah nenek"


@JS
def test_an_admin_invites_an_operator_who_sets_up_the_account(app, browser, servers, javascript):
    admin = make_staff(app, "admin", office="national")
    server = servers()
    context, page = new_page(browser, javascript)
    log_in(page, server.url, admin)

    page.goto(server.url + "/office/admin")
    axe(page, "admin-list")
    page.goto(server.url + "/office/admin/new")
    axe(page, "admin-new")
    page.fill("#email", "rina@example.go.id")
    page.check("#role-3")  # village operator
    submit_in(page, "main form[method=post]")
    assert error_links(page) == ["#name", "#village"]
    assert page.input_value("#email") == "rina@example.go.id"  # nothing typed is lost
    axe(page, "admin-new-errors")
    page.fill("#name", "Rina Operator")
    page.fill("#village", VILLAGE)
    submit_in(page, "main form[method=post]")
    link = page.input_value("#invitation-link")
    axe(page, "admin-link")
    page.click("main a[href*='/office/admin/']")
    page.wait_for_load_state()
    axe(page, "admin-account")
    context.close()

    context, page = new_page(browser, javascript)
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/office/invite/")
    page.goto(server.url + "/office/invite/" + link.rsplit("/", 1)[1])
    axe(page, "invite-password")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    submit_in(page, "main form")
    axe(page, "invite-app")
    secret = re.sub(r"\s", "", page.inner_text(".invite-secret"))
    page.fill("#code", totp.current_code(secret, dt.datetime.now(dt.UTC)))
    submit_in(page, "main form")
    axe(page, "invite-codes")
    assert page.locator(".recovery-codes li").count() == 10
    recovery_code = page.inner_text(".recovery-codes li >> nth=0").strip()

    # The first login, with a recovery code (the app's code of this 30-second
    # step was spent on the enrolment): the page says how many are left.
    page.goto(server.url + "/office/login")
    page.fill("#email", "rina@example.go.id")
    page.fill("#password", PASSWORD)
    submit_in(page, "main form[action$='/office/login']")
    page.wait_for_url("**/office/login/code")
    axe(page, "code-with-recovery-hint")
    page.fill("#code", recovery_code.lower())
    submit_in(page, "main form[action$='/office/login/code']")
    page.wait_for_url("**/office/")
    assert "9" in page.inner_text("main")
    context.close()
