"""Set-up and page walks for the assisted submission tests (``/office/assist``).

A registry with one household in the operator's village (``HOME``, BOGOR_A)
and one in the next village of the same regency (``AWAY``, BOGOR_B); an
operator of BOGOR_A logged in; helpers that answer the journey's pages the
way a browser with JavaScript off would.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.registry.importer import import_snapshot
from portal.tickets.models import Ticket
from tests.factories import household, write_csv
from tests.staff.conftest import Account, Clock, log_in, make_staff, token
from tests.staff.test_permissions import BOGOR_A, BOGOR_B
from tests.web.conftest import clean_limits  # noqa: F401 - autouse where imported
from tests.web.journeys import jpeg

IDEMPOTENCY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
PIN = re.compile(r'<p class="pin">(\d{6})</p>')
REFERENCE = re.compile(r'<p class="panel-reference">(DT-[0-9A-Z]{4}-[0-9A-Z]{4})</p>')
TRACKING = re.compile(r'href="(?:http://localhost)?(/t/[A-Za-z0-9_-]{22})"')

HOME = household("3201011503100001", 1)
AWAY = household("3201011503100002", 2, village_code=BOGOR_B)
#: The head of each household: NIK and the name on the KTP.
HOME_NIK, HOME_NAME = HOME[0]["nik"], HOME[0]["full_name"]
AWAY_NIK, AWAY_NAME = AWAY[0]["nik"], AWAY[0]["full_name"]


@dataclass
class Desk:
    """An operator at the village office's computer."""

    app: object
    clock: Clock
    operator: Account
    client: object

    def csrf(self) -> str:
        return token(self.client, "/office/assist")

    def post(self, path: str, data: dict | None = None, **kw):
        return self.client.post(path, data={"csrf_token": self.csrf(), **(data or {})}, **kw)


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch) -> Clock:
    from portal.web.office import auth, login

    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


@pytest.fixture(name="desk")
def desk_fixture(app, db_clean, tmp_path, monkeypatch, clock) -> Desk:
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", HOME + AWAY), None)
    return logged_in(app, clock, make_staff(app, "operator", village=BOGOR_A))


def logged_in(app, clock: Clock, account: Account) -> Desk:
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    return Desk(app, clock, account, client)


def start(desk: Desk, kind: str, nik: str = "", name: str = ""):
    return desk.post("/office/assist", {"kind": kind, "nik": nik, "name": name})


def answer(
    desk: Desk,
    kind: str,
    subkind: str,
    *,
    subject: bool = True,
    reasons=("no_income",),
    details: str = "Suami sakit sejak Januari.",
    contact: str = "0813 1111 2222",
    consent: dict | None = None,
    consent_photo: bool = False,
):
    """Every question after the start page; returns the check page."""
    base = f"/office/assist/{kind}"
    r = desk.post(base, {"subkind": subkind})
    assert r.status_code == 302, r.text
    if subject:
        r = desk.post(
            f"{base}/subject",
            {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5, RT 001/RW 002"},
        )
        assert r.status_code == 302, r.text
    r = desk.post(f"{base}/reasons", {"reason_codes": list(reasons), "details": details})
    assert r.status_code == 302, r.text
    r = desk.post(
        f"{base}/evidence",
        {"action": "upload", "doc_type": "house_front", "file": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.text
    assert desk.post(f"{base}/evidence", {"action": "continue"}).status_code == 302
    assert desk.post(f"{base}/contact", {"contact": contact}).status_code == 302
    data = consent or {
        "consent": "y",
        "consent_method": "signed_form",
        "consent_by": "Budi Santoso",
    }
    if consent_photo:
        data = {**data, "file": (io.BytesIO(jpeg((60, 80))), "formulir.jpg")}
    r = desk.post(f"{base}/consent", data, content_type="multipart/form-data")
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == f"{base}/check"
    page = desk.client.get(f"{base}/check")
    assert page.status_code == 200, page.text
    return page


def send(desk: Desk, kind: str, check_page):
    """Press Send; returns (the POST's answer, the confirmation page or None)."""
    key = IDEMPOTENCY.search(check_page.text).group(1)
    response = desk.post(f"/office/assist/{kind}/check", {"idempotency_key": key})
    if response.status_code != 303:
        return response, None
    assert response.headers["Location"] == "/office/assist/sent"
    return response, desk.client.get("/office/assist/sent?lang=en")


def ticket_by_reference(app, reference: str) -> Ticket:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        db.session.expunge(ticket)
        return ticket


def audit_rows(app, staff_id: int) -> list[tuple]:
    """The rows ``staff_id`` wrote since logging in: (kind, ticket id, detail)."""
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.kind, AuditEntry.ticket_id, AuditEntry.detail)
                .where(AuditEntry.staff_id == staff_id, AuditEntry.kind != "login")
                .order_by(AuditEntry.id)
            ).all()
        )
