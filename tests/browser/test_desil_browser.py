""" "Why is my desil this?" in Chromium (issue 15 §3): the explanation opens
with and without JavaScript (a native ``<details>``), is axe-clean open on a
phone and an office PC, keeps its tap targets and leads to the right request."""

from __future__ import annotations

import pytest

from portal.registry.importer import import_snapshot
from tests.browser.test_phone_layout import PHONE, Walk
from tests.factories import household, write_csv

pytestmark = pytest.mark.usefixtures("db_clean")


def test_the_explanation_opens_is_axe_clean_and_leads_to_a_correction(
    app, browser, servers, tmp_path
):
    rows = household("3201011503100021", 21, desil="6", roof_material="seng")
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    server = servers(PORTAL_DTSEN_NEXT_UPDATE="2027-03")
    for javascript in (True, False):
        context = browser.new_context(
            viewport=PHONE, locale="id-ID", java_script_enabled=javascript
        )
        page = context.new_page()
        walk = Walk(page, "desil-js" if javascript else "desil-no-js")
        page.goto(server.url + "/lookup")
        page.fill("#nik", rows[0]["nik"])
        page.fill("#name", rows[0]["full_name"])
        walk.submit()
        why = page.locator("details#why")
        assert not why.locator("h2").first.is_visible()  # closed until asked for
        walk.check("result-closed")
        page.click("details#why > summary")
        assert why.get_attribute("open") is not None
        assert why.get_by_text("Seng", exact=True).is_visible()
        assert why.get_by_text("Maret 2027", exact=False).is_visible()
        walk.check("result-why-open")
        assert walk.problems == [], walk.problems
        why.locator("a.button").click()
        page.wait_for_load_state()
        assert page.url == server.url + "/submit/correction"
        context.close()
