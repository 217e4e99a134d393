"""hCaptcha verification against a fake siteverify (SECURITY.md HC1–HC3)."""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import time
import urllib.error

import pytest
from flask import Flask

from portal import captcha, create_app
from portal.captcha import (
    TEST_SECRET,
    CaptchaConfigError,
    CaptchaResult,
    captcha_enabled,
    captcha_widget,
    check_config,
    verify,
)
from portal.logs import JsonFormatter
from tests.fake_siteverify import (
    HOSTNAME,
    MODES,
    SECRET,
    SITEKEY,
    siteverify_fixture,  # noqa: F401 - the `siteverify` fixture
)

TOKEN = "P1_fake-token.abc-DEF_ghi-never-log-me"
REMOTE_IP = "203.0.113.7"
TEST_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
REAL_SITEKEY = "4f1c2a3b-9d8e-4c7b-a6f5-e4d3c2b1a090"
REAL_SECRET = "ES_4a9c1f0e7b2d4c6a8e0f1b3d5c7a9e1f"

EXPECTED = {
    "ok": (True, "ok"),
    "error": (False, "error-codes:invalid-input-response"),
    "500": (False, "http-500"),
    "slow": (False, "timeout"),
    "notjson": (False, "not-json"),
    "string-true": (False, "rejected"),
    "wrong-host": (False, "hostname-mismatch"),
    "no-host": (False, "hostname-mismatch"),
    "one": (False, "rejected"),
    "not-object": (False, "not-json-object"),
    "no-success": (False, "rejected"),
    "oversize": (False, "too-large"),
    "redirect": (False, "http-302"),
}


def _run(siteverify, app, monkeypatch, mode: str, token: str = TOKEN) -> CaptchaResult:
    siteverify.mode = mode
    if mode == "slow":
        monkeypatch.setitem(app.config, "HCAPTCHA_TIMEOUT", 0.5)
    return verify(token, REMOTE_IP)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/siteverify"


# HC1: only `success: true` from a well-formed answer passes ----------------


def test_every_mode_is_covered():
    assert set(EXPECTED) == set(MODES)


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_verify_passes_only_a_real_success(siteverify, app, app_ctx, monkeypatch, mode):
    result = _run(siteverify, app, monkeypatch, mode)

    assert (result.ok, result.reason) == EXPECTED[mode]
    assert bool(result) is result.ok
    assert len(siteverify.requests) == 1


def test_the_post_carries_secret_response_remoteip_and_sitekey(siteverify, app_ctx):
    verify(TOKEN, REMOTE_IP)

    (received,) = siteverify.requests
    assert received.path == "/siteverify"
    assert received.content_type == "application/x-www-form-urlencoded"
    assert received.form == {
        "secret": SECRET,
        "response": TOKEN,
        "remoteip": REMOTE_IP,
        "sitekey": SITEKEY,
    }


def test_remoteip_is_left_out_when_unknown(siteverify, app_ctx):
    assert verify(TOKEN, None).ok

    assert "remoteip" not in siteverify.requests[0].form


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "missing-token"),
        ("", "missing-token"),
        (["a list"], "missing-token"),
        ("x" * (captcha.MAX_TOKEN_CHARS + 1), "token-too-long"),
    ],
)
def test_bad_tokens_are_refused_without_asking_hcaptcha(siteverify, app_ctx, token, reason):
    result = verify(token, REMOTE_IP)

    assert result == CaptchaResult(False, reason)
    assert siteverify.requests == []


def test_a_token_at_the_length_cap_is_sent(siteverify, app_ctx):
    assert verify("x" * captcha.MAX_TOKEN_CHARS, REMOTE_IP).ok


def test_the_timeout_is_respected(siteverify, app, app_ctx, monkeypatch):
    started = time.monotonic()
    result = _run(siteverify, app, monkeypatch, "slow")
    elapsed = time.monotonic() - started

    assert result == CaptchaResult(False, "timeout")
    # The fake holds its answer for 10 s; giving up after 0.5 s is the point.
    assert elapsed < 0.5 + 1.0


def test_an_unreachable_siteverify_fails_closed(siteverify, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_VERIFY_URL", _closed_port_url())

    assert verify(TOKEN, REMOTE_IP) == CaptchaResult(False, "network")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError("reset"),
        http.client.RemoteDisconnected("gone"),
        http.client.IncompleteRead(b"{"),
        urllib.error.URLError("no route"),
        urllib.error.URLError(TimeoutError("timed out")),
        ValueError("bad"),
    ],
    ids=type,
)
def test_network_trouble_never_raises(siteverify, app_ctx, monkeypatch, error):
    def fail(url, data, timeout):
        raise error

    monkeypatch.setattr(captcha, "_post", fail)

    result = verify(TOKEN, REMOTE_IP)

    assert not result.ok
    assert result.reason in {"network", "timeout"}


