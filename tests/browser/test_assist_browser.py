"""An operator submits for a resident in Chromium (issue 12 §1), with
JavaScript off: the start page with its errors, the questions, the consent
record with its errors, the check page and the confirmation, every page
axe-clean on the office PC and a phone (``test_office_browser.axe``)."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_office_browser import axe, log_in, new_page, submit_in
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BOGOR_A

pytestmark = pytest.mark.usefixtures("db_clean")

FORM = "main form[action$='/office/assist']"
QUESTION = "main form:not([action])"


def test_an_operator_submits_a_proposal_for_a_resident(app, browser, servers):
    operator = make_staff(app, "operator", village=BOGOR_A)
    server = servers()
    context, page = new_page(browser, javascript=False)
    log_in(page, server.url, operator)

    page.goto(server.url + "/office/assist")
    axe(page, "assist-start")
    page.fill("#nik", "12")
    submit_in(page, FORM)
    assert page.locator(".error-summary a").count() == 3  # kind, NIK, name
    axe(page, "assist-start-errors")

    page.fill("#nik", "")
    page.check("#kind")  # a proposal, for a household not in the registry
    submit_in(page, FORM)
    assert page.url == server.url + "/office/assist/proposal"
    page.check("input[value='other_household']")
    submit_in(page, QUESTION)
    page.fill("#subject_name", "Siti Aminah")
    page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
    submit_in(page, QUESTION)
    assert page.url.endswith("/office/assist/proposal/reasons")  # the village is the operator's
    page.check("input[value='no_income']")
    submit_in(page, QUESTION)
    page.click("main button[value='continue']")
    page.wait_for_load_state()
    page.fill("#contact", "0813 1111 2222")
    submit_in(page, QUESTION)

    assert page.url.endswith("/office/assist/proposal/consent")
    axe(page, "assist-consent")
    submit_in(page, QUESTION)
    assert page.locator(".error-summary a").count() == 3
    axe(page, "assist-consent-errors")
    page.fill("#consent_by", "Siti Aminah")
    page.check("input[value='in_person_verbal']")
    page.check("#consent")
    submit_in(page, QUESTION)

    assert page.url.endswith("/office/assist/proposal/check")
    assert "Siti Aminah" in page.inner_text("main")
    axe(page, "assist-check")
    submit_in(page, "main form:not([action])")
    assert page.url == server.url + "/office/assist/sent"
    assert re.search(r"\b\d{6}\b", page.inner_text(".pin"))
    assert page.locator("a[href='/office/assist/sent/receipt.pdf']").count() == 1
    axe(page, "assist-sent")

    submit_in(page, "main form[action$='/office/assist/sent']")  # next resident
    assert page.url == server.url + "/office/assist"
    context.close()
