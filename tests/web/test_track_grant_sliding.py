"""The grant of an opened request slides (each page renews it for
``TRACK_GRANT_MINUTES``, 60 here), and a reply or appeal sent after it ended
keeps its text for when the request is opened again with the PIN.

Only ``track_access``'s clock is moved (a stand-in for its ``time`` module),
so the session cookie's own signature time stays real.
"""

from __future__ import annotations

import time
import types

from portal.web.public import track_access
from tests.web.conftest import csrf_token
from tests.web.test_track_appeal import rejected  # noqa: F401 - fixture
from tests.web.track_reply_helpers import (  # noqa: F401 - fixtures
    at,
    events_of,
    grant,
    page_key,
    ticket_of,
    uploads_fixture,
    waiting_fixture,
    wib,
)

LONG = "Jawaban panjang yang saya ketik selama lebih dari satu jam."
MINUTE = 60
KEPT_ID = "Tulisan Anda sudah disimpan. Isi PIN Anda untuk membuka permohonan"
KEPT_EN = "Your text was kept. Enter your PIN to open your request and send it."


def _clock(monkeypatch) -> list[float]:
    """``track_access``'s clock; set ``clock[0]`` to move it."""
    clock = [time.time()]
    monkeypatch.setattr(track_access, "time", types.SimpleNamespace(time=lambda: clock[0]))
    return clock


def _reopen(app, client, reference: str, now: float) -> None:
    """As the PIN does at ``now`` (``track_access.grant``)."""
    with app.app_context(), client.session_transaction() as session:
        tracked = dict(session.get(track_access.SESSION_KEY) or {})
        tracked[str(ticket_of(reference).id)] = int(now) + 60 * MINUTE
        session[track_access.SESSION_KEY] = tracked


def _send(client, path: str, key: str, text: str, token: str):
    data = {"csrf_token": token, "action": "send", "key": key, "text": text}
    return client.post(path, data=data, content_type="multipart/form-data")


def test_each_page_renews_the_grant(app, client, waiting, monkeypatch):
    at(monkeypatch, wib(2026, 3, 17))
    clock = _clock(monkeypatch)
    grant(app, client, waiting)  # until start + 60 minutes
    start = clock[0]
    clock[0] = start + 50 * MINUTE
    assert client.get(f"/track/{waiting}").status_code == 200  # renewed to start + 110
    clock[0] = start + 100 * MINUTE
    assert client.get(f"/track/{waiting}/reply").status_code == 200  # renewed to start + 160
    clock[0] = start + 159 * MINUTE
    assert client.get(f"/track/{waiting}").status_code == 200
    clock[0] = start + 220 * MINUTE  # 61 minutes without a request
    assert client.get(f"/track/{waiting}").status_code == 302


def _expired_send_keeps_the_text(app, client, reference: str, kind: str, monkeypatch) -> None:
    clock = _clock(monkeypatch)
    grant(app, client, reference)
    path = f"/track/{reference}/{kind}"
    key = page_key(client.get(path))
    token = csrf_token(client, path)  # the grant now ends 60 minutes from here
    clock[0] += 61 * MINUTE
    sent = _send(client, path, key, LONG, token)
    assert sent.status_code == 302
    assert sent.headers["Location"].startswith("/track?reference=")
    track_page = client.get(sent.headers["Location"])
    assert KEPT_ID in track_page.text  # Indonesian first
    assert client.get(sent.headers["Location"]).text.count(KEPT_ID) == 0  # said once
    clock[0] += MINUTE
    _reopen(app, client, reference, clock[0])  # opened again with the PIN
    again = client.get(path)
    assert LONG in again.text
    assert page_key(again) == key  # the same send: a second press is not a second move


def test_a_reply_sent_after_the_grant_ended_keeps_its_text(app, client, waiting, monkeypatch):
    at(monkeypatch, wib(2026, 3, 17))
    _expired_send_keeps_the_text(app, client, waiting, "reply", monkeypatch)
    assert events_of(app, waiting, "info_received") == []


def test_an_appeal_sent_after_the_grant_ended_keeps_its_text(
    app,
    client,
    rejected,  # noqa: F811
    monkeypatch,
):
    at(monkeypatch, wib(2026, 3, 17))
    _expired_send_keeps_the_text(app, client, rejected, "appeal", monkeypatch)
    assert events_of(app, rejected, "appealed") == []


def test_a_session_that_never_opened_the_request_keeps_nothing(app, client, waiting, monkeypatch):
    at(monkeypatch, wib(2026, 3, 17))
    path = f"/track/{waiting}/reply"
    sent = _send(client, path, "a-key-of-nobody", LONG, csrf_token(client, "/track"))
    assert sent.status_code == 302
    with client.session_transaction() as session:
        assert "text_drafts" not in session


def test_the_kept_notice_in_english(app, client, waiting, monkeypatch):
    at(monkeypatch, wib(2026, 3, 17))
    clock = _clock(monkeypatch)
    grant(app, client, waiting)
    path = f"/track/{waiting}/reply"
    key = page_key(client.get(path))
    token = csrf_token(client, path)
    clock[0] += 61 * MINUTE
    sent = _send(client, path, key, LONG, token)
    assert KEPT_EN in client.get(sent.headers["Location"] + "&lang=en").text


def test_no_kept_notice_without_text_kept(app, client, waiting, monkeypatch):
    """An empty text after the grant ended, or a session that never opened
    the request: the /track page says nothing was kept."""
    at(monkeypatch, wib(2026, 3, 17))
    path = f"/track/{waiting}/reply"
    stranger = _send(client, path, "a-key-of-nobody", LONG, csrf_token(client, "/track"))
    assert KEPT_ID not in client.get(stranger.headers["Location"]).text
    clock = _clock(monkeypatch)
    grant(app, client, waiting)
    key = page_key(client.get(path))
    token = csrf_token(client, path)
    clock[0] += 61 * MINUTE
    empty = _send(client, path, key, "  ", token)
    assert empty.headers["Location"].startswith("/track?reference=")
    assert KEPT_ID not in client.get(empty.headers["Location"]).text
