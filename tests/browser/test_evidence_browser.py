"""The evidence page in Chromium with JavaScript off, on a phone-sized
screen (issue 9 §3.1, §3.2): a file chosen and "Lanjut" pressed is uploaded;
a file over the limit gets its message on the same page."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.conftest import choose_village_step_by_step

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


def _photo() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(out, "JPEG")
    return out.getvalue()


def test_continue_uploads_the_chosen_file_and_a_big_one_is_refused_in_place(
    browser, servers, tmp_path
):
    server = servers(PORTAL_UPLOAD_ROOT=str(tmp_path / "uploads"))
    context = browser.new_context(java_script_enabled=False, locale="id-ID", viewport=PHONE)
    page = context.new_page()
    _to_evidence_step(page, server.url)

    # A file over the limit: the same page says so, nothing is lost.
    big = tmp_path / "besar.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(9 * 1024 * 1024))
    page.select_option("#doc_type", "house_front")
    page.set_input_files("#file", str(big))
    page.click("button[value=upload]")
    page.wait_for_load_state()
    assert page.url.endswith("/submit/proposal/evidence")
    assert "lebih besar dari 8 MB" in page.inner_text(".error-summary")
    assert page.input_value("#doc_type") == "house_front"

    # A file chosen, then "Lanjut" instead of "Unggah file ini": uploaded.
    photo = tmp_path / "rumah depan.jpg"
    photo.write_bytes(_photo())
    page.set_input_files("#file", str(photo))
    page.click("button[value=continue]")
    page.wait_for_url("**/submit/proposal/contact")
    page.goto(server.url + "/submit/proposal/evidence")
    assert "rumah depan.jpg" in page.inner_text(".evidence-files")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing scrolls sideways
    page.screenshot(path=str(tmp_path / "evidence-360.png"), full_page=True)
    context.close()
