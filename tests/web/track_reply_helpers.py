"""Set-up shared by the reply and appeal tests: a request the office asked a
question about (or decided), a browser that opened it, and the page's posts.

Times are fixed (``track_reply.now`` patched): the request is sent and
triaged on Monday 16 March 2026, 10:00 WIB (``tests.tickets.NOW``), the
question asked the same day at 11:00 WIB.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import workflow
from portal.tickets.models import P_EVENT_NOTE, Evidence, Ticket, TicketEvent
from portal.web.public import track_access, track_reply
from tests.tickets import NOW, submit
from tests.web.conftest import csrf_token

HANDLER = workflow.Actor.staff(1, "handler")
ASKED_AT = dt.datetime(2026, 3, 16, 4, 0, tzinfo=dt.UTC)  # Monday 16 March, 11:00 WIB
QUESTION = "Mohon kirim foto Kartu Keluarga yang terbaru."
KEY = re.compile(r'name="key" type="hidden" value="([^"]+)"')


def wib(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    """A moment given in WIB (UTC+7), as an aware UTC datetime."""
    return dt.datetime(year, month, day, hour - 7, 0, tzinfo=dt.UTC)


@pytest.fixture(name="uploads")
def uploads_fixture(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture(name="waiting")
def waiting_fixture(app, keyring, uploads, db_clean) -> str:
    """A request in needs_info since Monday 16 March 2026: its reference."""
    with app.app_context():
        result = submit(keyring, now=NOW)
        ticket = db.session.get(Ticket, result.ticket_id)
        with transaction():
            workflow.transition(ticket, workflow.IN_REVIEW, HANDLER, now=NOW, keyring=keyring)
        with transaction():
            workflow.transition(
                ticket, workflow.NEEDS_INFO, HANDLER, QUESTION, now=ASKED_AT, keyring=keyring
            )
        return result.reference


def at(monkeypatch, moment: dt.datetime) -> None:
    """The resident's pages run at ``moment``."""
    monkeypatch.setattr(track_reply, "now", lambda: moment)


def grant(app, client, reference: str) -> None:
    """This browser opened the request (as ``/track`` with the PIN does)."""
    with app.app_context():
        ticket_id = ticket_of(reference).id
    with client.session_transaction() as session:
        tracked = dict(session.get(track_access.SESSION_KEY) or {})
        tracked[str(ticket_id)] = int(time.time()) + 3600
        session[track_access.SESSION_KEY] = tracked


def ticket_of(reference: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def page_key(page) -> str:
    match = KEY.search(page.text)
    assert match, "no idempotency key on the page"
    return match.group(1)


def post_page(client, path: str, action: str, *, key: str, text: str = "", file=None, **extra):
    """Press ``action`` on the page at ``path``; ``file`` is (bytes, name, doc type)."""
    data = {"csrf_token": csrf_token(client, path), "action": action, "key": key, "text": text}
    if file is not None:
        content, name, doc_type = file
        data.update(file=(io.BytesIO(content), name), doc_type=doc_type)
    data.update(extra)
    return client.post(path, data=data, content_type="multipart/form-data")


def events_of(app, reference: str, kind: str) -> list[TicketEvent]:
    with app.app_context():
        ticket = ticket_of(reference)
        return list(
            db.session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
                .order_by(TicketEvent.id)
            )
        )


def note_of(keyring, event: TicketEvent) -> str | None:
    return keyring.decrypt(event.note_enc, P_EVENT_NOTE) if event.note_enc else None


def evidence_count(app, reference: str) -> int:
    with app.app_context():
        ticket = ticket_of(reference)
        return db.session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.ticket_id == ticket.id)
        )
