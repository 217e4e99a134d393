"""Helpers of the staff administration tests: a logged-in manager, the
forms of /office/admin and the invitation pages, and the audit rows."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.regions.models import Office
from portal.staff import totp
from portal.staff.models import StaffUser
from tests.staff.conftest import CSRF, log_in, make_staff

LINK = re.compile(r'id="invitation-link"[^>]*value="[^"]*/office/invite/([A-Za-z0-9_-]+)"')
SECRET = re.compile(r'class="invite-secret">([A-Z2-7 ]+)<')
CODES = re.compile(r"<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})</code></li>")
PASSWORD = "kopi tubruk di teras rumah nenek"


def manager(app, clock, role="admin", office="national", **place):
    """(client, account) of a logged-in admin or supervisor."""
    account = make_staff(app, role, office=office, **place)
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    return client, account


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*?value="([^"]*)"', page)
    return found.group(1) if found else ""


def csrf(page: str) -> str:
    return CSRF.search(page).group(1)


def office_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Office.id).where(Office.code == code))


def create(client, **data):
    """Post the new-account form (CSRF and key from its page); the answer."""
    page = client.get("/office/admin/new").text
    form = {"csrf_token": csrf(page), "key": field(page, "key")}
    form.update(data)
    return client.post("/office/admin/new", data=form)


def link_token(answer) -> str:
    return LINK.search(answer.text).group(1)


def account(app, email: str) -> StaffUser:
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        db.session.expunge(user)
        return user


def act(client, staff_id: int, action: str, *, seen: str | None = None):
    """One button of the account's page, with the page's fingerprint."""
    page = client.get(f"/office/admin/{staff_id}")
    text = page.text if page.status_code == 200 else ""
    token = csrf(text if "csrf_token" in text else client.get("/office/admin/new").text)
    data = {"csrf_token": token, "seen": seen if seen is not None else field(text, "seen")}
    return client.post(f"/office/admin/{staff_id}/{action}", data=data)


def enrol(client, token: str, clock, password: str = PASSWORD):
    """The three invitation steps; (secret, recovery codes, last answer)."""
    page = client.get(f"/office/invite/{token}")
    assert page.status_code == 200, page.status_code
    answer = client.post(
        f"/office/invite/{token}",
        data={"csrf_token": csrf(page.text), "password": password, "confirm": password},
    )
    assert answer.status_code == 303, answer.text
    page = client.get(f"/office/invite/{token}/app")
    secret = SECRET.search(page.text).group(1).replace(" ", "")
    code = totp.current_code(secret, clock.now)
    done = client.post(
        f"/office/invite/{token}/app", data={"csrf_token": csrf(page.text), "code": code}
    )
    return secret, CODES.findall(done.text), done


def audit(app, target_id: int) -> list[tuple]:
    """(kind, staff_id, detail) of the rows about ``target_id``, oldest first."""
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.kind, AuditEntry.staff_id, AuditEntry.detail)
                .where(AuditEntry.target_staff_id == target_id)
                .order_by(AuditEntry.id)
            ).all()
        )
