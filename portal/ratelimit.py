"""Rate limits (SECURITY.md RL1–RL4, LK4).

* Per client address: ``@posts_per_address(CONFIG_KEY)`` on a view. It is
  checked in a ``before_request`` hook registered before CSRF protection, so
  a flood of token-less POSTs is counted too. The address is
  ``request.remote_addr`` after ``ProxyFix`` with the configured number of
  trusted hops, so a forged left-most ``X-Forwarded-For`` changes nothing.
  Every per-address limit keys it by ``address_key`` (IPv6 by its /64).
* Per NIK: keyed by a truncated HMAC of the NIK (``nik_key``), never the NIK.
* Captcha quota: how many lookups an address may make before a captcha.

A request's limits go to the storage together (``portal.ratelimit_steps``).
A lookup (``posts_per_address(..., in_view=True)``) counts its address in the
same round trip as the NIK's budget, its ceiling and the captcha quota, which
it spends all or none (``portal.ratelimit_lookup``): one Redis round trip. Its hook
checks the CSRF token itself (the view is exempt from ``CSRFProtect``'s own
hook), so a token-less POST is still counted, and refused once the address's
budget is spent; so is a POST whose form is invalid (``check_address``).

Storage is Redis when ``REDIS_URL`` is set (shared by every process), memory
otherwise. A storage failure raises ``limits.errors.StorageError``, which the
error handler turns into a 503: the limits fail closed.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import math
import time

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFError
from limits import parse
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import ratelimit_steps
from portal.extensions import csrf
from portal.ratelimit_steps import HIT, HIT_OR_STOP, PEEK, Step


def client_ip() -> str:
    """The full address: for the hCaptcha check and logs, not for limits."""
    return request.remote_addr or "unknown"


def address_key(ip: str | None = None) -> str:
    """The key of every per-address limit (default: this request's address).

    IPv6 by its /64: one subscriber's network (a phone on an Indonesian
    carrier gets a whole /64 and may use any address in it), so rotating
    addresses buys no new budget. An IPv4-mapped IPv6 address is the IPv4;
    IPv4 as is."""
    ip = client_ip() if ip is None else ip
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return ip
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))


limiter = Limiter(key_func=address_key)


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
    app.after_request(_count_unchecked_address)


def posts_per_address(config_key: str, *, captcha_quota: bool = False, in_view: bool = False):
    """Limit POSTs to the view per client address; the limit text (``"300
    per hour"``) is read from ``app.config[config_key]`` on every request.

    ``captcha_quota``: the view asks ``captcha_required``; the answer is
    fetched in the same storage round trip as the address's hit.
    ``in_view``: the view counts the address itself, together with its own
    limits (``take_free_lookup``) or alone (``check_address``); this hook
    checks the CSRF token first and counts a POST that fails it."""

    def mark(view):
        view.per_address_limit = config_key
        view.captcha_quota = captcha_quota
        view.address_in_view = in_view
        if in_view:
            csrf.exempt(view)  # checked in _check_address_limit, once
        return view

    return mark


def _check_address_limit() -> None:
    if request.method != "POST" or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    config_key = getattr(view, "per_address_limit", None)
    if not config_key:
        return
    limit = current_app.config[config_key]
    g.address_step = limit_step(HIT_OR_STOP, limit, f"ip:{request.endpoint}", address_key())
    if not view.address_in_view:
        check_address()
        return
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and config["WTF_CSRF_CHECK_DEFAULT"]:
        try:
            csrf.protect()
        except CSRFError:
            check_address()  # a 429 once the address's budget is spent
            raise


def check_address() -> None:
    """Count this request's address limit now, alone (429 once spent), with a
    peek at its captcha quota when the view asks for it."""
    step = g.pop("address_step", None)
    if step is None:
        return
    steps = [step]
    view = current_app.view_functions.get(request.endpoint)
    quota = captcha_quota() if view.captcha_quota else None
    if quota is not None:
        steps.append(Step(PEEK, quota, storage_ids("captcha-free", step.identifiers[-1])))
    answers = _run_or_429(steps)
    if quota is not None:
        g.captcha_quota_left = (step.identifiers[-1], answers[1])


def _count_unchecked_address(response):
    """A view marked ``in_view`` that ended without counting its address
    (an error, an abort): counted now, without changing the response."""
    step = g.pop("address_step", None)
    if step is not None:
        ratelimit_steps.run(limiter.limiter, [step])
    return response


def nik_key(nik_index: bytes) -> str:
    """The per-NIK limiter key: 128 bits of the NIK's blind index, base64url.

    base64 (not hex) so the key never looks like a 16-digit number."""
    return base64.urlsafe_b64encode(nik_index[:16]).rstrip(b"=").decode("ascii")


def storage_ids(scope: str, key: str) -> tuple[str, str, str]:
    """Storage identifiers; the prefix keeps deployments sharing a Redis apart."""
    return current_app.config["RATELIMIT_KEY_PREFIX"], scope, key


#: ``"300 per hour"`` → a ``RateLimitItem``, parsed once per text (a regex
#: each time otherwise, four times per lookup).
_limit = functools.lru_cache(maxsize=64)(parse)


def limit_step(op: int, limit_text: str, scope: str, key: str) -> Step:
    return Step(op, _limit(limit_text), storage_ids(scope, key))


def allowed(limit_text: str, scope: str, key: str) -> bool:
    """Count one hit if the limit allows it; ``False`` once it is spent (no 429:
    the caller decides what a spent limit means)."""
    return limiter.limiter.hit(_limit(limit_text), *storage_ids(scope, key))


def wait_seconds(limit_text: str, scope: str, key: str) -> int:
    """Seconds until the limit allows a hit again, 0 when it allows one now.
    Counts nothing (a peek)."""
    item, ids = _limit(limit_text), storage_ids(scope, key)
    if limiter.limiter.test(item, *ids):
        return 0
    reset = limiter.limiter.get_window_stats(item, *ids).reset_time
    return max(1, math.ceil(reset - time.time()))


def _run_or_429(steps: list[Step]) -> list[bool]:
    """Run the steps in one round trip; a refused ``HIT_OR_STOP`` raises 429
    with ``Retry-After``."""
    answers = ratelimit_steps.run(limiter.limiter, steps)
    last = steps[len(answers) - 1]
    if last.op == HIT_OR_STOP and not answers[-1]:
        reset = limiter.limiter.get_window_stats(last.item, *last.identifiers).reset_time
        raise TooManyRequests(retry_after=max(1, math.ceil(reset - time.time())))
    return answers


def hit_or_429(limit_text: str, scope: str, key: str, *, spend_free_lookup: str = "") -> None:
    """Count one hit; raise 429 with ``Retry-After`` once the limit is spent.

    ``spend_free_lookup``: an address whose captcha quota (``captcha_required``)
    this request spends, counted in the same round trip when this hit is allowed."""
    steps = [limit_step(HIT_OR_STOP, limit_text, scope, key)]
    quota = captcha_quota() if spend_free_lookup else None
    if quota is not None:
        steps.append(Step(HIT, quota, storage_ids("captcha-free", spend_free_lookup)))
    _run_or_429(steps)


def captcha_quota():
    """The free lookups an address has before a captcha; ``None`` when
    every lookup needs one."""
    free = current_app.config["HCAPTCHA_FREE_LOOKUPS"]
    if free <= 0:
        return None
    return _limit(f"{free} per {current_app.config['HCAPTCHA_FREE_WINDOW']}")


def captcha_required(ip: str) -> bool:
    """Whether this address has used up its free lookups.

    Answered from the address hook's peek when it ran for the same address in
    this request (``posts_per_address(..., captcha_quota=True)``, a POST);
    otherwise (a GET of the form) one more storage round trip."""
    quota = captcha_quota()
    if quota is None:
        return True
    known = g.pop("captcha_quota_left", None)
    if known is not None and known[0] == ip:
        return not known[1]
    return not limiter.limiter.test(quota, *storage_ids("captcha-free", ip))


# Submissions (issue 9 §2): sends and uploads per address, and a captcha
# quota of sends of its own, apart from the lookup's.


def hit_or_wait(limit_text: str, scope: str, key: str, *, cost: int = 1) -> int:
    """Count ``cost`` against the limit in one atomic step: 0 when allowed,
    otherwise the seconds to wait (and nothing is counted). The caller
    shows its own page (a limit met mid-journey must not lose the answers)."""
    item = _limit(limit_text)
    ids = storage_ids(scope, key)
    if limiter.limiter.hit(item, *ids, cost=cost):
        return 0
    reset = limiter.limiter.get_window_stats(item, *ids).reset_time
    return max(1, math.ceil(reset - time.time()))


def _free_sends():
    free = current_app.config["HCAPTCHA_FREE_SENDS"]
    if free <= 0:
        return None
    return _limit(f"{free} per {current_app.config['HCAPTCHA_FREE_SENDS_WINDOW']}")


def spend_free_send(ip: str) -> bool:
    """Spend one of the address's sends without a captcha; ``False`` when
    they are used up. Checking and spending is one atomic hit, so requests
    in flight together cannot all pass on the same last free send."""
    quota = _free_sends()
    return quota is not None and limiter.limiter.hit(quota, *storage_ids("captcha-free-send", ip))


def free_send_left(ip: str) -> bool:
    """Whether the address may still send without a captcha (a peek, for
    showing the widget on the page before the resident presses Send)."""
    quota = _free_sends()
    return quota is not None and limiter.limiter.test(quota, *storage_ids("captcha-free-send", ip))
