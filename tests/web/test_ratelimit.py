"""SECURITY.md RL1–RL4: shared storage, client address, fail closed, 429 page.

RL1–RL3 run real server processes (``flask run``) so nothing is shared
through this process's memory: the only shared state is what the servers
themselves share (Redis).
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from portal.ratelimit import limiter
from tests.conftest import REDIS_URL
from tests.factories import VILLAGE, nik
from tests.fake_siteverify import siteverify_fixture  # noqa: F401 - the `siteverify` fixture
from tests.live_server import free_port
from tests.web.conftest import csrf_token, post_lookup

ROOT = Path(__file__).resolve().parents[2]


# -- RL1 ----------------------------------------------------------------------
def test_redis_url_selects_redis_storage(app, monkeypatch):
    from limits.storage import MemoryStorage

    with app.app_context():
        assert isinstance(limiter.storage, MemoryStorage)  # one process in tests
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_two_servers_share_one_budget_through_redis(servers, needs_redis):
    env = {
        "REDIS_URL": REDIS_URL,
        "PORTAL_RATELIMIT_PREFIX": f"t{secrets.token_hex(4)}",
        "PORTAL_LOOKUP_LIMIT_PER_IP": "4 per hour",
    }
    a, b = servers(**env), servers(**env)
    codes = [(a if i % 2 == 0 else b).post_lookup().status for i in range(6)]
    assert codes[:4] == [400, 400, 400, 400]  # counted on both servers together
    assert codes[4:] == [429, 429]


# -- RL2 ----------------------------------------------------------------------
@pytest.fixture
def redis_limits(monkeypatch, needs_redis):
    """This process's limiter on Redis (restored afterwards); yields a list
    that records every command the limiter sends."""
    storage = RedisStorage(REDIS_URL, key_prefix=f"t{secrets.token_hex(4)}")
    monkeypatch.setattr(limiter, "_storage", storage)
    monkeypatch.setattr(limiter, "_limiter", SlidingWindowCounterRateLimiter(storage))
    client, sent = storage.get_connection(), []
    execute = client.execute_command

    def recording(*args, **options):
        sent.append(args[0])
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", recording)
    yield sent
    storage.reset()


def test_a_lookup_takes_one_redis_round_trip_for_its_four_limits(
    app, client, redis_limits, siteverify, monkeypatch
):
    """The address, then the NIK's budget, its ceiling and the captcha quota,
    spent all or none, in one script: one command (issue 14)."""
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_LOOKUPS", 2)
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "4 per hour")
    ip = "198.51.100.7"
    token = csrf_token(client)
    # from another address: a Redis that has never seen the script loads it now
    post_lookup(client, nik("32.01.01", 15, 3, 90, 9), "Budi", ip="198.51.100.99")
    for serial in (1, 2):
        redis_limits.clear()
        form = {"csrf_token": token, "nik": nik("32.01.01", 15, 3, 90, serial), "name": "Budi"}
        page = client.post("/lookup", data=form, environ_base={"REMOTE_ADDR": ip})
        assert page.status_code == 303  # still within the free quota: the result
        assert page.headers["Location"] == "/lookup/result"
        assert redis_limits == ["EVALSHA"], redis_limits
    # both free lookups are spent: the next POST shows the captcha, and the
    # address has one hit of four left
    form["nik"] = nik("32.01.01", 15, 3, 90, 3)
    page = client.post("/lookup", data=form, environ_base={"REMOTE_ADDR": ip})
    assert page.status_code == 400 and b"h-captcha" in page.data
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    stats = limiter.limiter.get_window_stats(parse("4 per hour"), prefix, "ip:lookup.lookup", ip)
    assert stats.remaining == 1
    assert post_lookup(client, nik("32.01.01", 15, 3, 90, 4), "Budi", ip=ip).status_code == 400
    assert post_lookup(client, nik("32.01.01", 15, 3, 90, 5), "Budi", ip=ip).status_code == 429


@pytest.mark.parametrize("form", ["no CSRF token", "invalid NIK", "valid"])
def test_every_lookup_post_counts_against_the_address_once(
    app, client, redis_limits, monkeypatch, form
):
    """The lookup counts its address in the view (with the NIK's limits);
    a POST that never gets that far (no CSRF token, an invalid form) is
    counted too, once, and refused once the budget is spent."""
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "3 per hour")
    data = {"csrf_token": csrf_token(client), "name": "Budi"}
    if form == "no CSRF token":
        del data["csrf_token"]
    codes = []
    for serial in range(1, 6):
        data["nik"] = "12" if form == "invalid NIK" else nik("32.01.01", 15, 3, 90, serial)
        codes.append(client.post("/lookup", data=data).status_code)
    allowed = 303 if form == "valid" else 400
    assert codes == [allowed] * 3 + [429] * 2
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    stats = limiter.limiter.get_window_stats(
        parse("3 per hour"), prefix, "ip:lookup.lookup", "127.0.0.1"
    )
    assert stats.remaining == 0


def test_forged_forwarded_for_does_not_reset_the_budget(servers):
    s = servers(PORTAL_PROXY_HOPS="1", PORTAL_LOOKUP_LIMIT_PER_IP="3 per hour")
    codes = []
    for i in range(5):
        # The client forges the left-most entry; our one proxy appends the real address.
        forged = f"10.9.{i}.{i + 1}, 198.51.100.20"
        codes.append(s.post_lookup({"X-Forwarded-For": forged}).status)
    assert codes == [400, 400, 400, 429, 429]
    # The address our proxy saw is what counts: another real client is served.
    assert s.post_lookup({"X-Forwarded-For": "198.51.100.21"}).status == 400


def test_without_trusted_proxies_forwarded_for_is_ignored(servers):
    s = servers(PORTAL_LOOKUP_LIMIT_PER_IP="2 per hour")
    codes = [s.post_lookup({"X-Forwarded-For": f"10.0.0.{i}"}).status for i in range(4)]
    assert codes == [400, 400, 429, 429]


# -- RL3 ----------------------------------------------------------------------
def test_dead_limiter_storage_fails_closed_with_503(servers):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    s = servers(REDIS_URL=dead)
    r = s.post_lookup()
    assert r.status == 503
    assert int(r.headers["Retry-After"]) > 0
    assert urllib.request.urlopen(s.url + "/healthz", timeout=5).status == 200


# -- RL4 ----------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "text"), [("id", "Mohon tunggu"), ("en", "Please wait")])
def test_429_page_is_translated_and_says_when_to_retry(app, client, monkeypatch, lang, text):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "1 per hour")
    client.get(f"/?lang={lang}")
    post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 1), "A")
    r = post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 2), "A")
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 3600
    assert text.encode() in r.data


@pytest.mark.parametrize(
    ("lang", "text"),
    [("id", "Silakan coba lagi dalam {} menit"), ("en", "Please try again in {} minutes")],
)
def test_the_generic_429_page_says_how_long_to_wait(app, client, monkeypatch, lang, text):
    """Any limit met through the generic page (here /track's per-address
    budget) names the wait in words, from the same Retry-After it sends,
    rounded up to whole minutes."""
    monkeypatch.setitem(app.config, "TRACK_LIMIT_PER_IP", "1 per hour")
    client.get(f"/?lang={lang}")
    form = {"reference": "DT-7KQ4-M9XW", "pin": "123456"}
    client.post("/track", data=form)
    r = client.post("/track", data=form)
    assert r.status_code == 429
    seconds = int(r.headers["Retry-After"])
    assert 60 < seconds <= 3600
    assert text.format(-(-seconds // 60)) in r.get_data(as_text=True)
