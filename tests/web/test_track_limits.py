"""PIN guesses on ``/track`` must not lock the owner out (SECURITY.md AU5,
LK6): per reference and address first, the captcha past the reference's
budget, a lock for everyone only far later. Budgets come from the issue's
table: 5 tries per address per 30 minutes, 10 per reference, 100 in a row."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Ticket
from tests.fake_siteverify import siteverify_fixture  # noqa: F401 - the `siteverify` fixture
from tests.web.conftest import CSRF
from tests.web.journeys import PIN, REFERENCE, TRACKING, answer_up_to_check, post, send
from tests.web.test_track import track

STRANGER, OWNER = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def sent(app, client, tmp_path, monkeypatch, db_clean):
    """A proposal sent through the pages: (reference, PIN, tracking path)."""
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    page, _ = send(
        client, "proposal", answer_up_to_check(client, "proposal", "other_household", files=0)
    )
    return tuple(
        pattern.search(page.text).group(n)
        for pattern, n in ((REFERENCE, 0), (PIN, 1), (TRACKING, 1))
    )


def at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def wrong_pin(pin: str) -> str:
    return f"{(int(pin) + 1) % 1_000_000:06d}"


def test_a_strangers_wrong_pins_leave_the_owner_a_way_in(app, sent):
    reference, pin, _ = sent
    stranger = at(app, STRANGER)
    for _ in range(5):
        assert track(stranger, reference, wrong_pin(pin)).status_code == 400
    refused = track(stranger, reference, pin)  # even the right PIN, from there
    assert refused.status_code == 429
    # until this address's 30-minute window rolls over, and the page says so in minutes
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 1800
    assert "dari jaringan Anda" in refused.text
    assert f"coba lagi dalam {-(-wait // 60)} menit" in refused.text
    assert "tautan pemantauan" in refused.text  # the way in that needs no PIN
    # The owner, elsewhere, opens it at once.
    opened = track(at(app, OWNER), reference, pin, follow_redirects=True)
    assert opened.status_code == 200 and reference in opened.text


def test_past_the_references_budget_the_owner_is_asked_for_the_captcha(app, sent, siteverify):
    reference, pin, _ = sent
    for address in ("203.0.113.7", "203.0.113.8"):  # 10 tries: the reference's budget
        stranger = at(app, address)
        for _ in range(5):
            track(stranger, reference, wrong_pin(pin))
    owner = at(app, OWNER)
    asked = track(owner, reference, pin)
    assert asked.status_code == 400
    assert 'class="h-captcha"' in asked.text and "pemeriksaan keamanan" in asked.text
    assert "hcaptcha.com" in asked.headers["Content-Security-Policy"]
    assert f'value="{pin}"' in asked.text  # kept: solve the check and press again
    assert siteverify.requests == []
    with app.app_context():  # no PIN was checked without the captcha
        assert (
            db.session.scalar(select(Ticket.pin_failures).where(Ticket.reference == reference))
            == 10
        )
    opened = post(
        owner,
        "/track",
        {"reference": reference, "pin": pin, "h-captcha-response": "tok-owner"},
        follow_redirects=True,
    )
    assert opened.status_code == 200 and reference in opened.text
    assert len(siteverify.requests) == 1


def test_a_failed_captcha_checks_no_pin(app, sent, siteverify):
    reference, pin, _ = sent
    for address in ("203.0.113.7", "203.0.113.8"):
        for _ in range(5):
            track(at(app, address), reference, wrong_pin(pin))
    siteverify.mode = "error"
    owner = at(app, OWNER)
    refused = post(owner, "/track", {"reference": reference, "pin": pin, "h-captcha-response": "x"})
    assert refused.status_code == 400 and 'class="h-captcha"' in refused.text
    assert reference not in refused.text.split("<form", 1)[0]  # no status shown


def test_known_and_unknown_references_answer_alike_at_every_step(app, db_clean, siteverify):
    """Captcha included: a stranger cannot tell which references exist."""
    client = at(app, OWNER)
    confirmation, _ = send(
        client, "proposal", answer_up_to_check(client, "proposal", "other_household", files=0)
    )
    known = re.search(r"DT-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.text).group(0)
    unknown = "DT-2222-3333" if known != "DT-2222-3333" else "DT-4444-5555"
    seen = set()
    for n in range(3):  # 18 tries each: per-address locks, then the captcha
        stranger = at(app, f"203.0.113.{n}")
        for _ in range(6):
            a = track(stranger, known, "000000")
            b = track(stranger, unknown, "000000")
            assert (a.status_code, a.headers.get("Retry-After")) == (
                b.status_code,
                b.headers.get("Retry-After"),
            )
            same = CSRF.sub(b"", a.data.replace(known.encode(), b"REF"))
            assert same == CSRF.sub(b"", b.data.replace(unknown.encode(), b"REF"))
            seen.add("captcha" if 'class="h-captcha"' in a.text else a.status_code)
    assert seen == {400, 429, "captcha"}  # wrong PIN, address locked, captcha asked


def test_far_later_the_reference_locks_for_everyone(app, sent, monkeypatch):
    """The last line: ``PIN_MAX_ATTEMPTS`` wrong PINs in a row (made small here)."""
    reference, pin, path = sent
    monkeypatch.setitem(app.config, "PIN_MAX_ATTEMPTS", 7)
    for n in range(2):
        for _ in range(5 if n == 0 else 2):
            track(at(app, f"203.0.113.{n}"), reference, wrong_pin(pin))
    locked = track(at(app, OWNER), reference, pin)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 24 * 3600
    assert "dikunci" in locked.text and "24 jam" in locked.text
    # the tracking link on the receipt still opens it
    assert at(app, OWNER).get(path).status_code == 200


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
