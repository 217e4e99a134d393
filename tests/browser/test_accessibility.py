"""WCAG 2.2 A/AA in Chromium with axe-core (issue 10; tests/browser/axe.py):
every public page of a whole journey and the office's login pages, with
JavaScript on and off, each checked on a 360×740 phone and a 1366×768 office
PC (the same page resized: axe is injected once per page)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portal.registry.importer import import_snapshot
from portal.staff import totp
from tests.browser.axe import assert_axe_clean, axe_violations
from tests.browser.conftest import choose_village_step_by_step
from tests.browser.test_phone_layout import jpeg_file
from tests.factories import household, write_csv
from tests.staff.conftest import make_staff

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
def test_public_and_office_login_pages_are_axe_clean(app, browser, servers, tmp_path, javascript):
    rows = household("3201011503100001", 1)
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    handler = make_staff(app, "handler", office="dinsos-32.01")
    server = servers()
    context = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=javascript)
    page = context.new_page()
    check = Checks(page)

    page.goto(server.url + "/")
    check("home")
    page.goto(server.url + "/submit")
    check("submit-choose")
    for kind in ("objection", "correction"):
        page.goto(f"{server.url}/submit/{kind}")
        check(f"{kind}-first-question")

    page.goto(server.url + "/submit/proposal")
    check.submit()  # nothing chosen: the error summary
    assert page.locator(".error-summary").count() == 1
    check("proposal-errors")
    page.check("input[value=other_household]")
    check.submit()
    check("proposal-subject")
    page.fill("#subject_name", "Siti Aminah")
    page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
    check.submit()
    check("proposal-village")
    if javascript:
        page.fill("#village-search", "cibinong bogor")
        page.locator(".village-result").first.wait_for()
        check("proposal-village-search-results")
        page.locator(".village-result").first.click()
    else:
        choose_village_step_by_step(page)
    page.wait_for_url("**/reasons")
    check("proposal-reasons")
    page.locator("input[name=reason_codes]").first.check()
    page.fill("#details", "Suami sakit sejak Januari, tidak ada penghasilan tetap.")
    check.submit()
    check("proposal-evidence")
    page.set_input_files("input[type=file]", str(jpeg_file(tmp_path)))
    page.select_option("#doc_type", "house_front")
    page.click("button[value=upload]")
    page.wait_for_load_state()
    check("proposal-evidence-uploaded")
    page.click("button[value=continue]")
    page.wait_for_load_state()
    check("proposal-contact")
    page.fill("#contact", "0812 3456 7890")
    check.submit()
    check("proposal-consent")
    page.check("input[name=consent]")
    check.submit()
    check("proposal-check")
    check.submit()
    page.wait_for_url("**/submit/sent")
    check("confirmation")
    tracking = page.locator("main a[href*='/t/']").first.get_attribute("href")
    page.goto(tracking.replace("http://localhost", server.url))
    check("tracking-page")
    page.goto(server.url + "/track")
    check("track")
    page.goto(server.url + "/t/no-such-link")
    check("tracking-link-not-found")
    page.goto(server.url + "/no-such-page")
    check("http-404")

    # After the journey: a household looked up would give it a village.
    page.goto(server.url + "/lookup")
    check("lookup")
    page.fill("#nik", "3201 0115")
    check.submit()
    assert page.locator(".error-summary").count() == 1
    check("lookup-errors")
    page.fill("#nik", rows[0]["nik"])
    page.fill("#name", rows[0]["full_name"])
    check.submit()
    check("lookup-result")

    page.goto(server.url + "/office/login")
    check("office-login")
    page.fill("#email", handler.email)
    page.fill("#password", handler.password)
    check.submit()
    check("office-code")
    page.fill("#code", "000000" if totp.current_code(handler.secret, now()) != "000000" else "1")
    check.submit()
    assert page.locator(".error-summary").count() == 1
    check("office-code-error")
    context.close()

    assert check.failures == [], "\n".join(check.failures)
    assert len(check.seen) == (25 if javascript else 24)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
