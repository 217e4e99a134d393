"""Staff actions write audit rows (SECURITY.md LG3): logins, failures and
locks, logouts, account changes, evidence downloads. Rows hold ids and
codes only: no NIK, name or email."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.audit.audit_fixtures import verify_cli
from tests.staff.conftest import clean_limits, clock, log_in, make_staff, token  # noqa: F401
from tests.staff.test_evidence_view import files  # noqa: F401
from tests.staff.test_lockout import at, cheap_argon2, fail, password  # noqa: F401

pytestmark = pytest.mark.usefixtures("db_clean")


def audit(app, since: int = 0) -> list[tuple]:
    """(kind, staff_id, target_staff_id, detail) of the rows after id ``since``."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEntry.kind, AuditEntry.staff_id, AuditEntry.target_staff_id, AuditEntry.detail
            )
            .where(AuditEntry.id > since)
            .order_by(AuditEntry.id)
        ).all()
    return [tuple(r) for r in rows]


def last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def test_creating_an_account_is_audited(app):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    assert audit(app) == [
        ("account_changed", None, handler.id, "created:handler"),
        ("account_changed", None, handler.id, "totp_enrolled"),
    ]


def test_login_and_logout_are_audited(app, client, clock):  # noqa: F811
    handler = make_staff(app, "handler", office="dinsos-32.01")
    before = last_id(app)
    assert log_in(client, handler, clock).status_code == 303
    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    assert audit(app, before) == [
        ("login", handler.id, None, None),
        ("logout", handler.id, None, None),
    ]
    with app.app_context():
        first = db.session.scalar(select(AuditEntry).where(AuditEntry.id > before).limit(1))
        assert first.at.replace(tzinfo=None) == clock.now.replace(tzinfo=None)


def test_a_wrong_password_and_a_wrong_code_are_audited(app, client, clock):  # noqa: F811
    handler = make_staff(app, "handler", office="dinsos-32.01")
    before = last_id(app)
    password(client, handler.email, "salah sekali")
    assert log_in(client, handler, clock, code="000000").status_code == 400
    assert audit(app, before) == [
        ("login_failed", handler.id, None, "password"),
        ("login_failed", handler.id, None, "code"),
    ]


def test_a_failure_for_an_unknown_email_has_no_staff_id(app):
    fail(at(app, "203.0.113.5"), "nobody@dinsos.example.go.id")
    assert audit(app) == [("login_failed", None, None, "password")]


def test_a_lockout_and_the_attempts_it_refuses_are_audited(app, clock):  # noqa: F811
    handler = make_staff(app, "handler", office="dinsos-32.01")
    before = last_id(app)
    stranger = at(app, "203.0.113.7")
    assert fail(stranger, handler.email, 5).status_code == 429
    password(stranger, handler.email, handler.password)  # the right one, while locked
    failed = [("login_failed", handler.id, None, "password")]
    assert audit(app, before) == failed * 5 + [
        ("locked", handler.id, None, "address"),
        ("login_failed", handler.id, None, "password:locked"),
    ]


def test_unlocking_an_account_is_audited(app):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    before = last_id(app)
    result = app.test_cli_runner().invoke(args=["staff", "unlock", handler.email])
    assert result.exit_code == 0, result.output
    assert audit(app, before) == [("account_changed", None, handler.id, "unlocked")]


def test_opening_an_evidence_file_is_audited(app, client, clock, files):  # noqa: F811
    handler = make_staff(app, "handler", office="dinsos-32.01")
    log_in(client, handler, clock)
    evidence_id, _ = files["bogor"]
    jakarta_id, _ = files["jakarta"]
    before = last_id(app)
    assert client.get(f"/office/evidence/{evidence_id}").status_code == 200
    assert client.get(f"/office/evidence/{jakarta_id}").status_code == 404  # not audited
    with app.app_context():
        from portal.tickets.models import Evidence, Ticket

        row = db.session.get(Evidence, evidence_id)
        office_id = db.session.get(Ticket, row.ticket_id).office_id
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
        assert [(e.kind, e.staff_id, e.ticket_id, e.evidence_id, e.office_id) for e in entries] == [
            ("evidence_opened", handler.id, row.ticket_id, evidence_id, office_id)
        ]


def test_no_nik_name_or_email_in_any_audit_row(app, client, clock, files):  # noqa: F811
    handler = make_staff(app, "handler", office="dinsos-32.01")
    fail(at(app, "203.0.113.9"), handler.email, 6)
    fail(at(app, "203.0.113.9"), "orang.lain@example.org")
    log_in(client, handler, clock)
    client.get(f"/office/evidence/{files['bogor'][0]}")
    client.post("/office/logout", data={"csrf_token": token(client, "/office/")})
    with app.app_context():
        from portal.staff.models import StaffUser

        user = db.session.get(StaffUser, handler.id)
        name = user.display_name
        t = AuditEntry.__table__
        # Every column but the two hashes (random bytes, any character).
        rows = db.session.execute(select(*(c for c in t.c if not c.name.endswith("hash")))).all()
    assert len(rows) >= 12
    text = " ".join(" ".join(str(v) for v in row) for row in rows).lower()
    assert "@" not in text and "dinsos.example" not in text and "orang" not in text
    assert name.lower() not in text
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", text)
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
