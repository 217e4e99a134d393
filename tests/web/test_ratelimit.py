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
from tests.live_server import free_port
from tests.web.conftest import post_lookup

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
    """This process's limiter on Redis (restored afterwards); yields the client."""
    storage = RedisStorage(REDIS_URL, key_prefix=f"t{secrets.token_hex(4)}")
    monkeypatch.setattr(limiter, "_storage", storage)
    monkeypatch.setattr(limiter, "_limiter", SlidingWindowCounterRateLimiter(storage))
    yield storage.get_connection()
    storage.reset()


def _scripts_run(client) -> int:
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("eval", "evalsha"))


def test_a_lookup_takes_two_redis_round_trips_for_its_four_limits(
    app, client, redis_limits, monkeypatch
):
    """The address, its captcha quota (read), the NIK and the quota (spent):
    two scripts, one before the form is read and one after."""
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_LOOKUPS", 2)
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "3 per hour")
    post_lookup(client, nik("32.01.01", 15, 3, 90, 1), "Budi")  # registers the script with Redis
    before = _scripts_run(redis_limits)
    assert post_lookup(client, nik("32.01.01", 15, 3, 90, 2), "Budi").status_code == 200
    assert _scripts_run(redis_limits) - before == 2
    # and the counts are right: both free lookups spent, the third address hit refused
    ip_limit, quota = parse("3 per hour"), parse("2 per 10 minutes")
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    assert (
        limiter.limiter.get_window_stats(
            ip_limit, prefix, "ip:lookup.lookup", "198.51.100.7"
        ).remaining
        == 1
    )
    assert not limiter.limiter.test(quota, prefix, "captcha-free", "198.51.100.7")
    post_lookup(client, nik("32.01.01", 15, 3, 90, 3), "Budi")
    assert post_lookup(client, nik("32.01.01", 15, 3, 90, 4), "Budi").status_code == 429


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
@pytest.mark.parametrize(("lang", "text"), [("id", "Terlalu banyak"), ("en", "Too many")])
def test_429_page_is_translated_and_says_when_to_retry(app, client, monkeypatch, lang, text):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "1 per hour")
    client.get(f"/?lang={lang}")
    post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 1), "A")
    r = post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 2), "A")
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 3600
    assert text.encode() in r.data
