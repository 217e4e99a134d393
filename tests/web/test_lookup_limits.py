"""The lookup's limits: no stranger locks an owner out (SECURITY.md LK6),
the captcha's free quota holds under concurrency (issue 9 §2), and every
limit page says in words what happened and how long to wait."""

from __future__ import annotations

import re
import secrets
import threading

import pytest
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from forms.lookup import LookupForm
from portal.ratelimit import limiter
from tests.conftest import REDIS_URL
from tests.factories import VILLAGE, nik
from tests.fake_siteverify import siteverify_fixture  # noqa: F401 - the `siteverify` fixture
from tests.web.conftest import csrf_token, post_lookup

TOKEN = {"h-captcha-response": "tok-abc"}


def _strangers(client, target: str, count: int) -> None:
    """``count`` wrong-name lookups of ``target``, each from a new address."""
    for i in range(count):
        r = post_lookup(client, target, "Someone Else", ip=f"203.0.113.{i + 1}")
        assert r.status_code == 200 and "Dukcapil" in r.text


# -- LK6 ------------------------------------------------------------------------------
def test_past_the_nik_budget_the_owner_gets_the_captcha_and_passes(client, registry, siteverify):
    head = registry["first"][0]
    _strangers(client, head["nik"], 10)
    asked = post_lookup(client, head["nik"], head["full_name"], ip="198.51.100.99")
    assert asked.status_code == 400
    assert 'class="h-captcha"' in asked.text
    assert "NIK ini sudah dicek berkali-kali hari ini" in asked.text
    assert re.search(r"bisa dicek lagi dalam sekitar \d+ (menit|jam)", asked.text)
    assert f'value="{head["full_name"]}"' in asked.text  # kept: solve and press again
    assert siteverify.requests == []  # no token sent, none checked
    passed = post_lookup(client, head["nik"], head["full_name"], ip="198.51.100.99", **TOKEN)
    assert passed.status_code == 200 and "B*** S******" in passed.text


def test_failed_captchas_spend_nothing_and_a_ceiling_bounds_solved_ones(
    app, client, registry, siteverify, monkeypatch
):
    monkeypatch.setitem(app.config, "LOOKUP_CEILING_PER_NIK", "13 per day")
    target = registry["first"][0]["nik"]
    _strangers(client, target, 10)
    siteverify.mode = "error"
    for _ in range(5):  # a stranger without answers cannot burn the ceiling
        assert post_lookup(client, target, "X", ip="198.51.100.9", **TOKEN).status_code == 400
    siteverify.mode = "ok"
    for _ in range(3):
        assert post_lookup(client, target, "X", ip="198.51.100.9", **TOKEN).status_code == 200
    refused = post_lookup(client, target, "X", ip="198.51.100.9", **TOKEN)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert "NIK ini sudah sangat sering dicek hari ini" in refused.text
    assert re.search(r"dalam sekitar \d+ (menit|jam)", refused.text)


# -- limit pages in words ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", r"koneksi internet Anda.*dalam sekitar (\d+) menit"),
        # "1 minute" in the last minute of a window (the limit is a sliding
        # window over clock hours): singular then.
        ("en", r"your internet connection.*in about (\d+) minutes?"),
    ],
)
def test_the_address_limit_page_says_what_happened_and_how_long(
    app, client, monkeypatch, lang, words
):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "1 per hour")
    client.get(f"/?lang={lang}")
    post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 1), "A")
    r = post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 2), "A")
    assert r.status_code == 429
    seconds = int(r.headers["Retry-After"])
    assert 0 < seconds <= 3600
    said = re.search(words, r.text, re.S)
    assert said and abs(int(said.group(1)) - seconds / 60) <= 1
    assert r.headers["Cache-Control"] == "no-store"


# -- §2: the free quota is checked and spent in one step --------------------------------
@pytest.fixture(params=["memory", "redis"])
def storage(request, monkeypatch):
    if request.param == "redis":
        request.getfixturevalue("needs_redis")
        redis = RedisStorage(REDIS_URL, key_prefix=f"t{secrets.token_hex(4)}")
        monkeypatch.setattr(limiter, "_storage", redis)
        monkeypatch.setattr(limiter, "_limiter", SlidingWindowCounterRateLimiter(redis))
        yield redis
        redis.reset()
    else:
        yield None


def test_parallel_lookups_get_exactly_the_free_quota(
    app, db_clean, siteverify, monkeypatch, storage
):
    """Eight lookups from one address in flight at once, each past the
    address hook before any reaches the view's limits (a barrier in the form's
    validation): exactly the three free ones pass without the captcha."""
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_LOOKUPS", 3)
    parallel = 8
    barrier = threading.Barrier(parallel, timeout=20)
    validate = LookupForm.validate

    def validate_together(self, *args, **kwargs):
        ok = validate(self, *args, **kwargs)
        barrier.wait()
        return ok

    clients = [app.test_client() for _ in range(parallel)]
    tokens = [csrf_token(c) for c in clients]
    monkeypatch.setattr(LookupForm, "validate", validate_together)
    statuses: list[int] = []

    def lookup(i: int) -> None:
        form = {"csrf_token": tokens[i], "nik": nik(VILLAGE[:8], 1, 1, 90, i + 1), "name": "A"}
        r = clients[i].post("/lookup", data=form, environ_base={"REMOTE_ADDR": "198.51.100.77"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=lookup, args=(i,)) for i in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [303] * 3 + [400] * 5
    assert siteverify.requests == []
