"""The lookup in a real browser (Debian's Chromium through Playwright):
SECURITY.md PD1 — the NIK travels only in POST bodies, never in a URL the
browser requests or keeps in its history; the page works with JavaScript
off."""

from __future__ import annotations

import re

import pytest

from portal.registry.importer import import_snapshot
from tests.factories import household, write_csv

SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture
def people(app, tmp_path, db_clean):
    rows = household("3201011503100001", 1)
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    return rows


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_lookup_in_chromium_keeps_the_nik_out_of_every_url(browser, servers, people, javascript):
    server = servers()
    context = browser.new_context(java_script_enabled=javascript, locale="id-ID")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    responses = []
    page.on("response", lambda response: responses.append(response))

    page.goto(server.url + "/lookup")
    head = people[0]
    page.fill(
        "#nik", f"{head['nik'][:4]} {head['nik'][4:8]} {head['nik'][8:12]} {head['nik'][12:]}"
    )
    page.fill("#name", "budi santoso")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # POST, then a redirect: the result is a GET of its own address
    assert "B*** S******" in page.content()
    assert page.url == server.url + "/lookup/result"
    assert posts == [server.url + "/lookup"]
    result = [r for r in responses if r.url == page.url and r.request.method == "GET"]
    assert result and result[-1].headers["cache-control"] == "no-store"
    assert requested and not any(SIXTEEN.search(url) for url in requested), requested
    assert head["nik"] not in page.content()

    # Reload, Back and Forward show pages again without sending the form again
    # (no "Confirm Form Resubmission", no second lookup), with JavaScript or not.
    page.reload()
    assert "B*** S******" in page.content()
    page.go_back()
    assert page.url == server.url + "/lookup"
    page.go_forward()
    assert page.url == server.url + "/lookup/result"
    assert "B*** S******" in page.content()
    # The language switch keeps the result.
    page.click("a[hreflang=en]")
    page.wait_for_load_state()
    assert page.url == server.url + "/lookup/result?lang=en"
    assert "Your household's status" in page.content() and "B*** S******" in page.content()
    assert posts == [server.url + "/lookup"]

    # An error keeps what was typed and says what is wrong, without JavaScript too.
    page.goto(server.url + "/lookup")
    page.fill("#nik", "3201 0115")
    page.fill("#name", "Budi Santoso")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.input_value("#name") == "Budi Santoso"
    assert "16 digit" in page.inner_text(".error-summary")
    context.close()
