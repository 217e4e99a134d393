"""The evidence page as a resident meets it (issue 9 §3.1, §3.2, §3.10) and
its storage quotas (SECURITY.md UP9), with JavaScript off."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image

from tests.storage import switch
from tests.web.journeys import answer_up_to_check, get, jpeg, post, upload

MIB = 1024 * 1024


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    """The app, its evidence in the test's folder or on S3 (tests.storage.switch)."""
    switch.point_app(app, tmp_path / "uploads", monkeypatch)
    return app


def stored(app) -> list[str]:
    return sorted(switch.stored_names(app))


def _at_evidence(client):
    answer_up_to_check(client, "proposal", "other_household", files=0)


def noise_png(side: int) -> bytes:
    """Random pixels do not compress: about 3 bytes a pixel, before and after cleaning."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


# --- §3.1: "Continue" with a file chosen ------------------------------------------------


def test_continue_with_a_file_chosen_uploads_it(client, uploads):
    _at_evidence(client)
    page = get(client, "/submit/proposal/evidence")
    # One form holds the file and both buttons (JavaScript off: what is sent
    # is that form).
    form = re.search(r'<form method="post" enctype="multipart.*?</form>', page.text, re.S)
    assert 'type="file"' in form[0] and 'value="continue"' in form[0]
    response = upload(client, "proposal", jpeg(), doc_type="kk", action="continue")
    assert response.status_code == 302
    assert response.headers["Location"] != "/submit/proposal/evidence"  # on to the next page
    assert len(stored(uploads)) == 1
    check = get(client, "/submit/proposal/check").text
    assert "photo.jpg · Kartu Keluarga (KK)" in check  # the name too, not only the type


def test_continue_with_a_refused_file_says_it_was_not_added(client, uploads):
    _at_evidence(client)
    page = upload(client, "proposal", b"<html>", name="a.jpg", action="continue")
    assert page.status_code == 400
    assert "File Anda belum ditambahkan" in page.text
    assert stored(uploads) == []


def test_continue_with_a_file_but_no_type_says_it_was_not_added(client, uploads):
    _at_evidence(client)
    page = upload(client, "proposal", jpeg(), doc_type="", action="continue")
    assert page.status_code == 400
    assert "File Anda belum ditambahkan" in page.text and 'href="#doc_type"' in page.text
    assert stored(uploads) == []


def test_continue_without_a_file_goes_on(client, uploads):
    _at_evidence(client)
    response = post(client, "/submit/proposal/evidence", {"action": "continue", "doc_type": ""})
    assert response.status_code == 302


# --- §3.2: a file over the limit -----------------------------------------------------------


def test_a_file_over_the_limit_is_refused_on_the_same_page_with_everything_kept(
    app, client, uploads
):
    _at_evidence(client)
    assert upload(client, "proposal", jpeg(), name="ktp-ibu.jpg", doc_type="kk").status_code == 302
    big = b"\xff\xd8\xff" + bytes(app.config["MAX_FILE_BYTES"] + 300 * 1024)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]  # once a dead-end 413
    page = upload(client, "proposal", big, doc_type="house_inside")
    assert page.status_code == 413
    assert "File lebih besar dari 8 MB" in page.text
    assert 'href="#file"' in page.text  # in the error summary, linked to the field
    assert '<option selected value="house_inside">' in page.text
    assert "ktp-ibu.jpg" in page.text  # the file already uploaded
    assert len(stored(uploads)) == 1
    assert "Siti Aminah" in get(client, "/submit/proposal/check").text


def test_a_body_over_even_the_evidence_limit_gets_the_evidence_page(
    app, client, uploads, monkeypatch
):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_REQUEST_BYTES", MIB)
    _at_evidence(client)
    upload(client, "proposal", jpeg(), doc_type="kk")
    page = upload(client, "proposal", b"\xff\xd8\xff" + bytes(2 * MIB))
    assert page.status_code == 413
    assert "File lebih besar dari 8 MB" in page.text and 'type="file"' in page.text
    assert '<option selected value="kk">' in page.text  # the last type chosen
    assert len(stored(uploads)) == 1


def test_without_a_journey_the_evidence_page_keeps_the_general_body_limit(app, client, uploads):
    """The larger body is read only for a session with a journey of that
    kind under way; for anyone else a body over ``MAX_CONTENT_LENGTH`` is a
    413 before a byte of it is parsed (the general page, not the form)."""
    big = b"\xff\xd8\xff" + bytes(app.config["MAX_FILE_BYTES"] + 300 * 1024)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    page = upload(client, "proposal", big)
    assert page.status_code == 413
    assert 'type="file"' not in page.text
    assert stored(uploads) == []


def test_an_oversized_file_counts_against_the_upload_budget(app, client, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_LIMIT_PER_IP", "1 per hour")
    _at_evidence(client)
    big = b"\xff\xd8\xff" + bytes(app.config["MAX_FILE_BYTES"] + 1)
    assert upload(client, "proposal", big).status_code == 413  # read, refused, counted
    refused = upload(client, "proposal", jpeg())
    assert refused.status_code == 429
    assert stored(uploads) == []


def test_other_pages_keep_the_general_body_limit(app, client, uploads):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert post(client, "/submit/proposal/reasons", {"details": big}).status_code == 413


# --- §3.10: the type is chosen, the list says what was uploaded ------------------------


def test_no_type_is_preselected_and_the_last_choice_is_kept(client, uploads):
    _at_evidence(client)
    page = get(client, "/submit/proposal/evidence")
    assert '<option selected value="">' in page.text  # "Choose what is in the file"
    assert page.text.count("<option selected") == 1
    refused = upload(client, "proposal", jpeg(), doc_type="")
    assert refused.status_code == 400 and 'href="#doc_type"' in refused.text
    assert stored(uploads) == []
    assert upload(client, "proposal", jpeg(), doc_type="house_front").status_code == 302
    assert '<option selected value="house_front">' in get(client, "/submit/proposal/evidence").text


def test_the_list_shows_name_size_and_a_preview(app, client, uploads):
    _at_evidence(client)
    photo = noise_png(200)  # 200 × 200 × 3 bytes, about 117 KB either way
    name = "<img src=x onerror=alert(1)>\u202egpj.png"
    upload(client, "proposal", photo, name=name, doc_type="kk")
    page = get(client, "/submit/proposal/evidence")
    size = len(switch.read(app, stored(uploads)[0]))
    assert 100 * 1024 < size < 130 * 1024
    assert f"{-(-size // 1024)} KB" in page.text
    # Escaped, the bidi override gone.
    assert "&lt;img src=x onerror=alert(1)&gt;gpj.png" in page.text
    assert "<img src=x" not in page.text and "\u202e" not in page.text
    assert "Kartu Keluarga (KK)" in page.text
    src = re.search(r'<img class="evidence-thumb" src="([^"]+)"', page.text)[1]
    assert src == "/submit/proposal/evidence/0/preview"
    preview = client.get(src)
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert preview.headers["Cache-Control"] == "no-store"
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert max(Image.open(io.BytesIO(preview.data)).size) <= 96
    # Another session (another resident) cannot see it.
    assert app.test_client().get(src).status_code == 404
    assert client.get("/submit/proposal/evidence/1/preview").status_code == 404


def test_a_pdf_is_listed_without_a_preview(client, uploads):
    from tests.tickets.evidence_files import pdf

    _at_evidence(client)
    assert upload(client, "proposal", pdf(), name="surat.pdf").status_code == 302
    page = get(client, "/submit/proposal/evidence")
    assert "surat.pdf" in page.text and "evidence-thumb-pdf" in page.text
    assert client.get("/submit/proposal/evidence/0/preview").status_code == 404


def test_the_consent_page_names_everyone_who_sees_the_files(client, uploads):
    _at_evidence(client)
    post(client, "/submit/proposal/evidence", {"action": "continue"})
    post(client, "/submit/proposal/contact", {"contact": ""})
    page = get(client, "/submit/proposal/consent")
    # portal/staff/permissions.py: the village's operator sees a resident's files.
    assert "operator kantor desa/kelurahan" in page.text
    assert "Hanya petugas yang menangani permohonan" not in page.text


# --- UP9: storage quotas ------------------------------------------------------------------


def test_a_draft_cannot_hold_more_than_its_quota(app, client, uploads, monkeypatch):
    photo = noise_png(450)  # about 600 KB: one fits in 1 MiB, two do not
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES_PER_DRAFT", MIB)
    _at_evidence(client)
    assert upload(client, "proposal", photo, name="a.png").status_code == 302
    refused = upload(client, "proposal", photo, name="b.png")
    assert refused.status_code == 400
    assert "Semua file untuk satu permohonan paling besar 1 MB" in refused.text
    assert len(stored(uploads)) == 1


def test_an_address_cannot_store_more_than_its_daily_quota(app, uploads, monkeypatch):
    """Abandoned drafts, each in a new session: the address's bytes are counted."""
    monkeypatch.setitem(app.config, "UPLOAD_MB_PER_IP_PER_DAY", 1)
    photo = noise_png(350)  # about 360 KB: two fit in 1 MiB, three do not
    results = []
    for _ in range(3):
        client = app.test_client()
        _at_evidence(client)
        results.append(upload(client, "proposal", photo, name="rumah.png"))
    assert [r.status_code for r in results] == [302, 302, 429]
    refused = results[-1]
    assert "Hari ini sudah banyak file dikirim dari jaringan Anda" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert len(stored(uploads)) == 2