def test_hostname_is_not_checked_when_none_is_expected(siteverify, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_EXPECTED_HOSTNAME", None)
    siteverify.mode = "wrong-host"

    assert verify(TOKEN, REMOTE_IP).ok


def test_without_keys_verify_fails_closed_and_asks_nobody(siteverify, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_SECRET", None)

    assert verify(TOKEN, REMOTE_IP) == CaptchaResult(False, "not-configured")
    assert siteverify.requests == []


def test_a_non_http_url_is_never_opened(siteverify, app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_VERIFY_URL", "file:///etc/passwd")

    assert verify(TOKEN, REMOTE_IP) == CaptchaResult(False, "bad-url")


@pytest.mark.parametrize(("configured", "used"), [(30, 5.0), (0.5, 0.5), ("5", 5.0)])
def test_the_timeout_is_never_above_five_seconds(
    siteverify, app, app_ctx, monkeypatch, configured, used
):
    seen = []

    def record(url, data, timeout):
        seen.append(timeout)
        return 200, b'{"success": true, "hostname": "%s"}' % HOSTNAME.encode()

    monkeypatch.setattr(captcha, "_post", record)
    monkeypatch.setitem(app.config, "HCAPTCHA_TIMEOUT", configured)

    assert verify(TOKEN, REMOTE_IP).ok
    assert seen == [used]


def test_result_truthiness_follows_ok():
    assert CaptchaResult(True, "ok")
    assert not CaptchaResult(False, "rejected")


# Logging: one event per verification (LG1) ---------------------------------


@pytest.mark.parametrize(("mode", "outcome"), [("ok", "pass"), ("error", "fail")])
def test_one_event_is_logged_per_verification(
    siteverify, app, app_ctx, monkeypatch, caplog, mode, outcome
):
    _run(siteverify, app, monkeypatch, mode)

    records = [r for r in caplog.records if r.name == "portal.captcha"]
    assert len(records) == 1
    event = records[0].event
    assert event["event"] == "captcha"
    assert event["outcome"] == outcome
    assert event["reason"] == EXPECTED[mode][1]


def test_a_refused_token_is_logged_too(app_ctx, caplog):
    verify(None, REMOTE_IP)

    (record,) = [r for r in caplog.records if r.name == "portal.captcha"]
    assert record.event["outcome"] == "fail"
    assert record.event["reason"] == "missing-token"


# HC3: neither the secret nor the token ever reaches a log --------------------


def _assert_nothing_leaked(caplog, capsys):
    formatter = JsonFormatter()
    captured = capsys.readouterr()
    texts = [caplog.text, captured.out, captured.err]
    for record in caplog.records:
        texts += [
            record.getMessage(),
            str(record.msg),
            repr(record.args),
            record.exc_text or "",
            repr(getattr(record, "event", "")),
            repr(vars(record)),
            formatter.format(record),
        ]
    joined = "\n".join(texts)
    for secret in (SECRET, TOKEN):
        assert secret not in joined
        assert base64.b64encode(secret.encode()).decode() not in joined


def test_no_secret_or_token_in_any_log(siteverify, app, app_ctx, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="portal")
    for name in ("urllib3", "http.client", "urllib"):
        caplog.set_level(logging.DEBUG, logger=name)
    # http.client prints whole requests (body included) at a debug level > 0.
    monkeypatch.setattr(http.client.HTTPConnection, "debuglevel", 1)

    for mode in sorted(EXPECTED):
        _run(siteverify, app, monkeypatch, mode)
    monkeypatch.setitem(app.config, "HCAPTCHA_VERIFY_URL", _closed_port_url())
    verify(TOKEN, REMOTE_IP)

    assert len([r for r in caplog.records if r.name == "portal.captcha"]) == len(EXPECTED) + 1
    _assert_nothing_leaked(caplog, capsys)


def test_an_exception_quoting_the_request_is_not_logged(siteverify, app_ctx, caplog, capsys):
    """urllib errors may quote what was sent: only the class name is logged."""
    caplog.set_level(logging.DEBUG)

    def fail(url, data, timeout):
        raise urllib.error.URLError(f"refused {data!r} secret={SECRET} response={TOKEN}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(captcha, "_post", fail)
        result = verify(TOKEN, REMOTE_IP)

    assert result == CaptchaResult(False, "network")
    (record,) = [r for r in caplog.records if r.name == "portal.captcha"]
    assert record.event["error"] == "URLError"
    _assert_nothing_leaked(caplog, capsys)


# HC2: configuration checks --------------------------------------------------


def _app(env: str = "production", **config) -> Flask:
    app = Flask(__name__)
    app.config.update(ENV_NAME=env, **config)
    return app


@pytest.mark.parametrize(
    ("sitekey", "secret"),
    [
        (TEST_SITEKEY, TEST_SECRET),
        (TEST_SITEKEY, REAL_SECRET),
        (REAL_SITEKEY, TEST_SECRET),
        ("20000000-ffff-ffff-ffff-000000000002", REAL_SECRET),
    ],
)
def test_production_refuses_the_test_keys(sitekey, secret):
    app = _app(HCAPTCHA_SITEKEY=sitekey, HCAPTCHA_SECRET=secret)

    with pytest.raises(CaptchaConfigError, match="test keys"):
        check_config(app)


def test_development_accepts_the_test_keys():
    app = _app("development", HCAPTCHA_SITEKEY=TEST_SITEKEY, HCAPTCHA_SECRET=TEST_SECRET)

    check_config(app)
    assert captcha_enabled(app)


def test_production_accepts_real_looking_keys():
    app = _app(HCAPTCHA_SITEKEY=REAL_SITEKEY, HCAPTCHA_SECRET=REAL_SECRET)

    check_config(app)
    assert captcha_enabled(app)


def test_production_without_keys_is_refused_unless_allowed():
    with pytest.raises(CaptchaConfigError, match="HCAPTCHA_REQUIRED_IN_PRODUCTION"):
        check_config(_app(HCAPTCHA_SITEKEY=None, HCAPTCHA_SECRET=None))

    allowed = _app(HCAPTCHA_REQUIRED_IN_PRODUCTION=False)
    check_config(allowed)
    assert not captcha_enabled(allowed)


def test_development_without_keys_disables_the_captcha():
    app = _app("development", HCAPTCHA_SITEKEY=None, HCAPTCHA_SECRET=None)

    check_config(app)
    assert not captcha_enabled(app)


@pytest.mark.parametrize("env", ["development", "production"])
@pytest.mark.parametrize(
    "config",
    [{"HCAPTCHA_SITEKEY": REAL_SITEKEY}, {"HCAPTCHA_SECRET": REAL_SECRET}],
    ids=["sitekey-only", "secret-only"],
)
def test_half_a_configuration_is_refused(env, config):
    with pytest.raises(CaptchaConfigError, match="both"):
        check_config(_app(env, **config))


@pytest.mark.parametrize("timeout", [5.5, 30, 0, -1, "5", float("nan"), True, None])
def test_a_timeout_outside_zero_to_five_seconds_is_refused(timeout):
    app = _app(HCAPTCHA_SITEKEY=REAL_SITEKEY, HCAPTCHA_SECRET=REAL_SECRET, HCAPTCHA_TIMEOUT=timeout)

    with pytest.raises(CaptchaConfigError, match="HCAPTCHA_TIMEOUT"):
        check_config(app)


@pytest.mark.parametrize("free", [-1, 2.5, "3", None])
def test_a_bad_free_lookup_quota_is_refused(free):
    with pytest.raises(CaptchaConfigError, match="HCAPTCHA_FREE_LOOKUPS"):
        check_config(_app("development", HCAPTCHA_FREE_LOOKUPS=free))


@pytest.mark.parametrize(
    ("env", "url", "refused"),
    [
        ("production", "http://api.hcaptcha.com/siteverify", True),
        ("production", "https://api.hcaptcha.com/siteverify", False),
        ("development", "http://127.0.0.1:9/siteverify", False),
        ("development", "file:///etc/passwd", True),
    ],
)
def test_the_verify_url_scheme_is_checked(env, url, refused):
    app = _app(env, HCAPTCHA_SITEKEY=REAL_SITEKEY, HCAPTCHA_SECRET=REAL_SECRET)
    app.config["HCAPTCHA_VERIFY_URL"] = url

    if refused:
        with pytest.raises(CaptchaConfigError, match="HCAPTCHA_VERIFY_URL"):
            check_config(app)
    else:
        check_config(app)


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    """PORTAL_ENV=production with keys in the environment (as tests/test_crypto.py)."""
    key = base64.b64encode(b"\x11" * 32).decode()
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("PORTAL_INDEX_KEY", base64.b64encode(b"\x33" * 32).decode())
    monkeypatch.setenv("PORTAL_DATA_KEYS", f"1:{key}")
    monkeypatch.delenv("SECRET_KEY", raising=False)


def test_the_production_app_refuses_the_test_keys(production_env):
    with pytest.raises(CaptchaConfigError):
        create_app({"HCAPTCHA_SITEKEY": TEST_SITEKEY, "HCAPTCHA_SECRET": TEST_SECRET})


def test_the_production_app_starts_with_real_looking_keys(production_env):
    app = create_app(
        {
            "HCAPTCHA_SITEKEY": REAL_SITEKEY,
            "HCAPTCHA_SECRET": REAL_SECRET,
            "PUBLIC_BASE_URL": "https://portal.example",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )

    assert app.config["ENV_NAME"] == "production"


# The widget -----------------------------------------------------------------


def test_the_widget_carries_the_escaped_sitekey(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_SITEKEY", 'key"><script>x</script>')
    monkeypatch.setitem(app.config, "HCAPTCHA_SECRET", REAL_SECRET)

    html = str(captcha_widget())

    assert html.startswith('<div class="h-captcha" data-sitekey="key&#34;&gt;&lt;script&gt;')
    assert "<script>" not in html


def test_the_widget_is_empty_when_the_captcha_is_off(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "HCAPTCHA_SITEKEY", None)
    monkeypatch.setitem(app.config, "HCAPTCHA_SECRET", None)

    assert str(captcha_widget()) == ""
