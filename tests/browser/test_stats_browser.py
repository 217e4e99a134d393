"""/stats in Chromium (issue 13 §1): a resident on a 360×740 phone, with
JavaScript off and no login, opens the nation, a province and an office
(through the links of the page) and the English version; every page
axe-clean (WCAG 2.2 A/AA, tests/browser/axe.py), no sideways scroll, 44 px
tap targets (test_phone_layout.Walk), each chart an image with a name."""

from __future__ import annotations

import pytest

from portal.db import transaction
from portal.stats.refresh import refresh
from tests.browser.axe import assert_axe_clean
from tests.browser.test_office_browser import PHONE
from tests.browser.test_phone_layout import Walk
from tests.office import performance_fixtures as pf

pytestmark = pytest.mark.usefixtures("db_clean")


def test_the_stats_pages_on_a_phone(app, browser, servers):
    pf.build(app)
    with app.app_context(), transaction():
        refresh(pf.NOW)
    server = servers()
    context = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=False)
    page = context.new_page()
    walk = Walk(page, "stats")
    page.goto(server.url + "/")
    page.get_by_role("link", name="Statistik publik").click()
    assert page.locator("h1").inner_text() == "Statistik: Indonesia"
    walk.check("national")
    page.get_by_role("link", name="Dinas Sosial Provinsi Jawa Barat").click()
    walk.check("province")
    page.get_by_role("link", name="Dinas Sosial Kabupaten Bogor").click()
    assert "Kabupaten Bogor" in page.locator("h1").inner_text()
    walk.check("office")
    charts = page.locator("svg[role=img]")
    assert charts.count() == 3
    for i in range(3):
        chart = charts.nth(i)
        title, desc = chart.get_attribute("aria-labelledby").split()
        assert page.locator(f"#{title}").text_content() and page.locator(f"#{desc}").text_content()
    assert "kurang dari 5" in page.locator("main").inner_text()
    page.goto(server.url + "/stats?scope=prov-32&lang=en")
    assert "fewer than 5" in page.locator("main").inner_text()
    walk.check("province-en")
    assert_axe_clean(page, name="province-en")
    assert walk.problems == [], "\n".join(walk.problems)
    context.close()
