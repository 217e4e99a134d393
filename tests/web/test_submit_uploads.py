"""Evidence on the question pages (SECURITY.md UP1, UP2, AU3) and double
submits (RE1)."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.tickets.models import Draft, Evidence, Ticket
from tests.web.journeys import (
    IDEMPOTENCY,
    PIN,
    answer_up_to_check,
    get,
    jpeg,
    post,
    send,
    upload,
)

HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    return root


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _at_evidence(client):
    answer_up_to_check(client, "proposal", "other_household", files=0)


def test_html_renamed_jpg_is_refused_and_typed_answers_are_kept(app, client, uploads):
    _at_evidence(client)
    page = upload(client, "proposal", HTML, name="ktp.jpg", doc_type="village_letter")
    assert page.status_code == 400
    assert "File harus berupa foto (JPG, PNG, atau WebP) atau PDF" in page.text
    assert 'href="#file"' in page.text
    assert '<option selected value="village_letter">' in page.text
    assert stored_files(uploads) == []
    check = get(client, "/submit/proposal/check")
    assert "Siti Aminah" in check.text and "Suami sakit sejak Januari." in check.text


def test_missing_file_is_a_field_error(client, uploads):
    _at_evidence(client)
    page = post(
        client,
        "/submit/proposal/evidence",
        {"action": "upload", "doc_type": "kk"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400 and 'href="#file"' in page.text


def test_oversized_request_gets_the_friendly_413_page_and_nothing_is_stored(
    app, client, uploads, monkeypatch
):
    """UP1, and issue 9 §3.2: the evidence page itself says so, with the limit."""
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_REQUEST_BYTES", app.config["MAX_CONTENT_LENGTH"])
    _at_evidence(client)
    big = b"\xff\xd8\xff" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    page = upload(client, "proposal", big)
    assert page.status_code == 413
    assert "File lebih besar dari 8 MB" in page.text
    assert 'type="file"' in page.text  # the same evidence page, not a dead end
    assert stored_files(uploads) == []
    assert count(app, Ticket) == 0 and count(app, Evidence) == 0


def test_the_file_limit_holds(app, client, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILES_PER_TICKET", 1)
    _at_evidence(client)
    assert upload(client, "proposal", jpeg()).status_code == 302
    page = get(client, "/submit/proposal/evidence")
    assert 'type="file"' not in page.text
    refused = upload(client, "proposal", jpeg())
    assert refused.status_code == 400 and "paling banyak 1 file" in refused.text
    assert len(stored_files(uploads)) == 1


def test_a_file_can_be_removed(app, client, uploads):
    _at_evidence(client)
    upload(client, "proposal", jpeg())
    assert len(stored_files(uploads)) == 1
    post(client, "/submit/proposal/evidence", {"action": "remove", "index": "0"})
    assert stored_files(uploads) == []


def test_upload_without_csrf_token_is_refused(client, uploads):
    _at_evidence(client)
    response = client.post(
        "/submit/proposal/evidence",
        data={"action": "upload", "doc_type": "kk", "file": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_files(uploads) == []


def test_the_draft_id_is_never_in_a_url(app, client, uploads):
    answer_up_to_check(client, "proposal", "other_household")
    with app.app_context():
        draft_id = db.session.scalar(select(Draft.id))
    assert draft_id and not any(draft_id in url for url in client.seen_urls)


def test_two_threads_sending_the_same_form_make_one_ticket(app, client, uploads):
    check = answer_up_to_check(client, "proposal", "other_household")
    key = IDEMPOTENCY.search(check.text).group(1)
    from tests.web.conftest import csrf_token

    token = csrf_token(client, "/track")
    cookie = client.get_cookie("session")
    results, barrier = [], threading.Barrier(2)

    def send_once():
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        barrier.wait()
        response = other.post(
            "/submit/proposal/check", data={"csrf_token": token, "idempotency_key": key}
        )
        results.append((other, response))

    threads = [threading.Thread(target=send_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Both clicks land on the same confirmation: the loser finds the ticket by
    # its idempotency key and this session's confirmation of it.
    assert [r.status_code for _, r in results] == [303, 303]
    pins = {PIN.search(other.get("/submit/sent").text).group(1) for other, _ in results}
    assert len(pins) == 1
    assert count(app, Ticket) == 1
    assert count(app, Evidence) == 1


def test_a_repeat_send_after_success_is_the_same_ticket(app, client, uploads):
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    first, key = send(client, "proposal", check)
    second = post(client, "/submit/proposal/check", {"idempotency_key": key})
    assert PIN.search(first.text) and not PIN.search(second.text)
    assert count(app, Ticket) == 1


def test_a_forged_document_type_is_refused(client, uploads):
    _at_evidence(client)
    page = upload(client, "proposal", jpeg(), doc_type="../../etc")
    assert page.status_code == 400
    assert 'href="#doc_type"' in page.text and "Pilih apa isi file ini" in page.text
    assert stored_files(uploads) == []
