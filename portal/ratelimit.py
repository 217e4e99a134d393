"""Rate limits (SECURITY.md RL1–RL4, LK4).

* Per client address: ``@posts_per_address(CONFIG_KEY)`` on a view. It is
  checked in a ``before_request`` hook registered before CSRF protection, so
  a flood of token-less POSTs is counted too. The address is
  ``request.remote_addr`` after ``ProxyFix`` with the configured number of
  trusted hops, so a forged left-most ``X-Forwarded-For`` changes nothing.
* Per NIK: keyed by a truncated HMAC of the NIK (``nik_key``), never the NIK.
* Captcha quota: how many lookups an address may make before a captcha.

Storage is Redis when ``REDIS_URL`` is set (shared by every process), memory
otherwise. A storage failure raises ``limits.errors.StorageError``, which the
error handler turns into a 503: the limits fail closed.
"""

from __future__ import annotations

import base64
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix


def client_ip() -> str:
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_ip)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {"wrap_exceptions": True, "socket_timeout": 1, "socket_connect_timeout": 1},
        )
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    limiter.init_app(app)
    app.before_request(_check_address_limit)


def posts_per_address(config_key: str):
    """Limit POSTs to the view per client address; the limit text (``"300
    per hour"``) is read from ``app.config[config_key]`` on every request."""

    def mark(view):
        view.per_address_limit = config_key
        return view

    return mark


def _check_address_limit() -> None:
    if request.method != "POST" or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    config_key = getattr(view, "per_address_limit", None)
    if config_key:
        hit_or_429(current_app.config[config_key], f"ip:{request.endpoint}", client_ip())


def nik_key(nik_index: bytes) -> str:
    """The per-NIK limiter key: 128 bits of the NIK's blind index, base64url.

    base64 (not hex) so the key never looks like a 16-digit number."""
    return base64.urlsafe_b64encode(nik_index[:16]).rstrip(b"=").decode("ascii")


def _ids(scope: str, key: str) -> tuple[str, str, str]:
    """Storage identifiers; the prefix keeps deployments sharing a Redis apart."""
    return current_app.config["RATELIMIT_KEY_PREFIX"], scope, key


def hit_or_429(limit_text: str, scope: str, key: str) -> None:
    """Count one hit; raise 429 with ``Retry-After`` once the limit is spent."""
    item = parse(limit_text)
    strategy = limiter.limiter
    if not strategy.hit(item, *_ids(scope, key)):
        reset = strategy.get_window_stats(item, *_ids(scope, key)).reset_time
        raise TooManyRequests(retry_after=max(1, math.ceil(reset - time.time())))


def captcha_required(ip: str) -> bool:
    free = current_app.config["HCAPTCHA_FREE_LOOKUPS"]
    if free <= 0:
        return True
    item = parse(f"{free} per {current_app.config['HCAPTCHA_FREE_WINDOW']}")
    return not limiter.limiter.test(item, *_ids("captcha-free", ip))


def spend_free_lookup(ip: str) -> None:
    free = current_app.config["HCAPTCHA_FREE_LOOKUPS"]
    if free > 0:
        item = parse(f"{free} per {current_app.config['HCAPTCHA_FREE_WINDOW']}")
        limiter.limiter.hit(item, *_ids("captcha-free", ip))
