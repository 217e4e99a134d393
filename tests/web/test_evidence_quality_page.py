"""The evidence page when a photo may be hard to read (issue 15 §1), with
JavaScript off (the test client sends forms as a browser without scripts
does): the photo is stored and shown small with the reason in plain words;
"Keep it anyway" keeps it (the sent request has it), "Remove it and choose
another" removes it, and "Continue" does not skip the choice."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Evidence
from tests.storage import switch
from tests.tickets import quality_photos as photos
from tests.web.journeys import answer_up_to_check, get, post, send, upload
from tests.web.track_reply_helpers import (  # noqa: F401 - fixtures
    at,
    evidence_count,
    grant,
    page_key,
    post_page,
    waiting_fixture,
    wib,
)

PAGE = "/submit/proposal/evidence"


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    """The app with the quality check on (the tests' configuration turns it
    off, for the flat little photos of every other test)."""
    switch.point_app(app, tmp_path / "uploads", monkeypatch)
    monkeypatch.setitem(app.config, "EVIDENCE_QUALITY_CHECK", True)
    return app


@pytest.fixture
def client_en(client):
    client.get("/?lang=en")
    answer_up_to_check(client, "proposal", "other_household", files=0)
    return client


def _page_doc(seed: int = 1):
    return photos.document(random.Random(f"web-{seed}"), (720, 1000))


def _dark_kk() -> bytes:
    return photos.jpeg(photos.darkened(_page_doc(), random.Random(1)))


def _warnings(html: str) -> list[str]:
    return re.findall(r'<div class="warning evidence-quality".*?</form>\s*</div>', html, re.S)


def test_a_dark_photo_is_stored_and_the_choice_is_offered(app, client_en, uploads):
    response = upload(client_en, "proposal", _dark_kk(), name="kk-gelap.jpg", doc_type="kk")
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    assert len(switch.stored_names(app)) == 1  # stored: no second upload needed
    page = get(client_en, PAGE).text
    [warning] = _warnings(page)
    assert "This photo may be hard to read: it is too dark. Retake it, or keep it anyway." in (
        warning
    )
    assert "kk-gelap.jpg" in warning
    assert 'src="/submit/proposal/evidence/0/preview"' in warning  # shown small
    assert 'value="keep"' in warning and 'value="remove"' in warning
    assert "Keep it anyway" in warning and "Remove it and choose another" in warning


def test_the_warning_is_in_indonesian_first(client, uploads):
    """The sentence and its tip come from one component (its translations
    are looked up there too), on the resident's default language."""
    answer_up_to_check(client, "proposal", "other_household", files=0)
    upload(client, "proposal", _dark_kk(), doc_type="kk")
    [warning] = _warnings(get(client, PAGE).text)
    assert "Foto ini mungkin sulit dibaca: terlalu gelap." in warning
    assert "Keep it anyway" not in warning


def test_a_good_photo_gets_no_warning(client_en, uploads):
    upload(client_en, "proposal", photos.jpeg(_page_doc()), doc_type="kk")
    assert _warnings(get(client_en, PAGE).text) == []


def test_continue_with_a_flagged_photo_chosen_shows_the_warning_first(app, client_en, uploads):
    response = upload(client_en, "proposal", _dark_kk(), doc_type="kk", action="continue")
    assert response.headers["Location"] == PAGE  # not on to the next question
    assert len(_warnings(get(client_en, PAGE).text)) == 1
    # "Continue" again without choosing: the page asks for the choice, file kept.
    again = post(client_en, PAGE, {"action": "continue", "doc_type": ""})
    assert again.status_code == 400
    assert "Choose whether to keep the photo" in again.text
    assert len(_warnings(again.text)) == 1
    assert len(switch.stored_names(app)) == 1


