"""The village picker in Chromium: with JavaScript, the searchable list
finishes the step in one choice; without it, the lists one after another."""

from __future__ import annotations

import pytest

from tests.browser.conftest import choose_village_step_by_step

pytestmark = pytest.mark.usefixtures("db_clean")


def _to_village_step(page, url: str) -> None:
    page.goto(url + "/submit/proposal")
    page.check("input[value=other_household]")
    page.click("button[type=submit]")
    page.fill("#subject_name", "Siti Aminah")
    page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
    page.click("button[type=submit]")
    page.wait_for_url("**/submit/proposal/village")


def test_searchable_village_list_with_javascript(browser, servers):
    server = servers()
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)

    _to_village_step(page, server.url)
    page.fill("#village-search", "cibinong bogor")
    first = page.locator(".village-result").first
    first.wait_for()
    assert "tempat ditemukan" in page.inner_text("#village-search-status")
    assert first.inner_text() == "Cibinong, Cibinong, Kabupaten Bogor, Jawa Barat"
    first.click()
    page.wait_for_url("**/submit/proposal/reasons")
    assert not problems, problems  # no script error, no CSP violation
    context.close()


def test_lists_one_after_another_without_javascript(browser, servers):
    server = servers()
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    page = context.new_page()
    _to_village_step(page, server.url)
    assert page.locator("#village-search").count() == 0
    choose_village_step_by_step(page)
    assert page.url.endswith("/submit/proposal/reasons")
    context.close()
