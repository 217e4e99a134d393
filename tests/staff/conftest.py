"""Staff accounts made for a test, and logging them in through the pages."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff import totp
from portal.staff.accounts import create_staff
from tests.web.conftest import clean_limits  # noqa: F401 - autouse here too

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_serial = itertools.count(1)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    secret: str


def make_staff(
    app,
    role: str,
    *,
    office: str | None = None,
    village: str | None = None,
    districts: tuple[str, ...] = (),
):
    email = f"{role}{next(_serial)}@dinsos.example.go.id"
    password = f"sawah hijau di kaki gunung nomor {next(_serial)}"
    secret = totp.new_secret()
    with app.app_context(), transaction():
        place = db.session.scalar(select(Office).where(Office.code == office)) if office else None
        user = create_staff(
            email=email,
            display_name=f"{role} {email}",
            role=role,
            password=password,
            office=place,
            village_code=village,
            districts=districts,
        )
        totp.enrol(user, secret, app.extensions["keyring"])
        return Account(user.id, email, password, secret)


class Clock:
    """The time the office pages see; starts now and only moves when told."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    from portal.web.office import auth, login

    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


def token(client, path: str = "/office/login") -> str:
    return CSRF.search(client.get(path, follow_redirects=True).text).group(1)


def log_in(client, account: Account, clock: Clock, *, code: str | None = None):
    """Both steps; returns the answer to the code step."""
    first = client.post(
        "/office/login",
        data={"csrf_token": token(client), "email": account.email, "password": account.password},
    )
    assert first.status_code == 303, first.text
    code = code or totp.current_code(account.secret, clock.now)
    return client.post(
        "/office/login/code",
        data={"csrf_token": token(client, "/office/login/code"), "code": code},
    )
