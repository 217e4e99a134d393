"""hCaptcha: server-side verification of a widget token (SECURITY.md HC1–HC3).

A small verifier on the standard library rather than the PyPI wrappers, which
have no timeout, a hard-coded URL, log the secret or return a result that is
always truthy.

Configuration (``app.config``):

``HCAPTCHA_SITEKEY``, ``HCAPTCHA_SECRET``
    From the environment variables of the same name; ``None`` when unset. With
    neither, the captcha is disabled (development); production refuses to start
    without them unless ``HCAPTCHA_REQUIRED_IN_PRODUCTION`` is False, and always
    refuses hCaptcha's public test keys.
``HCAPTCHA_VERIFY_URL``
    Default ``https://api.hcaptcha.com/siteverify``; must be https in production.
``HCAPTCHA_TIMEOUT``
    Seconds, default 5, at most 5: a slow hCaptcha must not hold a worker.
``HCAPTCHA_EXPECTED_HOSTNAME``
    ``None`` skips the check; otherwise the ``hostname`` hCaptcha reports (the
    site the widget was solved on) must equal it.
``HCAPTCHA_FREE_LOOKUPS``, ``HCAPTCHA_FREE_WINDOW``
    Lookups one IP may make per window (e.g. ``"10 minutes"``) before the lookup
    view asks for a captcha; 0 asks every time. Used by the lookup view, not here.

The widget needs JavaScript: hCaptcha has no ``<noscript>`` fallback, so a page
showing it loads ``CAPTCHA_SCRIPT_URL`` (with its CSP nonce) and adds
``CSP_HOSTS`` to the ``CSP_DIRECTIVES`` of its Content-Security-Policy, on that
page only. ``?hl=id`` on the script URL picks the widget's language.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from flask import Flask, current_app
from markupsafe import Markup

log = logging.getLogger("portal.captcha")

DEFAULTS = {
    "HCAPTCHA_SITEKEY": None,
    "HCAPTCHA_SECRET": None,
    "HCAPTCHA_VERIFY_URL": "https://api.hcaptcha.com/siteverify",
    "HCAPTCHA_TIMEOUT": 5,
    "HCAPTCHA_EXPECTED_HOSTNAME": None,
    "HCAPTCHA_REQUIRED_IN_PRODUCTION": True,
    "HCAPTCHA_FREE_LOOKUPS": 5,
    "HCAPTCHA_FREE_WINDOW": "10 minutes",
}

MAX_TIMEOUT = 5.0
#: Real tokens are a few KiB; anything longer is refused before any request.
MAX_TOKEN_CHARS = 8 * 1024
#: A siteverify answer is a few hundred bytes.
MAX_RESPONSE_BYTES = 64 * 1024

#: hCaptcha's published test keys: every token passes, so never in production.
TEST_SITEKEYS = frozenset(
    {
        "10000000-ffff-ffff-ffff-000000000001",
        "20000000-ffff-ffff-ffff-000000000002",
        "30000000-ffff-ffff-ffff-000000000003",
    }
)
TEST_SECRET = "0x0000000000000000000000000000000000000000"  # noqa: S105 - public, refused

CAPTCHA_SCRIPT_URL = "https://js.hcaptcha.com/1/api.js"
CSP_HOSTS = ("https://hcaptcha.com", "https://*.hcaptcha.com")
CSP_DIRECTIVES = ("script-src", "frame-src", "style-src", "connect-src")

# Error codes come from the remote end; keep only what they are documented to
# look like so a log line cannot carry anything else (LG2: no digit runs).
_ERROR_CODE = re.compile(r"[a-z][a-z_-]{0,39}")
_MAX_ERROR_CODES = 5


class CaptchaConfigError(RuntimeError):
    """The hCaptcha configuration is unsafe for this environment."""


@dataclass(frozen=True)
class CaptchaResult:
    """``ok`` is True only for a verified token; ``reason`` says why not."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


def _setting(config, key: str):
    return config.get(key, DEFAULTS[key])


def captcha_enabled(app: Flask) -> bool:
    """True when both the sitekey and the secret are configured."""
    return bool(_setting(app.config, "HCAPTCHA_SITEKEY")) and bool(
        _setting(app.config, "HCAPTCHA_SECRET")
    )


def check_config(app: Flask) -> None:
    """Refuse an unsafe hCaptcha configuration at start-up (SECURITY.md HC2)."""
    config = app.config
    sitekey = _setting(config, "HCAPTCHA_SITEKEY")
    secret = _setting(config, "HCAPTCHA_SECRET")
    production = config.get("ENV_NAME") == "production"

    if bool(sitekey) != bool(secret):
        raise CaptchaConfigError(
            "Set both HCAPTCHA_SITEKEY and HCAPTCHA_SECRET, or neither (captcha off)."
        )
    timeout = _setting(config, "HCAPTCHA_TIMEOUT")
    if not _valid_timeout(timeout):
        raise CaptchaConfigError("HCAPTCHA_TIMEOUT must be a number of seconds in (0, 5].")
    free = _setting(config, "HCAPTCHA_FREE_LOOKUPS")
    if isinstance(free, bool) or not isinstance(free, int) or free < 0:
        raise CaptchaConfigError("HCAPTCHA_FREE_LOOKUPS must be a whole number, 0 or more.")
    scheme = urllib.parse.urlsplit(str(_setting(config, "HCAPTCHA_VERIFY_URL"))).scheme
    if scheme not in ({"https"} if production else {"https", "http"}):
        raise CaptchaConfigError("HCAPTCHA_VERIFY_URL must be an https URL.")

    if not production:
        return
    if sitekey in TEST_SITEKEYS or secret == TEST_SECRET:
        raise CaptchaConfigError("Production refuses hCaptcha's public test keys.")
    if not sitekey and _setting(config, "HCAPTCHA_REQUIRED_IN_PRODUCTION"):
        raise CaptchaConfigError(
            "Production needs HCAPTCHA_SITEKEY and HCAPTCHA_SECRET "
            "(or HCAPTCHA_REQUIRED_IN_PRODUCTION = False)."
        )


