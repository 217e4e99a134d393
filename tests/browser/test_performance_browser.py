"""The office performance page in Chromium (issue 12 §5): a national
supervisor opens the nation, a province and an office, with JavaScript off,
on the office PC's 1366×768 and a 360×740 phone; every page axe-clean
(WCAG 2.2 A/AA, tests/browser/axe.py), the chart an image with a name."""

from __future__ import annotations

import pytest

from portal.db import transaction
from portal.tickets import performance
from tests.browser.axe import assert_axe_clean
from tests.browser.test_office_browser import DESKTOP, PHONE, log_in
from tests.browser.test_phone_layout import Walk
from tests.office import performance_fixtures as pf
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_performance_pages_are_accessible(app, browser, servers, viewport):
    pf.build(app)
    with app.app_context(), transaction():
        performance.refresh(pf.NOW)
    supervisor = make_staff(app, "supervisor", office="national")
    server = servers()
    context = browser.new_context(viewport=viewport, locale="id-ID", java_script_enabled=False)
    page = context.new_page()
    log_in(page, server.url, supervisor)
    for path in (
        "/office/performance",
        "/office/performance/prov-32",
        f"/office/performance/{pf.BOGOR}",
    ):
        page.goto(server.url + path)
        assert page.locator("main table").count() >= 1
        assert_axe_clean(page, name=path)
        if viewport is PHONE:  # no sideways scroll, 44 px tap targets
            walk = Walk(page, "office")
            walk.check(path)
            page.set_viewport_size(PHONE)
            assert walk.problems == [], "\n".join(walk.problems)
    page.goto(server.url + "/office/performance")
    chart = page.locator("svg[role=img]")
    assert chart.count() == 1
    assert chart.get_attribute("aria-labelledby") == "share-chart-title share-chart-desc"
    context.close()
