"""The exports page in Chromium (issue 12 §6), JavaScript on and off:
axe-clean on an office PC and a phone, both forms' errors in the GOV.UK
error summary linking to their fields, and each download arriving as a
file (a CSV starting with its header row, a PDF)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_office_browser import (
    JS,
    OFFICE,
    axe,
    error_links,
    log_in,
    new_page,
    proposal_ticket,
    submit_in,
)
from tests.factories import VILLAGE
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.usefixtures("db_clean")


@JS
def test_the_exports_page_its_errors_and_downloads(app, browser, servers, javascript):
    proposal_ticket(app)  # open: on the village's list
    handler = make_staff(app, "handler", office=OFFICE)
    server = servers()
    context, page = new_page(browser, javascript)
    log_in(page, server.url, handler)

    page.goto(server.url + "/office/exports")
    axe(page, "exports")
    page.fill("#decisions-start", "2026-03-31")
    page.fill("#decisions-end", "2026-03-01")
    submit_in(page, "form[action$='/decisions']")
    assert error_links(page) == ["#decisions-end"]
    axe(page, "exports-decisions-errors")

    page.fill("#musdes-village", "32.73.01.1001")
    page.fill("#musdes-start", "")
    submit_in(page, "form[action$='/musdes']")
    assert error_links(page) == ["#musdes-start", "#musdes-end"]
    axe(page, "exports-musdes-errors")

    page.fill("#decisions-start", "2026-03-01")
    page.fill("#decisions-end", "2026-03-31")
    with page.expect_download() as download:
        page.click("form[action$='/decisions'] button[type=submit]")
    assert Path(download.value.path()).read_bytes().startswith(b"reference,kind,subkind,")

    page.fill("#musdes-village", VILLAGE)
    page.fill("#musdes-start", "2026-03-01")
    page.fill("#musdes-end", "2026-03-31")
    with page.expect_download() as download:
        page.click("form[action$='/musdes'] button[type=submit]")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    context.close()
