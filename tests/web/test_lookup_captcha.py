"""The lookup asks for hCaptcha once an address spends its free quota
(SECURITY.md HC1 at the page level): a failed check stores nothing and
spends no NIK budget."""

from __future__ import annotations

import pytest

from tests.factories import VILLAGE, nik
from tests.fake_siteverify import siteverify_fixture  # noqa: F401 - the `siteverify` fixture
from tests.web.conftest import post_lookup

IP = "198.51.100.50"


@pytest.fixture
def quota(app, monkeypatch, siteverify):
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_LOOKUPS", 2)
    return siteverify


def _lookup(client, serial: int, **extra):
    return post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, serial), "Budi", ip=IP, **extra)


def test_free_lookups_need_no_captcha_then_the_widget_appears(client, quota):
    assert b"h-captcha" not in client.get("/lookup", environ_base={"REMOTE_ADDR": IP}).data
    assert _lookup(client, 1).status_code == 200
    assert _lookup(client, 2).status_code == 200
    page = client.get("/lookup", environ_base={"REMOTE_ADDR": IP})
    assert b'class="h-captcha"' in page.data
    assert b"js.hcaptcha.com" in page.data
    assert "hcaptcha.com" in page.headers["Content-Security-Policy"]
    # Other pages never load hCaptcha.
    assert "hcaptcha" not in client.get("/").headers["Content-Security-Policy"]
    assert quota.requests == []


@pytest.mark.parametrize("mode", ["error", "500", "notjson", "string-true", "wrong-host"])
def test_a_failed_check_is_a_form_error_and_spends_nothing(app, client, quota, mode):
    _lookup(client, 1), _lookup(client, 2)
    quota.mode = mode
    r = _lookup(client, 3, **{"h-captcha-response": "tok-abc"})
    assert r.status_code == 400
    assert b"pemeriksaan keamanan" in r.data.lower()
    assert len(quota.requests) == 1
    sent = quota.requests[0].form
    assert sent["response"] == "tok-abc" and sent["remoteip"] == IP
    assert "secret" in sent and "sitekey" in sent


def test_missing_token_is_refused_without_calling_hcaptcha(client, quota):
    _lookup(client, 1), _lookup(client, 2)
    r = _lookup(client, 3)
    assert r.status_code == 400
    assert quota.requests == []


def test_a_passed_check_lets_the_lookup_through(client, quota):
    _lookup(client, 1), _lookup(client, 2)
    r = _lookup(client, 3, **{"h-captcha-response": "tok-abc"})
    assert r.status_code == 200
    assert "Dukcapil" in r.data.decode()  # the not-found page


def test_zero_free_lookups_means_always(app, client, quota, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_LOOKUPS", 0)
    assert b'class="h-captcha"' in client.get("/lookup").data
    assert _lookup(client, 1).status_code == 400
