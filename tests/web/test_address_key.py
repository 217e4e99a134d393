"""Per-address limits key IPv6 by its /64 (one subscriber: a phone on an
Indonesian carrier gets a whole /64 and may rotate through it), IPv4 as is,
an IPv4-mapped IPv6 address as the IPv4. The captcha check still gets the
full address. Expected keys are worked out by hand."""

from __future__ import annotations

import pytest

from portal import ratelimit
from tests.fake_siteverify import siteverify_fixture  # noqa: F401 - the `siteverify` fixture
from tests.web.conftest import post_lookup
from tests.web.journeys import IDEMPOTENCY, answer_up_to_check, post
from tests.web.test_track import track
from tests.web.test_track_limits import at, sent, wrong_pin  # noqa: F401 - `sent` fixture

ONE = ("2001:db8:aa:1::1", "2001:db8:aa:1:ffff:1234:5678:9abc", "2001:db8:aa:1:0:0:0:77")
OTHER = "2001:db8:aa:2::1"  # the next /64


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:aa:1::1", "2001:db8:aa:1::/64"),
        ("2001:DB8:AA:1:FFFF:1234:5678:9ABC", "2001:db8:aa:1::/64"),
        ("2001:db8:aa:2::1", "2001:db8:aa:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
    ],
)
def test_the_address_key(address, key):
    assert ratelimit.address_key(address) == key


def test_the_post_budget_of_an_address_is_shared_by_its_64(app, registry, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "2 per hour")
    nik, name = "3201011503100001", "Siti Aminah"
    client = app.test_client()
    for ip in ONE[:2]:
        assert post_lookup(client, nik, name, ip, follow=False).status_code != 429
    assert post_lookup(client, nik, name, ONE[2], follow=False).status_code == 429
    assert post_lookup(client, nik, name, OTHER, follow=False).status_code != 429
    # IPv4 unchanged: each address its own budget; the mapped form is the same address
    for ip in ("198.51.100.7", "198.51.100.8", "::ffff:198.51.100.8"):
        assert post_lookup(client, nik, name, ip, follow=False).status_code != 429
    assert post_lookup(client, nik, name, "::ffff:198.51.100.8", follow=False).status_code == 429


def test_pin_tries_per_reference_and_address_are_shared_by_a_64(app, sent):  # noqa: F811
    reference, pin, _ = sent
    for n in range(5):
        assert (
            track(at(app, f"2001:db8:aa:1::{n + 10:x}"), reference, wrong_pin(pin)).status_code
            == 400
        )
    refused = track(at(app, ONE[1]), reference, pin)
    assert refused.status_code == 429 and "dari jaringan Anda" in refused.text
    assert track(at(app, OTHER), reference, pin).status_code == 303  # to the status page


def _send_from(app, address: str, **extra):
    client = at(app, address)
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    key = IDEMPOTENCY.search(check.text).group(1)
    return check, post(client, "/submit/proposal/check", {"idempotency_key": key, **extra})


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


def test_the_send_ceiling_is_shared_by_a_64(app, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "SUBMIT_LIMIT_PER_IP", "1 per hour")
    assert _send_from(app, ONE[0])[1].status_code == 303
    assert _send_from(app, ONE[1])[1].status_code == 429
    assert _send_from(app, OTHER)[1].status_code == 303


def test_free_sends_are_shared_by_a_64_and_the_captcha_gets_the_full_address(
    app, uploads, monkeypatch, siteverify
):
    monkeypatch.setitem(app.config, "HCAPTCHA_FREE_SENDS", 1)
    check, sent_ = _send_from(app, ONE[0])
    assert 'class="h-captcha"' not in check.text and sent_.status_code == 303
    check, asked = _send_from(app, ONE[1])
    assert 'class="h-captcha"' in check.text and asked.status_code == 400
    check, passed = _send_from(app, ONE[2], **{"h-captcha-response": "tok-1"})
    assert passed.status_code == 303
    assert [r.form.get("remoteip") for r in siteverify.requests] == [ONE[2]]
    check, free = _send_from(app, OTHER)
    assert 'class="h-captcha"' not in check.text and free.status_code == 303
