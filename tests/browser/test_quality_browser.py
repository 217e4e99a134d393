"""A photo that may be hard to read, in Chromium with JavaScript off on a
phone-sized screen (issue 15 §1): the warning with the photo shown small,
"Continue" asking for the choice, "Remove it and choose another" and "Keep
it anyway"; axe-core clean on the warning and its error state."""

from __future__ import annotations

import random

import pytest

from tests.browser.axe import assert_axe_clean
from tests.browser.conftest import choose_village_step_by_step
from tests.tickets import quality_photos as photos

pytestmark = pytest.mark.usefixtures("db_clean")
PHONE = {"width": 360, "height": 740}


def _to_evidence_step(page, url: str) -> None:
    page.goto(url + "/submit/proposal")
    page.check("input[value=other_household]")
    page.click("button[type=submit]")
    page.fill("#subject_name", "Siti Aminah")
    page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
    page.click("button[type=submit]")
    choose_village_step_by_step(page)
    page.check("input[name=reason_codes] >> nth=0")
    page.fill("#details", "Suami sakit sejak Januari.")
    page.click("button[type=submit]")
    page.wait_for_url("**/submit/proposal/evidence")


def _bad_photo(tmp_path, name: str, spoil) -> str:
    rng = random.Random(name)
    path = tmp_path / name
    path.write_bytes(photos.jpeg(spoil(photos.document(rng, (720, 1000)), rng)))
    return str(path)


def _upload(page, path: str, button: str = "upload") -> None:
    page.select_option("#doc_type", "kk")
    page.set_input_files("#file", path)
    page.click(f"button[value={button}]")
    page.wait_for_load_state()


def test_a_dark_photo_is_warned_about_and_the_choice_works_without_javascript(
    browser, servers, tmp_path
):
    server = servers(
        PORTAL_UPLOAD_ROOT=str(tmp_path / "uploads"), PORTAL_EVIDENCE_QUALITY_CHECK="1"
    )
    context = browser.new_context(java_script_enabled=False, locale="id-ID", viewport=PHONE)
    page = context.new_page()
    _to_evidence_step(page, server.url)

    # "Continue" with a dark photo chosen: stored, but the warning comes first.
    _upload(page, _bad_photo(tmp_path, "kk gelap.jpg", photos.darkened), "continue")
    assert page.url.endswith("/submit/proposal/evidence")
    warning = page.locator(".evidence-quality")
    assert warning.count() == 1
    assert "kk gelap.jpg" in warning.inner_text()
    thumb = warning.locator("img.evidence-thumb")
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")  # shown small
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_axe_clean(page, name="the quality warning")

    # "Continue" without choosing: asked again, with an error summary.
    page.click("button[value=continue]")
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    assert page.locator(".evidence-quality").count() == 1
    assert_axe_clean(page, name="the quality warning's error")

    # "Remove it and choose another": gone.
    page.click(".evidence-quality button[value=remove]")
    page.wait_for_load_state()
    assert page.locator(".evidence-quality").count() == 0
    assert page.locator(".evidence-files").count() == 0

    # A blurred one, kept anyway: listed, then "Continue" moves on.
    _upload(page, _bad_photo(tmp_path, "kk buram.jpg", photos.blurred))
    assert page.locator(".evidence-quality").count() == 1
    page.click(".evidence-quality button[value=keep]")
    page.wait_for_load_state()
    assert page.locator(".evidence-quality").count() == 0
    assert "kk buram.jpg" in page.inner_text(".evidence-files")
    page.click("button[value=continue]")
    page.wait_for_url("**/submit/proposal/contact")
    context.close()


def test_with_javascript_the_phone_warns_before_uploading(browser, servers, tmp_path):
    """``static/js/photo-check.js``: the same warning as soon as a photo is
    chosen, before any byte is sent; a good photo clears it."""
    server = servers(
        PORTAL_UPLOAD_ROOT=str(tmp_path / "uploads"), PORTAL_EVIDENCE_QUALITY_CHECK="1"
    )
    context = browser.new_context(java_script_enabled=True, locale="id-ID", viewport=PHONE)
    page = context.new_page()
    _to_evidence_step(page, server.url)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)

    page.select_option("#doc_type", "kk")
    page.set_input_files("#file", _bad_photo(tmp_path, "gelap.jpg", photos.darkened))
    status = page.locator("#photo-check-status")
    status.wait_for(state="visible")
    assert status.get_attribute("data-codes") == "dark"
    assert_axe_clean(page, name="the phone's pre-check warning")

    good = tmp_path / "baik.jpg"
    good.write_bytes(photos.jpeg(photos.document(random.Random("good"), (720, 1000))))
    page.set_input_files("#file", str(good))
    page.wait_for_function("document.getElementById('photo-check-status').hidden")
    assert status.get_attribute("data-codes") == ""
    page.set_input_files("#file", _bad_photo(tmp_path, "buram.jpg", photos.blurred))
    status.wait_for(state="visible")
    assert status.get_attribute("data-codes") == "blurred"
    assert sent == []  # nothing was uploaded to decide
    context.close()