def init_app(app: Flask) -> None:
    """Check the configuration and give templates ``captcha_widget()``."""
    check_config(app)
    app.jinja_env.globals["captcha_widget"] = captcha_widget


def captcha_widget() -> Markup:
    """The widget's placeholder; empty when the captcha is disabled."""
    if not captcha_enabled(current_app):
        return Markup("")
    sitekey = _setting(current_app.config, "HCAPTCHA_SITEKEY")
    return Markup('<div class="h-captcha" data-sitekey="{}"></div>').format(sitekey)


def verify(token: str | None, remote_ip: str | None) -> CaptchaResult:
    """Ask hCaptcha whether ``token`` was solved; never raises on network trouble.

    Only a JSON object with ``success`` exactly ``true`` (and the expected
    hostname, when one is configured) passes; everything else fails closed.
    """
    started = time.monotonic()
    result, error = _verify(token, remote_ip)
    event = {
        "event": "captcha",
        "outcome": "pass" if result.ok else "fail",
        "reason": result.reason,
        "elapsed_ms": round((time.monotonic() - started) * 1000),
    }
    if error is not None:
        # The class name only: an exception's text may quote the request,
        # and the request carries the secret (HC3).
        event["error"] = type(error).__name__
    log.log(
        logging.INFO if result.ok else logging.WARNING,
        "captcha %s: %s",
        event["outcome"],
        result.reason,
        extra={"event": event},
    )
    return result


def _verify(token: str | None, remote_ip: str | None) -> tuple[CaptchaResult, Exception | None]:
    config = current_app.config
    if not isinstance(token, str) or not token:
        return CaptchaResult(False, "missing-token"), None
    if len(token) > MAX_TOKEN_CHARS:
        return CaptchaResult(False, "token-too-long"), None
    if not captcha_enabled(current_app):
        return CaptchaResult(False, "not-configured"), None
    url = str(_setting(config, "HCAPTCHA_VERIFY_URL"))
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        return CaptchaResult(False, "bad-url"), None

    fields = {
        "secret": _setting(config, "HCAPTCHA_SECRET"),
        "response": token,
        "sitekey": _setting(config, "HCAPTCHA_SITEKEY"),
    }
    if remote_ip:
        fields["remoteip"] = remote_ip
    data = urllib.parse.urlencode(fields).encode("ascii")
    try:
        status, body = _post(url, data, _timeout(config))
    except urllib.error.HTTPError as exc:
        exc.close()
        return CaptchaResult(False, f"http-{exc.code}"), exc
    except TimeoutError as exc:
        return CaptchaResult(False, "timeout"), exc
    except urllib.error.URLError as exc:
        reason = "timeout" if isinstance(exc.reason, TimeoutError) else "network"
        return CaptchaResult(False, reason), exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return CaptchaResult(False, "network"), exc
    if status != 200:
        return CaptchaResult(False, f"http-{status}"), None
    if body is None:
        return CaptchaResult(False, "too-large"), None
    return _judge(body, _setting(config, "HCAPTCHA_EXPECTED_HOSTNAME")), None


def _judge(body: bytes, expected_hostname: str | None) -> CaptchaResult:
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return CaptchaResult(False, "not-json")
    if not isinstance(answer, dict):
        return CaptchaResult(False, "not-json-object")
    if answer.get("success") is not True:
        codes = answer.get("error-codes")
        if isinstance(codes, list):
            clean = [c for c in codes[:_MAX_ERROR_CODES] if _is_error_code(c)]
            if clean:
                return CaptchaResult(False, "error-codes:" + ",".join(clean))
        return CaptchaResult(False, "rejected")
    if expected_hostname is not None and answer.get("hostname") != expected_hostname:
        return CaptchaResult(False, "hostname-mismatch")
    return CaptchaResult(True, "ok")


def _is_error_code(value: object) -> bool:
    return isinstance(value, str) and _ERROR_CODE.fullmatch(value) is not None


def _valid_timeout(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_TIMEOUT
    )


def _timeout(config) -> float:
    """The configured timeout, never above 5 s even if check_config was skipped."""
    value = _setting(config, "HCAPTCHA_TIMEOUT")
    return float(value) if _valid_timeout(value) else MAX_TIMEOUT


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """siteverify does not redirect; a redirect fails as ``http-3xx``."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post(url: str, data: bytes, timeout: float) -> tuple[int, bytes | None]:
    """POST ``data``; return the status and body (None when over the size cap).

    ``timeout`` bounds the connection and each read, and reading the body
    stops once it has run out in total.
    """
    opener = urllib.request.build_opener(
        _NoRedirect,
        # debuglevel 0 pinned: http.client's debug output prints the request
        # body, secret included, whatever the process-wide default says.
        urllib.request.HTTPHandler(debuglevel=0),
        urllib.request.HTTPSHandler(debuglevel=0),
    )
    request = urllib.request.Request(  # noqa: S310 - scheme checked to be http(s)
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    deadline = time.monotonic() + timeout
    with opener.open(request, timeout=timeout) as response:
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(4096):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                return response.status, None
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError
        return response.status, b"".join(chunks)
