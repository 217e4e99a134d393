"""WCAG 2.2 A/AA in Chromium with axe-core (issue 10; tests/browser/axe.py):
that the check can fail, the stylesheet's buttons, and the error and side
pages that the phone walk (test_phone_layout.py, which runs axe on each of
its pages) does not reach, with JavaScript on and off, each checked on a
360×740 phone and a 1366×768 office PC (the same page resized: axe is
injected once per page). The office pages: test_office_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.axe import assert_axe_clean, axe_violations

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
ROOT = Path(__file__).resolve().parents[2]

BROKEN = """<!doctype html><html lang="id"><head><title>Rusak</title></head><body><main>
<h1>Halaman rusak</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input id="nik" name="nik"><button>Kirim</button></form>
</main></body></html>"""
FIXED = BROKEN.replace('<img src="', '<img alt="Rumah tampak depan" src="').replace(
    '<input id="nik"', '<label for="nik">NIK</label><input id="nik"'
)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_axe_finds_a_missing_alt_and_a_missing_label(browser, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_content(BROKEN)
    with pytest.raises(AssertionError) as failed:
        assert_axe_clean(page, name="broken")
    message = str(failed.value)
    assert "axe: 2 WCAG A/AA rule(s) fail on broken" in message
    assert "image-alt (critical) at img: Images must have alternative text" in message
    assert "label (critical) at #nik: Form elements must have labels" in message
    # The same page with both mended passes; a selector limits what is checked.
    page.set_content(FIXED)
    assert_axe_clean(page)
    page.set_content(BROKEN)
    assert [v["id"] for v in axe_violations(page, "form")] == ["label"]
    context.close()


def test_links_and_buttons_in_the_stylesheet_are_readable(browser):
    """Every kind of button, as a button and as a link, on the portal's own
    stylesheet: a secondary button link once had white text on light grey
    (``.button:link`` outranked ``.button-secondary``)."""
    css = (ROOT / "static" / "css" / "portal.css").read_text()
    kinds = ("button", "button button-secondary", "button button-start")
    html = "".join(
        f'<p><button class="{k}">Kirim</button></p><p><a class="{k}" href="#x">Lanjut</a></p>'
        for k in kinds
    )
    page = browser.new_page()
    page.set_content(
        f'<!doctype html><html lang="id"><head><title>Tombol</title><style>{css}</style>'
        f"</head><body><main><h1>Tombol</h1>{html}</main></body></html>"
    )
    assert_axe_clean(page, name="buttons")
    assert page.locator("main a.button-secondary").evaluate("a => getComputedStyle(a).color") == (
        "rgb(11, 12, 12)"
    )
    page.close()


class Checks:
    def __init__(self, page) -> None:
        self.page = page
        self.failures: list[str] = []
        self.seen: list[str] = []

    def __call__(self, name: str) -> None:
        """Check the page now shown on a phone, then on the office PC."""
        self.seen.append(name)
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(viewport)
            try:
                assert_axe_clean(self.page, name=f"{name} ({size})")
            except AssertionError as failure:
                self.failures.append(str(failure))

    def submit(self) -> None:
        self.page.click("main button[type=submit]:not([value=upload]):not([value=remove])")
        self.page.wait_for_load_state()


@pytest.mark.usefixtures("db_clean")
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_error_and_side_pages_are_axe_clean(browser, servers, javascript):
    """The pages and states the phone walk (test_phone_layout.py, axe on
    every page) does not reach: error summaries, the first question of each
    kind, the village search's results, the not-found pages."""
    server = servers()
    context = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=javascript)
    page = context.new_page()
    check = Checks(page)

    page.goto(server.url + "/submit")
    check("submit-choose")
    for kind in ("objection", "correction"):
        page.goto(f"{server.url}/submit/{kind}")
        check(f"{kind}-first-question")
    page.goto(server.url + "/submit/proposal")
    check.submit()  # nothing chosen
    assert page.locator(".error-summary").count() == 1
    check("proposal-errors")
    page.check("input[value=other_household]")
    check.submit()
    check.submit()  # no name, no address
    assert page.locator(".error-summary").count() == 1
    check("proposal-subject-errors")
    if javascript:
        page.fill("#subject_name", "Siti Aminah")
        page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
        check.submit()
        page.fill("#village-search", "cibinong bogor")
        page.locator(".village-result").first.wait_for()
        check("proposal-village-search-results")

    page.goto(server.url + "/lookup")
    page.fill("#nik", "3201 0115")
    check.submit()
    assert page.locator(".error-summary").count() == 1
    check("lookup-errors")
    page.goto(server.url + "/track")
    check.submit()
    assert page.locator(".error-summary").count() == 1
    check("track-errors")
    page.goto(server.url + "/t/no-such-link")
    check("tracking-link-not-found")
    page.goto(server.url + "/no-such-page")
    check("http-404")
    context.close()

    assert check.failures == [], "\n".join(check.failures)
    assert len(check.seen) == (10 if javascript else 9)
