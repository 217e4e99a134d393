"""The operator's pass-on page keeps what was typed when a file is too large
(as the resident's own reply page does): a photo over the file limit (8 MB)
but inside the page's body limit is refused on the page with the text kept
(413); a body over even that shows the page again from its draft (413).
An operator of another village gets the general 413 page, nothing of the ticket."""

from __future__ import annotations

import io

from tests.office.test_operator_reply import (  # noqa: F401 - fixtures
    asked_fixture,
    clock_fixture,
    logged_in,
)
from tests.staff.conftest import token
from tests.staff.test_permissions import BOGOR_A, BOGOR_B
from tests.web.track_reply_helpers import KEY, events_of, uploads_fixture  # noqa: F401

TYPED = "Ibu Siti menjawab: KK baru dibuat Februari, fotonya terlampir."
MB = 1024 * 1024


def _press(client, path: str, action: str, text: str, size: int):
    key = KEY.search(client.get(path).text).group(1)
    data = {
        "csrf_token": token(client, "/office/"),
        "action": action,
        "key": key,
        "text": text,
        "doc_type": "kk",
        "file": (io.BytesIO(b"\xff\xd8\xff" + b"0" * size), "kk.jpg"),
    }
    return client.post(path, data=data, content_type="multipart/form-data")


def test_a_9mb_photo_is_refused_on_the_page_with_the_text_kept(app, clock, asked):
    client, _ = logged_in(app, clock, "operator", village=BOGOR_A)
    path = f"/office/tickets/{asked}/reply"
    sent = _press(client, path, "upload", TYPED, 9 * MB)
    assert sent.status_code == 413
    assert TYPED in sent.text
    assert "8 MB" in sent.text  # the limit, stated on the page
    assert TYPED in client.get(path).text
    assert events_of(app, asked, "info_received") == []


def test_a_body_over_the_page_limit_shows_the_page_from_its_draft(app, clock, asked, monkeypatch):
    client, _ = logged_in(app, clock, "operator", village=BOGOR_A)
    path = f"/office/tickets/{asked}/reply"
    data = {"csrf_token": token(client, "/office/"), "action": "upload", "text": TYPED}
    data["key"] = KEY.search(client.get(path).text).group(1)
    assert client.post(path, data=data, content_type="multipart/form-data").status_code == 303
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_REQUEST_BYTES", 10 * MB)
    refused = _press(client, path, "send", "typed later, never read", 11 * MB)
    assert refused.status_code == 413
    assert TYPED in refused.text  # the draft's text
    assert "8 MB" in refused.text
    assert events_of(app, asked, "info_received") == []


def test_another_villages_operator_gets_the_general_page(app, clock, asked, monkeypatch):
    client, _ = logged_in(app, clock, "operator", village=BOGOR_B)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_REQUEST_BYTES", 4 * MB)
    path = f"/office/tickets/{asked}/reply"
    data = {"csrf_token": token(client, "/office/"), "action": "upload", "key": "k"}
    data["file"] = (io.BytesIO(b"0" * 9 * MB), "kk.jpg")
    refused = client.post(path, data=data, content_type="multipart/form-data")
    assert refused.status_code == 413
    assert asked not in refused.text
