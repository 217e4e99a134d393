"""A whole journey on a 360 px wide phone (issue 9 §3.3, §3.10): no page scrolls
sideways and every tap target (links, buttons, form controls) is at least 44 px
tall. Set ``SCREENSHOTS=DIR`` to keep a full-page screenshot of every page.

The walk: home, lookup (found and not found), a proposal for another household
from the first question to the confirmation, its tracking page, /track, and the
back office (login, code, the queue, and the ticket page with its evidence
file),
with JavaScript on and off (the village lists one after another).

Each page is also checked with axe-core (WCAG 2.2 A/AA, tests/browser/axe.py)
on the phone and, resized, on a 1366×768 office PC: one walk for both."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from portal.registry.importer import import_snapshot
from portal.staff import totp
from tests.browser.axe import assert_axe_clean
from tests.factories import household, write_csv
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.usefixtures("db_clean")

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
MIN_TAP_PX = 44
#: Every element a finger aims at, in the page or its header, visible only.
TARGETS_JS = """() => {
  const targets = document.querySelectorAll(
    'main a, main button, main input:not([type=hidden]), main select, main textarea, ' +
    'main summary, .back-link, .site-header a');
  return [...targets].filter(el => el.getClientRects().length).map(el => {
    const box = el.getBoundingClientRect();
    const label = (el.innerText || el.value || el.name || el.id || '').trim().slice(0, 40);
    return {tag: el.tagName.toLowerCase(), type: el.type || '', label, height: box.height};
  });
}"""
# Checkboxes and radios are measured by their label's row (.choice): the box
# itself is smaller, the whole row is what a finger hits.
CHOICE_ROWS_JS = """() => [...document.querySelectorAll('main .choice')].map(row => ({
  label: row.innerText.trim().slice(0, 40), height: row.getBoundingClientRect().height}))"""


class Walk:
    def __init__(self, page, name: str) -> None:
        self.page = page
        self.problems: list[str] = []
        self.seen: list[str] = []
        shots = os.environ.get("SCREENSHOTS")
        self.shots = Path(shots) / name if shots else None

    def check(self, name: str) -> None:
        """Measure the page the browser shows now."""
        page = self.page
        page.wait_for_load_state()
        self.seen.append(name)
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)
            shot = self.shots / f"{len(self.seen):02d}-{name}.png"
            page.screenshot(path=str(shot), full_page=True)
        widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            self.problems.append(f"{name}: scrolls sideways ({widths[0]} > {widths[1]} px)")
        for target in page.evaluate(TARGETS_JS):
            if target["type"] in ("checkbox", "radio"):
                continue
            if target["height"] < MIN_TAP_PX:
                self.problems.append(
                    f"{name}: {target['tag']} {target['label']!r} is {target['height']:.0f} px tall"
                )
        for row in page.evaluate(CHOICE_ROWS_JS):
            if row["height"] < MIN_TAP_PX:
                self.problems.append(f"{name}: choice {row['label']!r} is {row['height']:.0f} px")
        self.axe(name)

    def axe(self, name: str) -> None:
        """axe-clean on the phone, then on the office PC (resized, not reloaded)."""
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(viewport)
            try:
                assert_axe_clean(self.page, name=f"{name} ({size})")
            except AssertionError as failure:
                self.problems.append(str(failure))
        self.page.set_viewport_size(PHONE)

    def submit(self) -> None:
        self.page.click("main button[type=submit]:not([value=upload]):not([value=remove])")
        self.page.wait_for_load_state()


def jpeg_file(tmp_path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 100, 50)).save(out, "JPEG")
    path = tmp_path / "rumah-depan.jpg"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_whole_journey_fits_a_360_px_phone(app, browser, servers, tmp_path, javascript):
    rows = household("3201011503100001", 1)
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    handler = make_staff(app, "handler", office="dinsos-32.01")
    server = servers()
    context = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=javascript)
    page = context.new_page()
    walk = Walk(page, "js" if javascript else "no-js")

    page.goto(server.url + "/")
    walk.check("home")
    page.goto(server.url + "/lookup")
    walk.check("lookup")
    page.fill("#nik", rows[0]["nik"])
    page.fill("#name", rows[0]["full_name"])
    walk.submit()
    walk.check("lookup-found")
    page.goto(server.url + "/lookup")
    page.fill("#nik", rows[0]["nik"][:12] + "9999")
    page.fill("#name", rows[0]["full_name"])
    walk.submit()
    walk.check("lookup-not-found")

    page.goto(server.url + "/submit/proposal")
    walk.check("submit-subkind")
    page.check("input[value=other_household]")
    walk.submit()
    walk.check("submit-subject")
    page.fill("#subject_name", "Siti Aminah")
    page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
    walk.submit()
    walk.check("submit-village")
    if javascript:
        page.fill("#village-search", "cibinong bogor")
        page.locator(".village-result").first.click()
    else:  # the lists one after another
        for level, value in (("province", "32"), ("regency", "32.01"), ("district", "32.01.01")):
            page.select_option(f"#{level}", value)
            walk.submit()
            walk.check(f"submit-village-{level}")
        page.select_option("#village", "32.01.01.1006")
        walk.submit()
    page.wait_for_url("**/reasons")
    walk.check("submit-reasons")
    page.locator("input[name=reason_codes]").first.check()
    page.fill("#details", "Suami sakit sejak Januari, tidak ada penghasilan tetap.")
    walk.submit()
    walk.check("submit-evidence")
    page.set_input_files("input[type=file]", str(jpeg_file(tmp_path)))
    page.select_option("#doc_type", "house_front")
    page.click("button[value=upload]")
    page.wait_for_load_state()
    walk.check("submit-evidence-uploaded")
    page.click("button[value=continue]")
    page.wait_for_load_state()
    walk.check("submit-contact")
    page.fill("#contact", "0812 3456 7890")
    walk.submit()
    walk.check("submit-consent")
    page.check("input[name=consent]")
    walk.submit()
    walk.check("submit-check")
    walk.submit()
    page.wait_for_url("**/submit/sent")
    walk.check("submit-sent")
    tracking = page.locator("main a[href*='/t/']").first.get_attribute("href")
    page.goto(tracking.replace("http://localhost", server.url))
    walk.check("tracking-page")
    page.goto(server.url + "/track")
    walk.check("track")

    page.goto(server.url + "/office/login")
    walk.check("office-login")
    page.fill("#email", handler.email)
    page.fill("#password", handler.password)
    walk.submit()
    walk.check("office-code")
    page.fill("#code", totp.current_code(handler.secret, dt.datetime.now(dt.UTC)))
    walk.submit()
    page.wait_for_url("**/office/")
    walk.check("office-queue")
    links = page.locator("main table a[href*='/office/tickets/']")
    assert links.count() == 1  # the proposal sent above
    links.first.click()
    page.wait_for_url("**/office/tickets/*")
    walk.check("office-ticket")
    assert page.locator("main a[href*='/office/evidence/']").count() == 1  # the photo
    context.close()

    assert walk.problems == [], "\n".join(walk.problems)
    assert len(walk.seen) == (20 if javascript else 23)