def test_keep_it_anyway_keeps_it_and_the_sent_request_has_it(app, client_en, uploads):
    upload(client_en, "proposal", _dark_kk(), name="kk-gelap.jpg", doc_type="kk")
    kept = post(client_en, PAGE, {"action": "keep", "index": "0"})
    assert kept.headers["Location"] == PAGE
    page = get(client_en, PAGE).text
    assert _warnings(page) == []
    assert "Kept, although it may be hard to read" in page
    assert post(client_en, PAGE, {"action": "continue"}).status_code == 302
    check = get(client_en, "/submit/proposal/check")
    assert "kk-gelap.jpg" in check.text
    send(client_en, "proposal", check)
    with app.app_context():
        rows = db.session.scalars(select(Evidence)).all()
        names = switch.stored_names(app)
        assert [(r.doc_type, r.stored_name in names) for r in rows] == [("kk", True)]
        assert rows[0].quality_kept == "dark"  # for the office's page


def test_remove_it_and_choose_another_removes_it(app, client_en, uploads):
    upload(client_en, "proposal", _dark_kk(), doc_type="kk")
    removed = post(client_en, PAGE, {"action": "remove", "index": "0"})
    assert removed.headers["Location"] == PAGE
    page = get(client_en, PAGE).text
    assert _warnings(page) == [] and "Files added" not in page
    assert switch.stored_names(app) == set()
    assert post(client_en, PAGE, {"action": "continue"}).status_code == 302


def test_keep_refers_only_to_a_flagged_file(app, client_en, uploads):
    upload(client_en, "proposal", photos.jpeg(_page_doc()), doc_type="kk")
    assert post(client_en, PAGE, {"action": "keep", "index": "0"}).status_code == 302
    assert post(client_en, PAGE, {"action": "keep", "index": "7"}).status_code == 302
    assert "Kept, although" not in get(client_en, PAGE).text


def test_the_type_chosen_is_kept_with_the_warning(client_en, uploads):
    upload(client_en, "proposal", _dark_kk(), doc_type="village_letter")
    assert '<option selected value="village_letter">' in get(client_en, PAGE).text


def test_the_warning_is_in_indonesian_by_default(client, uploads):
    """The page's language: msgids are English, Indonesian comes from the
    catalogue (``translations/NEW-quality.po`` until merged); the structure
    is the same either way."""
    answer_up_to_check(client, "proposal", "other_household", files=0)
    upload(client, "proposal", _dark_kk(), doc_type="kk")
    page = get(client, PAGE).text
    assert len(_warnings(page)) == 1
    assert '<html lang="id"' in page


# --- the resident's reply (the same check on the text-and-files page) ----------------


def test_a_reply_with_a_dark_photo_asks_before_sending_and_sends_it_once_kept(
    app, client, waiting, monkeypatch
):
    monkeypatch.setitem(app.config, "EVIDENCE_QUALITY_CHECK", True)
    at(monkeypatch, wib(2026, 3, 26))
    grant(app, client, waiting)
    client.get("/?lang=en")
    path = f"/track/{waiting}/reply"
    key = page_key(client.get(path))
    text = "KK baru, fotonya gelap."
    # "Send" with a dark photo chosen: nothing sent, the text and file kept.
    first = post_page(client, path, "send", key=key, text=text, file=(_dark_kk(), "kk.jpg", "kk"))
    assert first.status_code == 400
    assert "Choose whether to keep the photo" in first.text
    assert "This photo may be hard to read: it is too dark." in first.text
    assert text in first.text and 'value="keep-0"' in first.text
    assert evidence_count(app, waiting) == 0
    # "Keep it anyway", then send: the request has the file.
    kept = post_page(client, path, "keep-0", key=key, text=text)
    assert kept.status_code == 303
    page = client.get(path)
    assert "Kept, although it may be hard to read" in page.text and text in page.text
    assert post_page(client, path, "send", key=key, text=text).status_code == 303
    assert evidence_count(app, waiting) == 1


def test_a_reply_photo_removed_is_not_sent(app, client, waiting, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_QUALITY_CHECK", True)
    at(monkeypatch, wib(2026, 3, 26))
    grant(app, client, waiting)
    path = f"/track/{waiting}/reply"
    key = page_key(client.get(path))
    post_page(client, path, "upload", key=key, text="x", file=(_dark_kk(), "kk.jpg", "kk"))
    assert 'value="keep-0"' in client.get(path).text
    post_page(client, path, "remove-0", key=key, text="Tanpa foto.")
    assert post_page(client, path, "send", key=key, text="Tanpa foto.").status_code == 303
    assert evidence_count(app, waiting) == 0
