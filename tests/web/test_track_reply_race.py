"""Two sends of a reply or an appeal at once, from two browsers (each page
with its own key), and a key another event already holds: one move at most,
never a 500, and the loser's text is kept with the page's refusal (409).

The race is made certain by slowing the thumbnails, which every send makes
after reading the ticket and before its first write: both sends read the
ticket as it waits, then one commits and the other's write finds it changed.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import service
from portal.tickets.models import TicketEvent
from tests.tickets import submit
from tests.web.test_track_appeal import rejected  # noqa: F401 - fixture
from tests.web.track_reply_helpers import (  # noqa: F401 - fixtures
    at,
    events_of,
    grant,
    page_key,
    post_page,
    uploads_fixture,
    waiting_fixture,
    wib,
)

TEXTS = ("Jawaban dari tab pertama.", "Jawaban dari tab kedua.")


def _slow_thumbnails(monkeypatch) -> None:
    real = service.make_thumbnails

    def slow(files):
        time.sleep(0.6)
        return real(files)

    monkeypatch.setattr(service, "make_thumbnails", slow)


def _send_at_once(app, path: str, reference: str) -> tuple[list, list]:
    """Two browsers open ``path``, then press send together; their clients and answers."""
    clients, keys = [], []
    for _ in TEXTS:
        client = app.test_client()
        grant(app, client, reference)
        keys.append(page_key(client.get(path)))
        clients.append(client)
    answers: list = [None, None]

    def press(i: int) -> None:
        answers[i] = post_page(clients[i], path, "send", key=keys[i], text=TEXTS[i])

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients, answers


def _loser(answers) -> int:
    codes = sorted(a.status_code for a in answers)
    assert codes == [303, 409], codes
    return next(i for i, a in enumerate(answers) if a.status_code == 409)


def test_two_browsers_reply_at_once(app, waiting, monkeypatch):
    at(monkeypatch, wib(2026, 3, 17))
    _slow_thumbnails(monkeypatch)
    path = f"/track/{waiting}/reply"
    clients, answers = _send_at_once(app, path, waiting)
    assert len(events_of(app, waiting, "info_received")) == 1
    lost = _loser(answers)
    assert "Kantor tidak lagi menunggu balasan" in answers[lost].text
    assert TEXTS[lost] in answers[lost].text
    # The draft was saved: the page shows the text again later.
    assert TEXTS[lost] in clients[lost].get(path).text


def test_two_browsers_appeal_at_once(app, rejected, monkeypatch):  # noqa: F811
    at(monkeypatch, wib(2026, 3, 17))
    _slow_thumbnails(monkeypatch)
    path = f"/track/{rejected}/appeal"
    clients, answers = _send_at_once(app, path, rejected)
    assert len(events_of(app, rejected, "appealed")) == 1
    lost = _loser(answers)
    assert "Keputusan ini sudah diajukan banding" in answers[lost].text
    assert TEXTS[lost] in answers[lost].text
    assert TEXTS[lost] in clients[lost].get(path).text


def test_a_key_another_event_holds_is_refused_with_the_text_kept(
    app, client, keyring, waiting, monkeypatch
):
    at(monkeypatch, wib(2026, 3, 17))
    with app.app_context():
        other = submit(keyring)
        with transaction():
            event = db.session.scalar(
                select(TicketEvent).where(TicketEvent.ticket_id == other.ticket_id).limit(1)
            )
            event.idempotency_key = "held-by-another-request"
    grant(app, client, waiting)
    path = f"/track/{waiting}/reply"
    client.get(path)
    refused = post_page(client, path, "send", key="held-by-another-request", text=TEXTS[0])
    assert refused.status_code == 409
    assert TEXTS[0] in refused.text
    assert events_of(app, waiting, "info_received") == []
    # The page carries a fresh key: sending again goes through.
    fresh = page_key(refused)
    assert fresh != "held-by-another-request"
    sent = post_page(client, path, "send", key=fresh, text=TEXTS[0])
    assert sent.status_code == 303
    assert len(events_of(app, waiting, "info_received")) == 1
