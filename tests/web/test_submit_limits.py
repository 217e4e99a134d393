"""Submission budgets per address (issue 9 §2): sends and uploads are
counted, question pages are not; past the free sends the captcha comes
first; every limit says what happened and how long to wait."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal import ratelimit
from portal.extensions import db
from portal.tickets.models import Draft, Ticket
from tests.fake_siteverify import siteverify_fixture  # noqa: F401 - the `siteverify` fixture
from tests.web.journeys import (
    IDEMPOTENCY,
    answer_up_to_check,
    get,
    jpeg,
    post,
    send,
    upload,
)


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    return root


def tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def _minutes(response) -> str:
    """The wait the page must name: Retry-After rounded up to minutes (under
    an hour here, as every budget in these tests is per hour)."""
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 3600
    return f"{-(-seconds // 60)} menit"


def _journey_and_send(client, kind="proposal"):
    check = answer_up_to_check(client, kind, "other_household")
    return send(client, kind, check)[0]


def test_a_village_office_can_send_many_requests_from_one_address(app, uploads):
    """One address, one resident after another: 12 whole journeys are about
    130 POSTs, twice what blocked the old per-address budget mid-journey."""
    for _ in range(12):
        client = app.test_client()  # the next resident at the office's computer
        confirmation = _journey_and_send(client)
        assert confirmation.status_code == 200, confirmation.text
    assert tickets(app) == 12


def test_question_pages_are_not_counted_only_sends_are(app, client, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "SUBMIT_LIMIT_PER_IP", "1 per hour")
    # Answering (and changing answers) many times costs nothing: 70 question
    # POSTs, more than the old budget of 60 for every POST.
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    for _ in range(30):
        reasons = {"reason_codes": ["no_income"], "details": "Suami sakit."}
        assert post(client, "/submit/proposal/reasons", reasons).status_code == 302
        assert post(client, "/submit/proposal/contact", {"contact": ""}).status_code == 302
    check = get(client, "/submit/proposal/check")
    assert _send_check(client, check).status_code == 303

    other = app.test_client()
    check = answer_up_to_check(other, "proposal", "other_household", files=0)
    key = IDEMPOTENCY.search(check.text).group(1)
    refused = post(other, "/submit/proposal/check", {"idempotency_key": key})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Permohonan Anda belum terkirim" in refused.text
    assert _minutes(refused) in refused.text  # the wait, in words
    assert refused.headers["Cache-Control"] == "no-store"
    assert tickets(app) == 1
    # Nothing was lost: the answers wait on the check page.
    again = get(other, "/submit/proposal/check")
    assert again.status_code == 200 and "Siti Aminah" in again.text


@pytest.fixture
def free_sends(app, monkeypatch, siteverify):
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_SENDS", 2)
    return siteverify


def test_past_the_free_sends_the_captcha_comes_first_and_lets_the_send_through(
    app, client, uploads, free_sends
):
    for _ in range(2):
        check = answer_up_to_check(client, "proposal", "other_household", files=0)
        assert "h-captcha" not in check.text
        assert _send_check(client, check).status_code == 303
    assert free_sends.requests == []

    # The third: the widget is on the page before Send is pressed.
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    assert 'class="h-captcha"' in check.text
    assert "hcaptcha.com" in check.headers["Content-Security-Policy"]
    # Sent without solving it: asked again, nothing sent, answers kept.
    asked = _send_check(client, check)
    assert asked.status_code == 400
    assert "pemeriksaan keamanan" in asked.text and 'class="h-captcha"' in asked.text
    assert tickets(app) == 2
    # Solved: sent.
    passed = _send_check(client, check, **{"h-captcha-response": "tok-1"})
    assert passed.status_code == 303
    assert tickets(app) == 3
    assert [r.form["response"] for r in free_sends.requests] == ["tok-1"]


def test_a_failed_captcha_sends_nothing(app, client, uploads, free_sends, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_SENDS", 0)
    free_sends.mode = "error"
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    refused = _send_check(client, check, **{"h-captcha-response": "tok-bad"})
    assert refused.status_code == 400 and tickets(app) == 0


def _send_check(client, check_page, **extra):
    key = IDEMPOTENCY.search(check_page.text).group(1)
    return post(client, "/submit/proposal/check", {"idempotency_key": key, **extra})


@pytest.fixture(params=["memory", "redis"])
def storage(request, monkeypatch):
    """The limiter on its test storage (memory), or on Redis as in production."""
    if request.param == "redis":
        import secrets

        from limits.storage import RedisStorage
        from limits.strategies import SlidingWindowCounterRateLimiter

        from portal.ratelimit import limiter
        from tests.conftest import REDIS_URL

        request.getfixturevalue("needs_redis")
        redis = RedisStorage(REDIS_URL, key_prefix=f"t{secrets.token_hex(4)}")
        monkeypatch.setattr(limiter, "_storage", redis)
        monkeypatch.setattr(limiter, "_limiter", SlidingWindowCounterRateLimiter(redis))
        yield request.param
        redis.reset()
    else:
        yield request.param


def test_free_sends_are_spent_atomically(app, monkeypatch, storage):
    """Eight sends in flight together: exactly the free ones pass without a
    captcha (check and spend are one storage step)."""
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_SENDS", 3)
    results, barrier = [], threading.Barrier(8)

    def spend():
        with app.test_request_context():
            barrier.wait()
            results.append(ratelimit.spend_free_send("203.0.113.9"))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True] * 3


# --- uploads per address --------------------------------------------------------------


def _at_evidence(client):
    answer_up_to_check(client, "proposal", "other_household", files=0)


def test_uploads_past_the_address_budget_are_refused_with_the_wait(
    app, client, uploads, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_LIMIT_PER_IP", "1 per hour")
    _at_evidence(client)
    assert upload(client, "proposal", jpeg()).status_code == 302
    refused = upload(client, "proposal", jpeg())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "file ini tidak ditambahkan" in refused.text and _minutes(refused) in refused.text
    assert len([p for p in uploads.iterdir() if p.is_file()]) == 1
    # The journey goes on without the file.
    assert post(client, "/submit/proposal/evidence", {"action": "continue"}).status_code == 302


def test_the_page_ceiling_is_not_the_send_budget(app):
    """The question pages' ceiling is an anti-flood guard, far above the sends."""
    from limits import parse

    pages = parse(app.config["SUBMIT_PAGE_LIMIT_PER_IP"])
    sends = parse(app.config["SUBMIT_LIMIT_PER_IP"])
    per_hour = {"hour": 1, "minute": 60, "second": 3600, "day": 1 / 24}
    # A journey is about ten pages: the ceiling leaves room for every send.
    assert (
        pages.amount * per_hour[pages.GRANULARITY.name]
        >= 10 * sends.amount * per_hour[sends.GRANULARITY.name]
    )


def test_drafts_are_unchanged_by_a_refused_send(app, client, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "SUBMIT_LIMIT_PER_IP", "1 per hour")
    _journey_and_send(app.test_client())
    check = answer_up_to_check(client, "proposal", "other_household", files=1)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Draft))
    assert _send_check(client, check).status_code == 429
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == before == 1


def test_the_page_ceiling_says_how_long_to_wait_and_keeps_the_answers(
    app, client, uploads, monkeypatch
):
    monkeypatch.setitem(app.config, "SUBMIT_PAGE_LIMIT_PER_IP", "3 per hour")
    post(client, "/submit/proposal", {"subkind": "other_household"})
    subject = {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5"}
    for _ in range(3):  # the ceiling is counted per route: three answers fit
        assert post(client, "/submit/proposal/subject", subject).status_code == 302
    refused = post(client, "/submit/proposal/subject", subject)
    assert refused.status_code == 429
    assert "Jawaban Anda sebelumnya tetap tersimpan" in refused.text
    assert _minutes(refused) in refused.text
    assert refused.headers["Cache-Control"] == "no-store"
    assert "Siti Aminah" in get(client, "/submit/proposal/subject").text
