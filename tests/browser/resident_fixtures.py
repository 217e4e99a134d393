"""Set-up for the resident's side in Chromium (tests/browser/test_resident_loop_browser.py):
one live server per module, a request made through the service now (the
server's clock is the real one), the office's moves made through
``office_moves.make`` as a handler would, a 360×740 phone page with or
without JavaScript, and the page checks (axe on phone and office PC, no
sideways scroll, 44 px tap targets: ``test_phone_layout.Walk``)."""

from __future__ import annotations

import datetime as dt
import io
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets import office_moves
from portal.tickets.models import Evidence, Ticket, TicketEvent
from portal.tickets.workflow import Actor
from tests.browser.test_office_browser import OFFICE, handler_with_totp
from tests.browser.test_phone_layout import PHONE, Walk
from tests.live_server import Server
from tests.tickets import answers, submit

CONTACT = "warga@example.org"
QUESTION = "Mohon kirim foto Kartu Keluarga yang terbaru."
EXPLANATION = "Hasil pemeriksaan dokumen sesuai dengan usulan Anda."


@pytest.fixture(scope="module")
def server(app):
    """One ``flask run`` for the module: the session's instance folder and database."""
    live = Server({})
    yield live
    live.stop()


@pytest.fixture
def handler(app, db_clean):
    """A handler of ``OFFICE`` (the office of ``tests.factories.VILLAGE``)."""
    return handler_with_totp(app, OFFICE)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_request(app):
    """A proposal in ``VILLAGE`` sent now, with an email contact: the
    ``SubmittedTicket`` (reference, PIN and tracking token in clear)."""
    with app.app_context():
        return submit(app.extensions["keyring"], answers(reporter_contact=CONTACT), now=utcnow())


def office_moves_on(app, reference: str, handler, *moves) -> None:
    """The office's moves, one transaction each, as the office pages make them:
    ``moves`` are names (``"triage"``) or ``(name, MoveInput)`` pairs."""
    actor = Actor.staff(handler.id, "handler")
    with app.app_context():
        for move in moves:
            name, given = (move, office_moves.MoveInput()) if isinstance(move, str) else move
            with transaction():
                ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
                office_moves.make(ticket, name, actor, given, now=utcnow())


def ask(app, reference: str, handler) -> None:
    """The office asks ``QUESTION`` (the ticket is in review)."""
    office_moves_on(app, reference, handler, ("ask", office_moves.MoveInput(note=QUESTION)))


def decide(app, reference: str, handler, outcome: str = "accept") -> None:
    reasons = ["meets_criteria"] if outcome == "accept" else ["documents_missing"]
    given = office_moves.MoveInput(note=EXPLANATION, reasons=reasons)
    office_moves_on(app, reference, handler, "triage", "verify", (outcome, given))


def ticket_row(app, reference: str) -> Ticket:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        db.session.expunge(ticket)
        return ticket


def events_of(app, reference: str, kind: str) -> list[TicketEvent]:
    with app.app_context():
        ticket_id = select(Ticket.id).where(Ticket.reference == reference).scalar_subquery()
        rows = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def evidence_count(app, reference: str) -> int:
    with app.app_context():
        ticket_id = select(Ticket.id).where(Ticket.reference == reference).scalar_subquery()
        return db.session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.ticket_id == ticket_id)
        )


def phone(browser, javascript: bool):
    """A fresh browser (no cookies) on a 360×740 phone: (context, page)."""
    context = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=javascript)
    return context, context.new_page()


def check(page, name: str) -> None:
    """The page as shown now: axe-clean on the phone and the office PC, no
    sideways scroll, tap targets at least 44 px tall."""
    walk = Walk(page, "resident")
    walk.check(name)
    assert walk.problems == [], "\n".join(walk.problems)


def go(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state()


def press(page, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state()


def open_with_pin(page, base_url: str, reference: str, pin: str) -> None:
    """``/track``: the ticket number and PIN, then Show status."""
    go(page, base_url + "/track")
    page.fill("#reference", reference)
    page.fill("#pin", pin)
    press(page, "main form[action$='/track'] button[type=submit]")
    assert page.url == f"{base_url}/track/{reference}", main_text(page)


def jpeg(name: str = "kk-baru.jpg") -> dict:
    """A small photo, as Playwright's ``set_input_files`` takes it."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(out, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": out.getvalue()}


def main_text(page) -> str:
    return " ".join(page.inner_text("main").split())


def post_twice_at_once(url: str, cookies: list[dict], fields: dict) -> list[tuple[int, str]]:
    """The same form sent twice at the same moment with the browser's cookies
    (two taps that both get through, two tabs): each one's (status, final URL)."""
    body = urllib.parse.urlencode(fields).encode()
    headers = {
        "Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    start = threading.Barrier(2)

    def send(_) -> tuple[int, str]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.url
        except urllib.error.HTTPError as refused:
            return refused.code, refused.url

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(send, range(2)))
